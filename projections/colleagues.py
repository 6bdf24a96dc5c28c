"""Colleague chats as operators read them: the chats, who is in each with their unread count,
and the messages. Every query also asks the access group: an operator who left it reads none.
Live changes go to the "colleagues" feed, keyed by each member."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import sqlalchemy as sa

from domain.colleagues import ColleagueChat
from projections.base import Changes, Projection, metadata
from projections.inbox import dialog_recipients, dialogs
from projections.operators import operators
from projections.routing import access_members

PREVIEW = 200

colleague_chats = sa.Table(
    "colleague_chats",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("title", sa.String(120), nullable=False),
    sa.Column("dialog_id", sa.Uuid, unique=True),
    sa.Column("started_by", sa.Uuid, nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("message_count", sa.Integer, nullable=False),
    sa.Column("last_message_at", sa.DateTime(timezone=True)),
    sa.Column("last_message_text", sa.String(PREVIEW)),
    sa.Column("last_author_id", sa.Uuid),
    sa.Column("position", sa.BigInteger, nullable=False),
)

colleague_members = sa.Table(
    "colleague_members",
    metadata,
    sa.Column("chat_id", sa.Uuid, primary_key=True),
    sa.Column("operator_id", sa.Uuid, primary_key=True),
    sa.Column("read_up_to", sa.Integer, nullable=False),
    sa.Column("unread", sa.Integer, nullable=False),
    sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_colleague_members_operator", "operator_id"),
)

colleague_messages = sa.Table(
    "colleague_messages",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("chat_id", sa.Uuid, nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("author_id", sa.Uuid, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("edited_at", sa.DateTime(timezone=True)),
    sa.Index("ix_colleague_messages_chat_seq", "chat_id", "seq", unique=True),
)


class ColleaguesProjection(Projection):
    name = "colleagues"
    tables = (colleague_chats, colleague_members, colleague_messages)
    events = (ColleagueChat.Started, ColleagueChat.MemberJoined, ColleagueChat.MemberLeft,
              ColleagueChat.MessagePosted, ColleagueChat.MessageEdited,
              ColleagueChat.MarkedRead)

    def apply(self, conn: sa.Connection, event: Any, position: int, changes: Changes) -> None:
        chat_id = event.originator_id
        match event:
            case ColleagueChat.Started():
                conn.execute(colleague_chats.insert().values(
                    id=chat_id, kind=event.kind, title=event.title, dialog_id=event.dialog_id,
                    started_by=event.started_by, started_at=event.at, message_count=0,
                    position=position))
                conn.execute(colleague_members.insert(), [
                    {"chat_id": chat_id, "operator_id": oid, "read_up_to": 0, "unread": 0,
                     "joined_at": event.at} for oid in dict.fromkeys(event.members)])
            case ColleagueChat.MemberJoined():
                count = conn.execute(sa.select(colleague_chats.c.message_count).where(
                    colleague_chats.c.id == chat_id)).scalar_one()
                conn.execute(colleague_members.insert().values(
                    chat_id=chat_id, operator_id=event.operator_id, read_up_to=0, unread=count,
                    joined_at=event.at))
            case ColleagueChat.MemberLeft():
                conn.execute(colleague_members.delete().where(
                    colleague_members.c.chat_id == chat_id,
                    colleague_members.c.operator_id == event.operator_id))
                changes.add("colleagues", event.operator_id, chat_id)
            case ColleagueChat.MessagePosted():
                conn.execute(colleague_messages.insert().values(
                    id=event.message_id, chat_id=chat_id, seq=event.seq,
                    author_id=event.author_id, text=event.text, sent_at=event.at))
                conn.execute(colleague_chats.update().where(colleague_chats.c.id == chat_id)
                             .values(message_count=event.seq, last_message_at=event.at,
                                     last_message_text=event.text[:PREVIEW],
                                     last_author_id=event.author_id, position=position))
                conn.execute(colleague_members.update().where(
                    colleague_members.c.chat_id == chat_id).values(
                    unread=sa.case(
                        (colleague_members.c.operator_id == event.author_id, 0),
                        else_=event.seq - colleague_members.c.read_up_to),
                    read_up_to=sa.case(
                        (colleague_members.c.operator_id == event.author_id, event.seq),
                        else_=colleague_members.c.read_up_to)))
            case ColleagueChat.MessageEdited():
                conn.execute(colleague_messages.update().where(
                    colleague_messages.c.id == event.message_id).values(
                    text=event.text, edited_at=event.at))
                last = conn.execute(sa.select(colleague_messages.c.id).where(
                    colleague_messages.c.chat_id == chat_id)
                    .order_by(colleague_messages.c.seq.desc()).limit(1)).scalar()
                if last == event.message_id:
                    conn.execute(colleague_chats.update().where(colleague_chats.c.id == chat_id)
                                 .values(last_message_text=event.text[:PREVIEW]))
            case ColleagueChat.MarkedRead():
                conn.execute(colleague_members.update().where(
                    colleague_members.c.chat_id == chat_id,
                    colleague_members.c.operator_id == event.operator_id).values(
                    read_up_to=event.up_to, unread=sa.case(
                        (sa.select(colleague_chats.c.message_count)
                         .where(colleague_chats.c.id == chat_id).scalar_subquery()
                         > event.up_to,
                         sa.select(colleague_chats.c.message_count)
                         .where(colleague_chats.c.id == chat_id).scalar_subquery()
                         - event.up_to), else_=0)))
                changes.add("colleagues", event.operator_id, chat_id)
                return
            case _:
                return
        for oid in conn.execute(sa.select(colleague_members.c.operator_id).where(
                colleague_members.c.chat_id == chat_id)).scalars():
            changes.add("colleagues", oid, chat_id)


# -- queries -------------------------------------------------------------------------------
def _in_access_group(operator_id: UUID) -> Any:
    return sa.exists().where(access_members.c.operator_id == operator_id)


_ENTRY = (
    colleague_chats.c.id, colleague_chats.c.kind, colleague_chats.c.title,
    colleague_chats.c.dialog_id, colleague_chats.c.started_at, colleague_chats.c.message_count,
    colleague_chats.c.last_message_at, colleague_chats.c.last_message_text,
    colleague_chats.c.last_author_id, colleague_chats.c.position,
)


def _member_of(operator_id: UUID) -> Any:
    return sa.exists().where(colleague_members.c.chat_id == colleague_chats.c.id,
                             colleague_members.c.operator_id == operator_id)


def _sees_dialog(operator_id: UUID) -> Any:
    """A discussion is open to whoever may see its dialog."""
    return sa.and_(colleague_chats.c.dialog_id.is_not(None), sa.exists().where(
        dialog_recipients.c.dialog_id == colleague_chats.c.dialog_id,
        dialog_recipients.c.operator_id == operator_id))


def _visible(operator_id: UUID) -> Any:
    return sa.and_(_in_access_group(operator_id),
                   sa.or_(_member_of(operator_id), _sees_dialog(operator_id)))


def _unread(operator_id: UUID) -> Any:
    return sa.func.coalesce(sa.select(colleague_members.c.unread).where(
        colleague_members.c.chat_id == colleague_chats.c.id,
        colleague_members.c.operator_id == operator_id).scalar_subquery(), 0)


def _client(query: sa.Select[Any]) -> sa.Select[Any]:
    return query.add_columns(dialogs.c.client_name, dialogs.c.phone).outerjoin(
        dialogs, dialogs.c.id == colleague_chats.c.dialog_id)


def chats_of(conn: sa.Connection, operator_id: UUID, *, limit: int = 100,
             include_discussions: bool = True) -> list[sa.Row[Any]]:
    """The operator's chats (a discussion once they are in it), newest activity first."""
    query = _client(sa.select(*_ENTRY, _unread(operator_id).label("unread"))
                    .select_from(colleague_chats)).where(
        _in_access_group(operator_id), _member_of(operator_id))
    if not include_discussions:
        query = query.where(colleague_chats.c.kind != "discussion")
    return list(conn.execute(query.order_by(colleague_chats.c.position.desc()).limit(limit)))


