"""The operators' inbox: dialogs, whom each was delivered to with unread counts, and messages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

import sqlalchemy as sa

from domain.clients import Client
from domain.dialogs import Dialog
from domain.outbox import OutgoingMessage
from projections.base import Changes, Projection, metadata
from projections.operators import operators
from projections.routing import access_members

PREVIEW = 200

dialogs = sa.Table(
    "dialogs",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("client_id", sa.Uuid, nullable=False, index=True),
    sa.Column("phone", sa.String(32), nullable=False),
    sa.Column("client_name", sa.String(120), nullable=False),
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("rule", sa.String(120), nullable=False),
    sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_message_at", sa.DateTime(timezone=True)),
    sa.Column("last_message_text", sa.String(PREVIEW)),
    sa.Column("last_direction", sa.String(8)),
    sa.Column("message_count", sa.Integer, nullable=False),
    sa.Column("position", sa.BigInteger, nullable=False),
    # routing (migration 0003): open -> assigned -> resolved, who holds it, an unanswered offer
    sa.Column("status", sa.String(16), nullable=False, server_default="open"),
    sa.Column("assignee_id", sa.Uuid, index=True),
    sa.Column("assigned_at", sa.DateTime(timezone=True)),
    sa.Column("accepted", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("offer_expires_at", sa.DateTime(timezone=True), index=True),
    sa.Column("resolved_at", sa.DateTime(timezone=True)),
    # outgoing messages (migration 0005): they share the dialog's `seq` with incoming ones
    sa.Column("outgoing_count", sa.Integer, nullable=False, server_default="0"),
)

dialog_recipients = sa.Table(
    "dialog_recipients",
    metadata,
    sa.Column("dialog_id", sa.Uuid, primary_key=True),
    sa.Column("operator_id", sa.Uuid, primary_key=True),
    sa.Column("read_up_to", sa.Integer, nullable=False),
    sa.Column("unread", sa.Integer, nullable=False),
    sa.Column("position", sa.BigInteger, nullable=False),
    sa.Index("ix_dialog_recipients_inbox", "operator_id", "position"),
)

messages = sa.Table(
    "messages",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("dialog_id", sa.Uuid, nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("direction", sa.String(8), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("external_id", sa.String(255)),
    sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    # outgoing messages (migration 0005): who wrote it, its delivery status and why it failed
    sa.Column("operator_id", sa.Uuid),
    sa.Column("status", sa.String(16)),
    sa.Column("attempts", sa.Integer),
    sa.Column("next_attempt_at", sa.DateTime(timezone=True)),
    sa.Column("failure_code", sa.String(64)),
    sa.Column("failure_reason", sa.String(500)),
    sa.Index("ix_messages_dialog_seq", "dialog_id", "seq", unique=True),
)


# Outgoing messages show in the dialog's messages, direction "out", with their status.
OUTGOING_EVENTS = (OutgoingMessage.Queued, OutgoingMessage.Claimed, OutgoingMessage.Sent,
                   OutgoingMessage.AttemptFailed, OutgoingMessage.Failed,
                   OutgoingMessage.StatusReported, OutgoingMessage.Retried)


class InboxProjection(Projection):
    name = "inbox"
    tables = (dialogs, dialog_recipients, messages)
    events = (Dialog.Opened, Dialog.MessageReceived, Dialog.MarkedRead, Client.Renamed,
              Dialog.Assigned, Dialog.Claimed, Dialog.Transferred, Dialog.Unassigned,
              Dialog.Resolved, Dialog.Reopened, Client.MergedInto, *OUTGOING_EVENTS)

    def apply_batch(
        self, conn: sa.Connection, events: Sequence[tuple[int, Any]], changes: Changes
    ) -> None:
        """Runs of received messages (the hot path) are written in bulk; the rest one by one."""
        run: list[tuple[int, Any]] = []
        for position, event in events:
            if isinstance(event, Dialog.MessageReceived):
                run.append((position, event))
                continue
            if run:
                self._receive_all(conn, run, changes)
                run = []
            self.apply(conn, event, position, changes)
        if run:
            self._receive_all(conn, run, changes)

    def _receive_all(
        self, conn: sa.Connection, run: list[tuple[int, Any]], changes: Changes
    ) -> None:
        ids = list({event.originator_id for _, event in run})
        counts: dict[UUID, int] = dict(conn.execute(  # type: ignore[arg-type]
            sa.select(dialogs.c.id, dialogs.c.message_count).where(dialogs.c.id.in_(ids))
        ).all())
        # Replies share the numbering: a message's seq counts both directions.
        outgoing: dict[UUID, int] = dict(conn.execute(  # type: ignore[arg-type]
            sa.select(dialogs.c.id, dialogs.c.outgoing_count)
            .where(dialogs.c.id.in_(ids), dialogs.c.outgoing_count > 0)).all())
        rows: list[dict[str, Any]] = []
        last: dict[UUID, dict[str, Any]] = {}
        for position, event in run:
            dialog_id = event.originator_id
            counts[dialog_id] += 1
            rows.append({
                "id": event.message_id, "dialog_id": dialog_id,
                "seq": counts[dialog_id] + outgoing.get(dialog_id, 0),
                "direction": "in", "text": event.text, "external_id": event.external_id,
                "sent_at": event.sent_at, "recorded_at": event.timestamp,
            })
            last[dialog_id] = {"b_id": dialog_id, "b_count": counts[dialog_id],
                               "b_at": event.sent_at, "b_text": event.text[:PREVIEW],
                               "b_position": position}
        if conn.dialect.name == "postgresql":
            # One statement each, whatever the run's length: round trips cost more than rows.
            columns = {key: [row[key] for row in rows] for key in rows[0]}
            conn.execute(_PG_INSERT_MESSAGES, columns)
            latest = {key: [v[key] for v in last.values()] for key in next(iter(last.values()))}
            conn.execute(_PG_UPDATE_DIALOGS, latest)
            conn.execute(_PG_UPDATE_RECIPIENTS, latest)
        else:  # SQLite is in-process: executemany costs no round trips
            conn.execute(messages.insert(), rows)
            conn.execute(_UPDATE_DIALOG, list(last.values()))
            conn.execute(_UPDATE_RECIPIENTS, list(last.values()))
        for dialog_id, operator in conn.execute(
            sa.select(dialog_recipients.c.dialog_id, dialog_recipients.c.operator_id)
            .where(dialog_recipients.c.dialog_id.in_(ids))
        ):
            changes.add("inbox", operator, dialog_id)

    def apply(self, conn: sa.Connection, event: Any, position: int, changes: Changes) -> None:
        match event:
            case Dialog.Opened():
                conn.execute(dialogs.insert().values(
                    id=event.originator_id, client_id=event.client_id, phone=event.phone,
                    client_name=event.client_name, channel=event.channel, rule=event.rule,
                    opened_at=event.timestamp, message_count=0, position=position,
                ))
                if event.recipients:
                    conn.execute(dialog_recipients.insert(), [
                        {"dialog_id": event.originator_id, "operator_id": oid, "read_up_to": 0,
                         "unread": 0, "position": position}
                        for oid in event.recipients
                    ])
                self._touched(conn, event.originator_id, changes)
            case Dialog.MessageReceived():
                self._receive_all(conn, [(position, event)], changes)
            case Dialog.MarkedRead():
                conn.execute(
                    dialog_recipients.update().where(
                        dialog_recipients.c.dialog_id == event.originator_id,
                        dialog_recipients.c.operator_id == event.operator_id,
                    ).values(
                        read_up_to=event.up_to,
                        unread=_unread_after(event.originator_id, event.up_to),
                    )
                )
                changes.add("inbox", event.operator_id, event.originator_id)
            case Client.Renamed():
                ids = conn.execute(
                    dialogs.update().where(dialogs.c.client_id == event.originator_id)
                    .values(client_name=event.name).returning(dialogs.c.id)
                ).scalars().all()
                for dialog_id in ids:
                    self._touched(conn, dialog_id, changes)
            case Client.MergedInto():  # a WhatsApp lid turned out to be this number
                ids = conn.execute(
                    dialogs.update().where(dialogs.c.client_id == event.originator_id)
                    .values(client_id=event.into_client_id, phone=event.phone)
                    .returning(dialogs.c.id)
                ).scalars().all()
                for dialog_id in ids:
                    self._touched(conn, dialog_id, changes)
            case (Dialog.Assigned() | Dialog.Claimed() | Dialog.Transferred()
                  | Dialog.Unassigned() | Dialog.Resolved() | Dialog.Reopened()):
                _lifecycle(conn, event)
                self._touched(conn, event.originator_id, changes)
            case OutgoingMessage.Queued():
                _queue_outgoing(conn, event, position)
                self._touched(conn, event.dialog_id, changes)
                changes.add("outbox", event.dialog_id, event.originator_id)
            case _ if isinstance(event, OUTGOING_EVENTS):
                dialog_id = _outgoing_status(conn, event)
                if dialog_id is not None:
                    changes.add("outbox", dialog_id, event.originator_id)

    @staticmethod
    def _touched(conn: sa.Connection, dialog_id: UUID, changes: Changes) -> None:
        for oid in conn.execute(
            sa.select(dialog_recipients.c.operator_id)
            .where(dialog_recipients.c.dialog_id == dialog_id)
        ).scalars():
            changes.add("inbox", oid, dialog_id)


_UPDATE_DIALOG = dialogs.update().where(dialogs.c.id == sa.bindparam("b_id")).values(
    message_count=sa.bindparam("b_count"), last_message_at=sa.bindparam("b_at"),
    last_message_text=sa.bindparam("b_text"), last_direction="in",
    position=sa.bindparam("b_position"),
)
_UPDATE_RECIPIENTS = (
    dialog_recipients.update().where(dialog_recipients.c.dialog_id == sa.bindparam("b_id"))
    .values(unread=sa.bindparam("b_count") - dialog_recipients.c.read_up_to,
            position=sa.bindparam("b_position"))
)
# Text statements name tables unqualified: the connection's search_path chooses the schema (the
# live `read`, or a scratch schema while verifying or rebuilding aside).
_PG_INSERT_MESSAGES = sa.text(
    "INSERT INTO messages (id, dialog_id, seq, direction, text, external_id, sent_at,"
    " recorded_at) SELECT * FROM unnest(CAST(:id AS uuid[]), CAST(:dialog_id AS uuid[]),"
    " CAST(:seq AS int[]), CAST(:direction AS varchar[]), CAST(:text AS text[]),"
    " CAST(:external_id AS varchar[]), CAST(:sent_at AS timestamptz[]),"
    " CAST(:recorded_at AS timestamptz[]))"
)
_PG_UPDATE_DIALOGS = sa.text(
    "UPDATE dialogs d SET message_count = v.count, last_message_at = v.at,"
    " last_message_text = v.text, last_direction = 'in', position = v.position"
    " FROM unnest(CAST(:b_id AS uuid[]), CAST(:b_count AS int[]),"
    " CAST(:b_at AS timestamptz[]), CAST(:b_text AS varchar[]), CAST(:b_position AS bigint[]))"
    " AS v(id, count, at, text, position) WHERE d.id = v.id"
)
_PG_UPDATE_RECIPIENTS = sa.text(
    "UPDATE dialog_recipients r SET unread = v.count - r.read_up_to, position = v.position"
    " FROM unnest(CAST(:b_id AS uuid[]), CAST(:b_count AS int[]),"
    " CAST(:b_position AS bigint[])) AS v(id, count, position) WHERE r.dialog_id = v.id"
)


def _lifecycle(conn: sa.Connection, event: Any) -> None:
    """Routing's changes to a dialog: who holds it, its status, an offer's deadline."""
    dialog_id = event.originator_id
    where = dialogs.c.id == dialog_id
    match event:
        case Dialog.Assigned() | Dialog.Claimed() | Dialog.Transferred():
            holder = event.to_operator if isinstance(event, Dialog.Transferred) \
                else event.operator_id
            within = getattr(event, "answer_within", 0)
            conn.execute(dialogs.update().where(where).values(
                status="assigned", assignee_id=holder, assigned_at=event.at,
                accepted=within <= 0,
                offer_expires_at=event.at + timedelta(seconds=within) if within > 0 else None))
            _ensure_recipient(conn, dialog_id, holder)
        case Dialog.Unassigned():
            conn.execute(dialogs.update().where(where).values(
                status="open", assignee_id=None, assigned_at=None, accepted=True,
                offer_expires_at=None))
        case Dialog.Resolved():
            conn.execute(dialogs.update().where(where).values(
                status="resolved", assignee_id=None, assigned_at=None, accepted=True,
                offer_expires_at=None, resolved_at=event.at))
        case Dialog.Reopened():
            conn.execute(dialogs.update().where(where).values(status="open", resolved_at=None))


# -- outgoing messages ---------------------------------------------------------------------------
def _queue_outgoing(conn: sa.Connection, event: Any, position: int) -> None:
    """A reply takes the dialog's next seq and becomes its last message."""
    dialog_id = event.dialog_id
    row = conn.execute(sa.select(dialogs.c.message_count, dialogs.c.outgoing_count)
                       .where(dialogs.c.id == dialog_id)).one()
    seq = row.message_count + row.outgoing_count + 1
    conn.execute(messages.insert().values(
        id=event.originator_id, dialog_id=dialog_id, seq=seq, direction="out", text=event.text,
        external_id=None, sent_at=event.at, recorded_at=event.timestamp,
        operator_id=event.operator_id, status="queued", attempts=0))
    conn.execute(dialogs.update().where(dialogs.c.id == dialog_id).values(
        outgoing_count=row.outgoing_count + 1, last_message_at=event.at,
        last_message_text=event.text[:PREVIEW], last_direction="out", position=position))
    conn.execute(dialog_recipients.update().where(dialog_recipients.c.dialog_id == dialog_id)
                 .values(position=position))


