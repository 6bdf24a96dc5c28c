"""Analytics: one row per message, both directions (`analytics.message_facts`), so that any count
or percentile of messages is one SELECT. Documented in docs/analytics.md.

An incoming message is a client's (its time is the one the gateway reports, which routing used
too); an outgoing one is an operator's reply or first message, with every step of its delivery:
queued, sent (the gateway accepted it), delivered, read, failed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import sqlalchemy as sa

from domain.clients import Client
from domain.dialogs import Dialog
from domain.media import Media
from domain.outbox import OutgoingMessage
from projections.analytics.rows import (
    ANALYTICS_SCHEMA,
    AnalyticsProjection,
    local_day,
)
from projections.base import Changes, metadata
from projections.rows import RowSet, utc

message_facts = sa.Table(
    "message_facts",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("dialog_id", sa.Uuid, nullable=False),
    sa.Column("direction", sa.String(3), nullable=False),
    sa.Column("channel", sa.String(32)),
    sa.Column("client_id", sa.Uuid),
    sa.Column("operator_id", sa.Uuid),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("received_at", sa.DateTime(timezone=True)),
    sa.Column("queued_at", sa.DateTime(timezone=True)),
    sa.Column("sent_at", sa.DateTime(timezone=True)),
    sa.Column("delivered_at", sa.DateTime(timezone=True)),
    sa.Column("read_at", sa.DateTime(timezone=True)),
    sa.Column("failed_at", sa.DateTime(timezone=True)),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("retries", sa.Integer, nullable=False),
    sa.Column("failure_code", sa.String(64)),
    sa.Column("failure_reason", sa.String(500)),
    sa.Column("length", sa.Integer, nullable=False),
    sa.Column("media_kind", sa.String(16), nullable=False),
    sa.Index("ix_analytics_message_facts_day", "day"),
    sa.Index("ix_analytics_message_facts_dialog", "dialog_id"),
    schema=ANALYTICS_SCHEMA,
)

# Internal: which client and channel each dialog is (the events of a client's message do not
# repeat them). In the `read` schema, out of the analysts' sight.
message_dialogs = sa.Table(
    "analytics_message_dialogs",
    metadata,
    sa.Column("dialog_id", sa.Uuid, primary_key=True),
    sa.Column("client_id", sa.Uuid, nullable=False, index=True),
    sa.Column("channel", sa.String(32), nullable=False),
)

# Internal: a message's media kind recorded before the message itself (a client's media held
# while WhatsApp was out of service arrives as a message only when it is released).
message_media = sa.Table(
    "analytics_message_media",
    metadata,
    sa.Column("message_id", sa.Uuid, primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
)

OUTGOING = (OutgoingMessage.Claimed, OutgoingMessage.Sent, OutgoingMessage.AttemptFailed,
            OutgoingMessage.Failed, OutgoingMessage.StatusReported, OutgoingMessage.Retried)
DEFAULTS = {"attempts": 0, "retries": 0, "media_kind": "text"}


class AnalyticsMessagesProjection(AnalyticsProjection):
    name = "analytics_messages"
    tables = (message_facts, message_dialogs, message_media)
    events = (Dialog.Opened, Dialog.MessageReceived, Client.MergedInto, OutgoingMessage.Queued,
              *OUTGOING, Media.Recorded)

    def apply_batch(
        self, conn: sa.Connection, events: Sequence[tuple[int, Any]], changes: Changes
    ) -> None:
        dialogs = RowSet(message_dialogs)
        facts = RowSet(message_facts, DEFAULTS)
        media = RowSet(message_media)
        self._preload(conn, events, dialogs, facts, media)
        for _, event in events:
            match event:
                case Media.Recorded():
                    row = facts.fetch(conn, (event.message_id,))
                    if row is None:  # the message comes later: keep its kind until then
                        media.new((event.message_id,), kind=event.kind)
                    else:
                        row["media_kind"] = event.kind
                        facts.mark((event.message_id,))
                case Dialog.Opened():
                    dialogs.new((event.originator_id,), client_id=event.client_id,
                                channel=event.channel)
                case Dialog.MessageReceived():
                    dialog = dialogs.fetch(conn, (event.originator_id,)) or {}
                    at = utc(event.sent_at)
                    facts.new((event.message_id,), dialog_id=event.originator_id,
                              direction="in", channel=dialog.get("channel"),
                              client_id=dialog.get("client_id"), day=local_day(at, self.zone),
                              received_at=at, status="received", length=len(event.text),
                              media_kind=_kind(media, event.message_id))
                case OutgoingMessage.Queued():
                    at = utc(event.at)
                    dialog = dialogs.fetch(conn, (event.dialog_id,)) or {}
                    facts.new((event.originator_id,), dialog_id=event.dialog_id,
                              direction="out", channel=event.channel,
                              # the dialog's client: a merged identity's number, if it merged
                              client_id=dialog.get("client_id", event.client_id),
                              operator_id=event.operator_id,
                              day=local_day(at, self.zone), queued_at=at, status="queued",
                              length=len(event.text),
                              media_kind=_kind(media, event.originator_id))
                case Client.MergedInto():
                    # A WhatsApp identity turned out to be the client with a number: their
                    # messages are his.
                    for rows in (dialogs, facts):
                        rows.replace(conn, "client_id", event.originator_id,
                                     event.into_client_id)
                case _:
                    row = facts.fetch(conn, (event.originator_id,))
                    if row is not None:
                        _delivery(row, event)
                        facts.mark((event.originator_id,))
        dialogs.flush(conn)
        facts.flush(conn)
        media.flush(conn)

    @staticmethod
    def _preload(conn: sa.Connection, events: Sequence[tuple[int, Any]], dialogs: RowSet,
                 facts: RowSet, media: RowSet) -> None:
        """One query per table for the rows the batch will change."""
        # a media kind recorded before its message (a held client's media) waits in a table
        media.load(conn, [(e.message_id if isinstance(e, Dialog.MessageReceived)
                           else e.originator_id,) for _, e in events
                          if isinstance(e, Dialog.MessageReceived | OutgoingMessage.Queued)])
        facts.load(conn, [(e.message_id,) for _, e in events if isinstance(e, Media.Recorded)])
        opened = {e.originator_id for _, e in events if isinstance(e, Dialog.Opened)}
        wanted = {e.dialog_id if isinstance(e, OutgoingMessage.Queued) else e.originator_id
                  for _, e in events
                  if isinstance(e, Dialog.MessageReceived | OutgoingMessage.Queued)}
        dialogs.load(conn, [(d,) for d in wanted - opened])
        queued = {e.originator_id for _, e in events if isinstance(e, OutgoingMessage.Queued)}
        facts.load(conn, [(e.originator_id,) for _, e in events
                          if isinstance(e, OUTGOING) and e.originator_id not in queued])


def _kind(media: RowSet, message_id: UUID) -> str:
    kept = media.get((message_id,))
    return str(kept["kind"]) if kept is not None else "text"


def _delivery(row: dict[str, Any], event: Any) -> None:
    """An outgoing message's progress, as the outbox records it."""
    match event:
        case OutgoingMessage.Claimed():
            row.update(status="sending", attempts=row["attempts"] + 1)
        case OutgoingMessage.Sent():
            row.update(status="sent", sent_at=utc(event.at), failure_code=None,
                       failure_reason=None)
        case OutgoingMessage.AttemptFailed():
            row.update(status="queued", failure_code=event.code, failure_reason=event.reason)
        case OutgoingMessage.Failed():
            row.update(status="failed", failed_at=utc(event.at), failure_code=event.code,
                       failure_reason=event.reason)
        case OutgoingMessage.StatusReported():
            at = utc(event.reported_at)
            if event.status == "failed":
                row.update(status="failed", failed_at=at,
                           failure_code=event.error_code or "GATEWAY_FAILED",
                           failure_reason=event.error or None)
            elif event.status == "delivered":
                row.update(status="delivered", delivered_at=at, failure_code=None,
                           failure_reason=None)
            elif event.status in ("read", "played"):
                row.update(status=event.status, read_at=at, failure_code=None,
                           failure_reason=None, delivered_at=row["delivered_at"] or at)
            else:
                row.update(status=event.status, failure_code=None, failure_reason=None)
        case OutgoingMessage.Retried():
            row.update(status="queued", retries=row["retries"] + 1, failed_at=None,
                       failure_code=None, failure_reason=None)
            if event.new_round:
                row.update(sent_at=None, delivered_at=None, read_at=None)
