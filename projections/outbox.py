"""The outbox: every outgoing message with its delivery status, for the sync job (what is due),
health (what waits, and since when) and analysts (plain SQL).

`wake_at` is when the job should look at a message next: a queued message's due time (when it was
queued, or when its retry is due), a claimed message's lease end (a lapsed claim is recovered);
NULL once it is sent or failed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa

from domain.outbox import OutgoingMessage
from projections.base import BatchProjection, Changes, metadata
from projections.rows import RowSet, utc

PREVIEW = 200

outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("dialog_id", sa.Uuid, nullable=False, index=True),
    sa.Column("client_id", sa.Uuid, nullable=False),
    sa.Column("phone", sa.String(160), nullable=False),
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("operator_id", sa.Uuid, nullable=False),
    sa.Column("text_preview", sa.String(PREVIEW), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("wake_at", sa.DateTime(timezone=True), index=True),
    sa.Column("worker", sa.String(64)),
    sa.Column("external_id", sa.String(255)),
    sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("sent_at", sa.DateTime(timezone=True)),
    sa.Column("delivered_at", sa.DateTime(timezone=True)),
    sa.Column("read_at", sa.DateTime(timezone=True)),
    sa.Column("failed_at", sa.DateTime(timezone=True)),
    sa.Column("failure_code", sa.String(64)),
    sa.Column("failure_reason", sa.String(500)),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("position", sa.BigInteger, nullable=False),
    sa.Index("ix_outbox_status", "status"),
)


class OutboxProjection(BatchProjection):
    name = "outbox"
    tables = (outbox,)
    events = (OutgoingMessage.Queued, OutgoingMessage.Claimed, OutgoingMessage.Sent,
              OutgoingMessage.AttemptFailed, OutgoingMessage.Failed,
              OutgoingMessage.StatusReported, OutgoingMessage.Retried)

    def apply_batch(
        self, conn: sa.Connection, events: Sequence[tuple[int, Any]], changes: Changes
    ) -> None:
        """The batch's messages are read in one query, changed in memory event by event and
        written back in one upsert (nothing is ever deleted from the outbox). Every datetime
        kept in the rows is in UTC."""
        rows = RowSet(outbox)
        queued = {e.originator_id for _, e in events if isinstance(e, OutgoingMessage.Queued)}
        rows.load(conn, [(e.originator_id,) for _, e in events if e.originator_id not in queued])
        found, dirty = rows.rows, rows.dirty
        for position, event in events:
            key = (event.originator_id,)
            if isinstance(event, OutgoingMessage.Queued):
                at = utc(event.at)
                rows.new(key, dialog_id=event.dialog_id, client_id=event.client_id,
                         phone=event.phone, channel=event.channel,
                         operator_id=event.operator_id, text_preview=event.text[:PREVIEW],
                         status="queued", attempts=0, wake_at=at, queued_at=at,
                         updated_at=utc(event.timestamp), position=position)
                continue
            row = found.get(key)
            if row is None:  # never queued: an update of no row
                continue
            _progress(row, event)
            row["updated_at"] = utc(event.timestamp)
            row["position"] = position
            dirty.add(key)
        for message_id in {event.originator_id for _, event in events}:
            changes.add("outbox", "all", message_id)
        rows.flush(conn)


def _progress(row: dict[str, Any], event: Any) -> None:
    """A queued message's next step, as the one-by-one UPDATEs wrote it."""
    match event:
        case OutgoingMessage.Claimed():
            row.update(status="sending", attempts=event.attempt,
                       wake_at=utc(event.lease_until), worker=event.worker)
        case OutgoingMessage.Sent():
            row.update(status="sent", wake_at=None, external_id=event.external_id,
                       sent_at=utc(event.at), failure_code=None, failure_reason=None)
        case OutgoingMessage.AttemptFailed():
            row.update(status="queued", wake_at=utc(event.retry_at), failure_code=event.code,
                       failure_reason=event.reason)
        case OutgoingMessage.Failed():
            row.update(status="failed", wake_at=None, failed_at=utc(event.at),
                       failure_code=event.code, failure_reason=event.reason)
        case OutgoingMessage.StatusReported():
            _reported(row, event)
        case OutgoingMessage.Retried():
            if event.new_round:
                row.update(external_id=None, sent_at=None, delivered_at=None, read_at=None)
            row.update(status="queued", attempts=0, wake_at=utc(event.at), failed_at=None,
                       failure_code=None, failure_reason=None)


def _reported(row: dict[str, Any], event: Any) -> None:
    at = utc(event.reported_at)
    match event.status:
        case "failed":
            row.update(status="failed", failed_at=at, wake_at=None,
                       failure_code=event.error_code or "GATEWAY_FAILED",
                       failure_reason=event.error or None)
        case "delivered":
            row.update(status="delivered", delivered_at=at, failure_code=None,
                       failure_reason=None)
        case "read" | "played":
            row.update(status=event.status, read_at=at, failure_code=None, failure_reason=None,
                       delivered_at=at if row["delivered_at"] is None else row["delivered_at"])
        case _:
            row.update(status=event.status, failure_code=None, failure_reason=None)


# -- queries -------------------------------------------------------------------------------
def due_messages(conn: sa.Connection, now: datetime, limit: int,
                 after: tuple[datetime, int] | None = None) -> list[tuple[UUID, datetime, int]]:
    """Queued messages that are due and claims that lapsed, oldest first: (id, wake_at,
    position). `after` pages on from the last one of the previous page."""
    query = sa.select(outbox.c.id, outbox.c.wake_at, outbox.c.position).where(
        outbox.c.wake_at <= now)
    if after is not None:
        query = query.where(sa.tuple_(outbox.c.wake_at, outbox.c.position) > sa.tuple_(
            sa.literal(after[0], sa.DateTime(timezone=True)), sa.literal(after[1])))
    return [(row.id, row.wake_at, row.position) for row in conn.execute(
        query.order_by(outbox.c.wake_at, outbox.c.position).limit(limit))]


@dataclass(frozen=True)
class OutboxStats:
    queued: int
    sending: int
    failed: int
    sent: int
    due: int
    oldest_due_at: datetime | None
    oldest_queued_at: datetime | None


def outbox_stats(conn: sa.Connection, now: datetime) -> OutboxStats:
    counts: dict[str, int] = {str(status): int(n) for status, n in conn.execute(
        sa.select(outbox.c.status, sa.func.count()).group_by(outbox.c.status))}
    waiting = sa.or_(outbox.c.status == "queued", outbox.c.status == "sending")
    row = conn.execute(sa.select(
        sa.func.count().filter(outbox.c.wake_at <= now),
        sa.func.min(outbox.c.wake_at).filter(outbox.c.status == "queued"),
        sa.func.min(outbox.c.queued_at).filter(waiting),
    )).one()
    return OutboxStats(
        queued=counts.get("queued", 0), sending=counts.get("sending", 0),
        failed=counts.get("failed", 0),
        sent=sum(counts.get(s, 0) for s in ("sent", "delivered", "read", "played")),
        due=int(row[0] or 0), oldest_due_at=_aware(row[1]), oldest_queued_at=_aware(row[2]))


def outgoing_message(conn: sa.Connection, message_id: UUID) -> sa.Row[Any] | None:
    return conn.execute(sa.select(outbox).where(outbox.c.id == message_id)).first()


def _aware(value: datetime | None) -> datetime | None:
    """SQLite gives naive datetimes back: they are UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)