def _outgoing_status(conn: sa.Connection, event: Any) -> UUID | None:
    """A reply's delivery status as the operators see it; answers its dialog."""
    values: dict[str, Any]
    match event:
        case OutgoingMessage.Claimed():
            values = {"status": "sending", "attempts": event.attempt, "next_attempt_at": None}
        case OutgoingMessage.Sent():
            values = {"status": "sent", "external_id": event.external_id,
                      "failure_code": None, "failure_reason": None}
        case OutgoingMessage.AttemptFailed():
            values = {"status": "queued", "next_attempt_at": event.retry_at,
                      "failure_code": event.code, "failure_reason": event.reason}
        case OutgoingMessage.Failed():
            values = {"status": "failed", "next_attempt_at": None,
                      "failure_code": event.code, "failure_reason": event.reason}
        case OutgoingMessage.StatusReported():
            values = {"status": event.status, "failure_code": None, "failure_reason": None}
            if event.status == "failed":
                values = {"status": "failed", "failure_code": event.error_code or None,
                          "failure_reason": event.error or None}
        case OutgoingMessage.Retried():
            values = {"status": "queued", "attempts": 0, "next_attempt_at": None,
                      "failure_code": None, "failure_reason": None}
            if event.new_round:
                values["external_id"] = None
        case _:
            return None
    dialog_id: UUID | None = conn.execute(
        messages.update().where(messages.c.id == event.originator_id).values(**values)
        .returning(messages.c.dialog_id)).scalar()
    return dialog_id