def chat_entry(conn: sa.Connection, operator_id: UUID, chat_id: UUID) -> sa.Row[Any] | None:
    query = _client(sa.select(*_ENTRY, _unread(operator_id).label("unread"))
                    .select_from(colleague_chats))
    return conn.execute(query.where(colleague_chats.c.id == chat_id,
                                    _visible(operator_id))).first()


def discussion_of(conn: sa.Connection, operator_id: UUID,
                  dialog_id: UUID) -> sa.Row[Any] | None:
    query = _client(sa.select(*_ENTRY, _unread(operator_id).label("unread"))
                    .select_from(colleague_chats))
    return conn.execute(query.where(colleague_chats.c.dialog_id == dialog_id,
                                    _visible(operator_id))).first()


def members_of(conn: sa.Connection, chat_id: UUID) -> list[sa.Row[Any]]:
    return list(conn.execute(
        sa.select(colleague_members.c.operator_id, colleague_members.c.read_up_to,
                  operators.c.login, operators.c.display_name)
        .select_from(colleague_members.join(operators,
                                            operators.c.id == colleague_members.c.operator_id))
        .where(colleague_members.c.chat_id == chat_id)
        .order_by(colleague_members.c.joined_at, operators.c.display_name)))


def chat_messages(conn: sa.Connection, chat_id: UUID, *, last: int,
                  before_seq: int | None) -> list[sa.Row[Any]]:
    query = (sa.select(colleague_messages, operators.c.display_name.label("author_name"),
                       operators.c.login.label("author_login"))
             .select_from(colleague_messages.outerjoin(
                 operators, operators.c.id == colleague_messages.c.author_id))
             .where(colleague_messages.c.chat_id == chat_id))
    if before_seq is not None:
        query = query.where(colleague_messages.c.seq < before_seq)
    rows = list(conn.execute(query.order_by(colleague_messages.c.seq.desc()).limit(last)))
    rows.reverse()
    return rows


def unread_messages(conn: sa.Connection, operator_id: UUID) -> int:
    """Colleague messages the operator has not read, in all their chats."""
    return int(conn.execute(
        sa.select(sa.func.coalesce(sa.func.sum(colleague_members.c.unread), 0))
        .where(colleague_members.c.operator_id == operator_id,
               _in_access_group(operator_id))).scalar_one())


def colleagues_of(conn: sa.Connection, operator_id: UUID) -> list[sa.Row[Any]]:
    """Whom the operator may chat with: the access group's other members."""
    return list(conn.execute(
        sa.select(operators.c.id, operators.c.login, operators.c.display_name)
        .select_from(access_members.join(operators,
                                         operators.c.id == access_members.c.operator_id))
        .where(access_members.c.operator_id != operator_id, _in_access_group(operator_id))
        .order_by(operators.c.display_name)))
