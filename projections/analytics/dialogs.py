"""Analytics: one row per dialog episode (`analytics.dialog_facts`): when it opened, how it was
routed, how long the client waited for an operator and for the first answer, who held it, the
transfers, when it was resolved and how often it reopened. Documented in docs/analytics.md.

An episode opens at its first message (the client's, or an operator's who wrote first); the
first response is the first operator message after the client's first message."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from domain.clients import Client
from domain.dialogs import Dialog
from domain.outbox import OutgoingMessage
from projections.analytics.rows import (
    ANALYTICS_SCHEMA,
    AnalyticsProjection,
    local_day,
    seconds_between,
)
from projections.base import Changes, metadata
from projections.rows import RowSet, utc

QUEUE = "queue"

dialog_facts = sa.Table(
    "dialog_facts",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("client_id", sa.Uuid, nullable=False),
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("opened_by", sa.String(8), nullable=False),
    sa.Column("day", sa.Date),
    sa.Column("opened_at", sa.DateTime(timezone=True)),
    sa.Column("routed_to", sa.String(120)),
    sa.Column("rule_id", sa.Uuid),
    sa.Column("fallback", sa.Boolean, nullable=False),
    sa.Column("mode", sa.String(16)),
    sa.Column("first_message_at", sa.DateTime(timezone=True)),
    sa.Column("first_assigned_at", sa.DateTime(timezone=True)),
    sa.Column("first_assignee_id", sa.Uuid),
    sa.Column("waiting_seconds", sa.Float),
    sa.Column("first_response_at", sa.DateTime(timezone=True)),
    sa.Column("first_responder_id", sa.Uuid),
    sa.Column("first_response_seconds", sa.Float),
    sa.Column("assignee_id", sa.Uuid),
    sa.Column("last_assignee_id", sa.Uuid),
    sa.Column("transfers", sa.Integer, nullable=False),
    sa.Column("messages_in", sa.Integer, nullable=False),
    sa.Column("messages_out", sa.Integer, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("resolved_at", sa.DateTime(timezone=True)),
    sa.Column("resolved_day", sa.Date),
    sa.Column("resolved_by", sa.Uuid),
    sa.Column("resolution_seconds", sa.Float),
    sa.Column("reopened", sa.Integer, nullable=False),
    sa.Index("ix_analytics_dialog_facts_day", "day"),
    sa.Index("ix_analytics_dialog_facts_resolved_day", "resolved_day"),
    sa.Index("ix_analytics_dialog_facts_client", "client_id"),
    schema=ANALYTICS_SCHEMA,
)

DEFAULTS = {"fallback": False, "transfers": 0, "messages_in": 0, "messages_out": 0,
            "status": "open", "reopened": 0}
HOLDING = (Dialog.Assigned, Dialog.Claimed, Dialog.Transferred)


class AnalyticsDialogsProjection(AnalyticsProjection):
    name = "analytics_dialogs"
    tables = (dialog_facts,)
    events = (Dialog.Opened, Dialog.Routed, Dialog.MessageReceived, *HOLDING, Dialog.Unassigned,
              Dialog.Resolved, Dialog.Reopened, OutgoingMessage.Queued, Client.MergedInto)

    def apply_batch(
        self, conn: sa.Connection, events: Sequence[tuple[int, Any]], changes: Changes
    ) -> None:
        facts = RowSet(dialog_facts, DEFAULTS)
        opened = {e.originator_id for _, e in events if isinstance(e, Dialog.Opened)}
        facts.load(conn, [(_dialog_of(e),) for _, e in events
                          if not isinstance(e, Dialog.Opened | Client.MergedInto)
                          and _dialog_of(e) not in opened])
        for _, event in events:
            if isinstance(event, Dialog.Opened):
                facts.new((event.originator_id,), client_id=event.client_id,
                          channel=event.channel,
                          opened_by="client" if event.actor.startswith("client:")
                          else "operator")
                continue
            if isinstance(event, Client.MergedInto):
                facts.flush(conn, self._finish)
                facts.replace(conn, "client_id", event.originator_id, event.into_client_id)
                continue
            key = (_dialog_of(event),)
            row = facts.fetch(conn, key)
            if row is None:
                continue
            facts.mark(key)
            _fold(row, event)
        facts.flush(conn, self._finish)

    def _finish(self, row: dict[str, Any]) -> None:
        """What follows from the rest of the row."""
        row["day"] = local_day(row["opened_at"], self.zone) if row["opened_at"] else None
        row["resolved_day"] = (local_day(row["resolved_at"], self.zone)
                               if row["resolved_at"] else None)
        row["waiting_seconds"] = _not_negative(
            seconds_between(row["opened_at"], row["first_assigned_at"]))
        row["first_response_seconds"] = _not_negative(
            seconds_between(row["first_message_at"], row["first_response_at"]))
        row["resolution_seconds"] = _not_negative(
            seconds_between(row["opened_at"], row["resolved_at"]))


def _not_negative(seconds: float | None) -> float | None:
    return None if seconds is None else max(seconds, 0.0)


def _dialog_of(event: Any) -> Any:
    return event.dialog_id if isinstance(event, OutgoingMessage.Queued) else event.originator_id


def _fold(row: dict[str, Any], event: Any) -> None:
    match event:
        case Dialog.Routed():
            row.update(routed_to=QUEUE if event.rule_id is None or event.fallback
                       else event.rule_name, rule_id=event.rule_id, fallback=event.fallback,
                       mode=event.mode)
        case Dialog.MessageReceived():
            at = utc(event.sent_at)
            row["messages_in"] += 1
            if row["opened_at"] is None:
                row["opened_at"] = at
            if row["first_message_at"] is None:
                row["first_message_at"] = at
        case OutgoingMessage.Queued():
            at = utc(event.at)
            row["messages_out"] += 1
            if row["opened_at"] is None:
                row["opened_at"] = at
            if row["first_message_at"] is not None and row["first_response_at"] is None:
                row.update(first_response_at=at, first_responder_id=event.operator_id)
        case Dialog.Assigned() | Dialog.Claimed() | Dialog.Transferred():
            holder = (event.to_operator if isinstance(event, Dialog.Transferred)
                      else event.operator_id)
            if row["first_assigned_at"] is None:
                row.update(first_assigned_at=utc(event.at), first_assignee_id=holder)
            row.update(assignee_id=holder, last_assignee_id=holder, status="assigned")
            if isinstance(event, Dialog.Transferred):
                row["transfers"] += 1
        case Dialog.Unassigned():
            row.update(assignee_id=None, status="open")
        case Dialog.Resolved():
            row.update(assignee_id=None, status="resolved", resolved_at=utc(event.at),
                       resolved_by=event.operator_id)
            if event.operator_id is not None:
                row["last_assignee_id"] = event.operator_id
        case Dialog.Reopened():
            row.update(status="open", resolved_at=None, resolved_by=None)
            row["reopened"] += 1