def _ensure_recipient(conn: sa.Connection, dialog_id: UUID, operator_id: UUID) -> None:
    """An operator a dialog is assigned or transferred to sees it from then on."""
    known = conn.execute(sa.select(dialog_recipients.c.operator_id).where(
        dialog_recipients.c.dialog_id == dialog_id,
        dialog_recipients.c.operator_id == operator_id)).first()
    if known is None:
        row = conn.execute(sa.select(dialogs.c.message_count, dialogs.c.position)
                           .where(dialogs.c.id == dialog_id)).one()
        conn.execute(dialog_recipients.insert().values(
            dialog_id=dialog_id, operator_id=operator_id, read_up_to=0,
            unread=row.message_count, position=row.position))


def _unread_after(dialog_id: UUID, up_to: int) -> Any:
    count = sa.select(dialogs.c.message_count).where(dialogs.c.id == dialog_id).scalar_subquery()
    return sa.case((count > up_to, count - up_to), else_=0)


# -- queries -------------------------------------------------------------------------------
@dataclass(frozen=True)
class InboxPage:
    rows: list[sa.Row[Any]]
    has_next: bool


_ENTRY = (
    dialogs.c.id, dialogs.c.client_id, dialogs.c.phone, dialogs.c.client_name, dialogs.c.channel,
    dialogs.c.opened_at, dialogs.c.last_message_at, dialogs.c.last_message_text,
    dialogs.c.last_direction, dialogs.c.message_count, dialog_recipients.c.unread,
    dialog_recipients.c.position, dialogs.c.status, dialogs.c.assignee_id,
    dialogs.c.assigned_at, dialogs.c.accepted, dialogs.c.offer_expires_at,
    operators.c.display_name.label("assignee_name"),
)


