"""Quick replies as the reply box and their page read them (domain/quick_replies.py): one row
per reply; `owner_id` null for a shared one. An operator sees the shared ones and their own."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import sqlalchemy as sa

from domain.quick_replies import MAX_SHORTCUT, QuickReplies, shortcut_key
from projections.base import Changes, Projection, metadata

FEED = "quick_replies"

quick_replies = sa.Table(
    "quick_replies",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("owner_id", sa.Uuid, index=True),  # null: shared
    sa.Column("shortcut", sa.String(MAX_SHORTCUT), nullable=False),
    sa.Column("shortcut_key", sa.String(MAX_SHORTCUT * 3), nullable=False),  # casefolded
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("search_text", sa.Text, nullable=False),  # shortcut and text, casefolded
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("created_by", sa.String(160), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_by", sa.String(160), nullable=False),
)

def _searchable(shortcut: str, text: str) -> dict[str, str]:
    return {"shortcut": shortcut, "shortcut_key": shortcut_key(shortcut), "text": text,
            "search_text": f"{shortcut}\n{text}".casefold()}


class QuickRepliesProjection(Projection):
    name = "quick_replies"
    tables = (quick_replies,)
    events = (QuickReplies.ReplyCreated, QuickReplies.ReplyChanged, QuickReplies.ReplyDeleted)

    def apply(self, conn: sa.Connection, event: Any, position: int, changes: Changes) -> None:
        row = quick_replies.c.id == event.reply_id
        if isinstance(event, QuickReplies.ReplyCreated):
            conn.execute(quick_replies.insert().values(
                id=event.reply_id, owner_id=event.owner_id, created_at=event.at,
                created_by=event.actor, updated_at=event.at, updated_by=event.actor,
                **_searchable(event.shortcut, event.text)))
        elif isinstance(event, QuickReplies.ReplyChanged):
            conn.execute(quick_replies.update().where(row).values(
                updated_at=event.at, updated_by=event.actor,
                **_searchable(event.shortcut, event.text)))
        elif isinstance(event, QuickReplies.ReplyDeleted):
            conn.execute(quick_replies.delete().where(row))
        else:
            return
        changes.add(FEED, "all", event.reply_id)


def visible_quick_replies(conn: sa.Connection, operator_id: UUID, search: str = ""
                          ) -> list[sa.Row[Any]]:
    """The shared quick replies and the operator's own matching `search` (in the shortcut or
    the text, regardless of case): those whose shortcut starts with it first, then by
    shortcut."""
    table = quick_replies
    query = sa.select(table).where(sa.or_(table.c.owner_id.is_(None),
                                          table.c.owner_id == operator_id))
    wanted = search.strip().removeprefix("/").casefold()
    if wanted:
        query = query.where(table.c.search_text.contains(wanted, autoescape=True))
    starts = sa.case((table.c.shortcut_key.startswith(wanted, autoescape=True), 0), else_=1)
    return list(conn.execute(query.order_by(starts, table.c.shortcut_key, table.c.id)))


def quick_reply(conn: sa.Connection, reply_id: UUID) -> sa.Row[Any] | None:
    return conn.execute(sa.select(quick_replies).where(quick_replies.c.id == reply_id)).first()
