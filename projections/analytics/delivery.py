"""Analytics: outgoing messages' delivery per business day (`analytics.delivery`) — how many were
queued, sent, delivered, read, retried and failed, and how long they waited between queued and
sent (percentiles) — and failures per day and reason (`analytics.delivery_failures`).
Documented in docs/analytics.md.

Each figure counts on the day its event happened: a send on the day the gateway accepted it (its
delay measured from when it was last queued: by the operator, or again by an operator's retry),
a report on the day the gateway reported it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa

from domain.outbox import OutgoingMessage
from projections.analytics.rows import (
    ANALYTICS_SCHEMA,
    AnalyticsProjection,
    grouped_percentiles,
    local_day,
    seconds_between,
)
from projections.base import Changes, metadata
from projections.rows import RowSet, utc

delivery = sa.Table(
    "delivery",
    metadata,
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("queued", sa.Integer, nullable=False),
    sa.Column("sent", sa.Integer, nullable=False),
    sa.Column("delivered", sa.Integer, nullable=False),
    sa.Column("read", sa.Integer, nullable=False),
    sa.Column("attempt_failures", sa.Integer, nullable=False),
    sa.Column("failed", sa.Integer, nullable=False),
    sa.Column("retried", sa.Integer, nullable=False),
    sa.Column("delay_p50_seconds", sa.Float),
    sa.Column("delay_p90_seconds", sa.Float),
    sa.Column("delay_p99_seconds", sa.Float),
    sa.Column("delay_max_seconds", sa.Float),
    schema=ANALYTICS_SCHEMA,
)

delivery_failures = sa.Table(
    "delivery_failures",
    metadata,
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("code", sa.String(64), primary_key=True),
    sa.Column("attempt_failures", sa.Integer, nullable=False),
    sa.Column("failed", sa.Integer, nullable=False),
    sa.Column("reason", sa.String(500), nullable=False),
    schema=ANALYTICS_SCHEMA,
)

# Internal, in the `read` schema: when each message was last queued, and each send's delay.
delivery_outgoing = sa.Table(
    "analytics_delivery_outgoing",
    metadata,
    sa.Column("message_id", sa.Uuid, primary_key=True),
    sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
)
delivery_delays = sa.Table(
    "analytics_delivery_delays",
    metadata,
    sa.Column("message_id", sa.Uuid, primary_key=True),
    sa.Column("sent_at", sa.DateTime(timezone=True), primary_key=True),
    sa.Column("day", sa.Date, nullable=False, index=True),
    sa.Column("seconds", sa.Float, nullable=False),
)

DAY_DEFAULTS = {"queued": 0, "sent": 0, "delivered": 0, "read": 0, "attempt_failures": 0,
                "failed": 0, "retried": 0}
QUANTILES = (0.5, 0.9, 0.99)


class AnalyticsDeliveryProjection(AnalyticsProjection):
    name = "analytics_delivery"
    tables = (delivery, delivery_failures, delivery_outgoing, delivery_delays)
    events = (OutgoingMessage.Queued, OutgoingMessage.Sent, OutgoingMessage.AttemptFailed,
              OutgoingMessage.Failed, OutgoingMessage.StatusReported, OutgoingMessage.Retried)

    def apply_batch(
        self, conn: sa.Connection, events: Sequence[tuple[int, Any]], changes: Changes
    ) -> None:
        days = RowSet(delivery, DAY_DEFAULTS)
        failures = RowSet(delivery_failures, {"attempt_failures": 0, "failed": 0})
        outgoing = RowSet(delivery_outgoing)
        delays = RowSet(delivery_delays)
        queued = {e.originator_id for _, e in events if isinstance(e, OutgoingMessage.Queued)}
        outgoing.load(conn, [(e.originator_id,) for _, e in events
                             if isinstance(e, OutgoingMessage.Sent | OutgoingMessage.Retried)
                             and e.originator_id not in queued])
        days.load(conn, [(local_day(_when(e), self.zone),) for _, e in events])
        failures.load(conn, [
            (local_day(_when(e), self.zone), _code(e)) for _, e in events
            if isinstance(e, OutgoingMessage.AttemptFailed | OutgoingMessage.Failed)
            or (isinstance(e, OutgoingMessage.StatusReported) and e.status == "failed")])
        timed: set[tuple[date]] = set()
        for _, event in events:
            at = utc(_when(event))
            day = (local_day(at, self.zone),)
            row = days.get_or_new(day)
            match event:
                case OutgoingMessage.Queued():
                    row["queued"] += 1
                    outgoing.new((event.originator_id,), queued_at=at)
                case OutgoingMessage.Retried():
                    row["retried"] += 1
                    outgoing.new((event.originator_id,), queued_at=at)
                case OutgoingMessage.Sent():
                    row["sent"] += 1
                    message = outgoing.fetch(conn, (event.originator_id,))
                    if message is not None:
                        seconds = max(seconds_between(message["queued_at"], at) or 0.0, 0.0)
                        delays.new((event.originator_id, at), day=day[0], seconds=seconds)
                        timed.add(day)
                case OutgoingMessage.AttemptFailed():
                    row["attempt_failures"] += 1
                    self._failure(conn, failures, day[0], _code(event), event.reason,
                                  "attempt_failures")
                case OutgoingMessage.Failed():
                    row["failed"] += 1
                    self._failure(conn, failures, day[0], _code(event), event.reason, "failed")
                case OutgoingMessage.StatusReported():
                    if event.status == "delivered":
                        row["delivered"] += 1
                    elif event.status in ("read", "played"):
                        row["read"] += 1
                    elif event.status == "failed":
                        row["failed"] += 1
                        self._failure(conn, failures, day[0], _code(event),
                                      event.error or "WhatsApp could not deliver the message.",
                                      "failed")
        outgoing.flush(conn)
        delays.flush(conn)
        for key, (_, (p50, p90, p99), longest) in grouped_percentiles(
                conn, delivery_delays, "seconds", ("day",), timed, QUANTILES).items():
            days.change(key, delay_p50_seconds=p50, delay_p90_seconds=p90,
                        delay_p99_seconds=p99, delay_max_seconds=longest)
        failures.flush(conn)
        days.flush(conn)

    @staticmethod
    def _failure(conn: sa.Connection, failures: RowSet, day: date, code: str, reason: str,
                 column: str) -> None:
        key = (day, code)
        failures.fetch(conn, key)
        row = failures.get_or_new(key)
        row[column] += 1
        row["reason"] = reason[:500]


def _when(event: Any) -> Any:
    return event.reported_at if isinstance(event, OutgoingMessage.StatusReported) else event.at


def _code(event: Any) -> str:
    if isinstance(event, OutgoingMessage.StatusReported):
        return str(event.error_code or "GATEWAY_FAILED")[:64]
    return str(event.code)[:64]