def _in_access_group(operator_id: UUID) -> Any:
    """Only access-group members see dialogs, whatever else is set."""
    return sa.exists().where(access_members.c.operator_id == operator_id)


def _entries(operator_id: UUID) -> sa.Select[Any]:
    return (
        sa.select(*_ENTRY)
        .select_from(dialog_recipients.join(dialogs, dialogs.c.id == dialog_recipients.c.dialog_id)
                     .outerjoin(operators, operators.c.id == dialogs.c.assignee_id))
        .where(dialog_recipients.c.operator_id == operator_id, _in_access_group(operator_id))
    )


VIEWS = ("all", "unread", "mine", "unassigned", "unanswered", "resolved")


def _view(query: sa.Select[Any], operator_id: UUID, view: str) -> sa.Select[Any]:
    """mine: held by me; unassigned: held by nobody, not resolved; unanswered: the client wrote
    last, not resolved; resolved."""
    match view:
        case "unread":
            return query.where(dialog_recipients.c.unread > 0)
        case "mine":
            return query.where(dialogs.c.assignee_id == operator_id)
        case "unassigned":
            return query.where(dialogs.c.assignee_id.is_(None), dialogs.c.status != "resolved")
        case "unanswered":
            return query.where(dialogs.c.last_direction == "in", dialogs.c.status != "resolved")
        case "resolved":
            return query.where(dialogs.c.status == "resolved")
    return query


def inbox_page(
    conn: sa.Connection, operator_id: UUID, *, first: int, before_position: int | None,
    unread_only: bool, view: str = "all",
) -> InboxPage:
    query = _entries(operator_id)
    if before_position is not None:
        query = query.where(dialog_recipients.c.position < before_position)
    if unread_only:
        query = query.where(dialog_recipients.c.unread > 0)
    query = _view(query, operator_id, view)
    rows = list(conn.execute(query.order_by(dialog_recipients.c.position.desc()).limit(first + 1)))
    return InboxPage(rows=rows[:first], has_next=len(rows) > first)


def inbox_entry(conn: sa.Connection, operator_id: UUID, dialog_id: UUID) -> sa.Row[Any] | None:
    return conn.execute(_entries(operator_id).where(dialogs.c.id == dialog_id)).first()


def unread_dialogs(conn: sa.Connection, operator_id: UUID) -> int:
    return int(conn.execute(
        sa.select(sa.func.count()).select_from(dialog_recipients).where(
            dialog_recipients.c.operator_id == operator_id, dialog_recipients.c.unread > 0,
            _in_access_group(operator_id))
    ).scalar_one())


def lapsed_offers(conn: sa.Connection, now: Any, limit: int = 500) -> list[tuple[UUID, UUID]]:
    """(dialog, operator) for each unanswered offer whose time is up, oldest first."""
    return [(row.id, row.assignee_id) for row in conn.execute(
        sa.select(dialogs.c.id, dialogs.c.assignee_id).where(
            dialogs.c.offer_expires_at <= now, dialogs.c.accepted.is_(False),
            dialogs.c.assignee_id.is_not(None))
        .order_by(dialogs.c.offer_expires_at).limit(limit))]


def dialog_messages(
    conn: sa.Connection, dialog_id: UUID, *, last: int, before_seq: int | None
) -> list[sa.Row[Any]]:
    """The dialog's messages, each with its media (kind, caption, file…) when it has one."""
    from projections.media import MEDIA_COLUMNS, media  # media shows in the inbox's messages

    query = (sa.select(messages, *MEDIA_COLUMNS)
             .select_from(messages.outerjoin(media, media.c.message_id == messages.c.id))
             .where(messages.c.dialog_id == dialog_id))
    if before_seq is not None:
        query = query.where(messages.c.seq < before_seq)
    rows = list(conn.execute(query.order_by(messages.c.seq.desc()).limit(last)))
    rows.reverse()
    return rows
