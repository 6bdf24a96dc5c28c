"""Analytics: each operator's load per business hour (`analytics.operator_load`): dialogs that
came to them, messages they wrote, their first responses (count, median, p90) and how long they
were online. Hours are the business time zone's (SWITCHBOARD_BUSINESS_TIMEZONE); each row also
names its hour's start as a UTC instant. Documented in docs/analytics.md.

Online means a panel connected and the operator not "away". An online stretch is counted when it
ends (a disconnect, or choosing "away"): the projection reads only events, never the clock."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa

from domain.dialogs import Dialog
from domain.outbox import OutgoingMessage
from domain.presence import Presence, Status
from projections.analytics.rows import (
    ANALYTICS_SCHEMA,
    AnalyticsProjection,
    grouped_percentiles,
    hour_start,
    hours_between,
    seconds_between,
)
from projections.base import Changes, metadata
from projections.rows import RowSet, utc

operator_load = sa.Table(
    "operator_load",
    metadata,
    sa.Column("operator_id", sa.Uuid, primary_key=True),
    sa.Column("hour_start", sa.DateTime(timezone=True), primary_key=True),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("hour", sa.SmallInteger, nullable=False),
    sa.Column("dialogs_assigned", sa.Integer, nullable=False),
    sa.Column("messages_sent", sa.Integer, nullable=False),
    sa.Column("first_responses", sa.Integer, nullable=False),
    sa.Column("first_response_median_seconds", sa.Float),
    sa.Column("first_response_p90_seconds", sa.Float),
    sa.Column("online_seconds", sa.Float, nullable=False),
    sa.Index("ix_analytics_operator_load_day", "day"),
    schema=ANALYTICS_SCHEMA,
)

# Internal state, in the `read` schema: who holds each dialog and when its client first wrote;
load_dialogs = sa.Table(
    "analytics_load_dialogs",
    metadata,
    sa.Column("dialog_id", sa.Uuid, primary_key=True),
    sa.Column("holder_id", sa.Uuid),
    sa.Column("first_in_at", sa.DateTime(timezone=True)),
    sa.Column("responded", sa.Boolean, nullable=False),
)
# each operator's presence and since when they are online;
load_presence = sa.Table(
    "analytics_load_presence",
    metadata,
    sa.Column("presence_id", sa.Uuid, primary_key=True),
    sa.Column("operator_id", sa.Uuid, nullable=False),
    sa.Column("connections", sa.Integer, nullable=False),
    sa.Column("chosen", sa.String(16), nullable=False),
    sa.Column("online_since", sa.DateTime(timezone=True)),
)
# each first response, for the hour's median and p90.
load_responses = sa.Table(
    "analytics_load_responses",
    metadata,
    sa.Column("dialog_id", sa.Uuid, primary_key=True),
    sa.Column("operator_id", sa.Uuid, nullable=False),
    sa.Column("hour_start", sa.DateTime(timezone=True), nullable=False),
    sa.Column("seconds", sa.Float, nullable=False),
    sa.Index("ix_analytics_load_responses_cell", "operator_id", "hour_start"),
)

CELL_DEFAULTS = {"dialogs_assigned": 0, "messages_sent": 0, "first_responses": 0,
                 "online_seconds": 0.0}
PRESENCE = (Presence.Created, Presence.Connected, Presence.Disconnected, Presence.StatusChosen)


class AnalyticsOperatorLoadProjection(AnalyticsProjection):
    name = "analytics_operator_load"
    tables = (operator_load, load_dialogs, load_presence, load_responses)
    events = (Dialog.MessageReceived, Dialog.Assigned, Dialog.Claimed, Dialog.Transferred,
              Dialog.Unassigned, Dialog.Resolved, OutgoingMessage.Queued, *PRESENCE)

    def apply_batch(
        self, conn: sa.Connection, events: Sequence[tuple[int, Any]], changes: Changes
    ) -> None:
        fold = _Fold(conn, self.zone)
        fold.preload(events)
        for _, event in events:
            fold.apply(event)
        fold.flush()


class _Fold:
    def __init__(self, conn: sa.Connection, zone: Any) -> None:
        self.conn = conn
        self.zone = zone
        self.cells = RowSet(operator_load, CELL_DEFAULTS)
        self.dialogs = RowSet(load_dialogs, {"responded": False})
        self.presence = RowSet(load_presence)
        self.responses = RowSet(load_responses)
        self.measured: set[tuple[UUID, datetime]] = set()

    def preload(self, events: Sequence[tuple[int, Any]]) -> None:
        """Reads, in one query per table, the rows the batch will (most likely) change."""
        dialogs: set[tuple[UUID]] = set()
        presences: set[tuple[UUID]] = set()
        cells: set[tuple[UUID, datetime]] = set()
        created: dict[UUID, UUID] = {}
        for _, event in events:
            if isinstance(event, OutgoingMessage.Queued):
                dialogs.add((event.dialog_id,))
                cells.add((event.operator_id, hour_start(event.at, self.zone)))
            elif isinstance(event, Presence.Created):
                created[event.originator_id] = event.operator_id
            elif isinstance(event, PRESENCE):
                presences.add((event.originator_id,))
            else:
                dialogs.add((event.originator_id,))
                if isinstance(event, Dialog.Transferred):
                    cells.add((event.to_operator, hour_start(event.at, self.zone)))
                elif isinstance(event, Dialog.Assigned | Dialog.Claimed):
                    cells.add((event.operator_id, hour_start(event.at, self.zone)))
        self.dialogs.load(self.conn, dialogs)
        self.presence.load(self.conn, presences)
        # the hours an online stretch ending in this batch may cover
        spans: dict[UUID, list[datetime]] = {}
        for _, event in events:
            if isinstance(event, PRESENCE) and not isinstance(event, Presence.Created):
                at = utc(event.at)
                span = spans.setdefault(event.originator_id, [at, at])
                span[0], span[1] = min(span[0], at), max(span[1], at)
        for presence_id, (start, end) in spans.items():
            row = self.presence.get((presence_id,))
            operator = row["operator_id"] if row else created.get(presence_id)
            if operator is None:
                continue
            if row and row["online_since"] is not None:
                start = min(start, row["online_since"])
            cells.update((operator, cell) for cell, _ in hours_between(start, end, self.zone))
        self.cells.load(self.conn, cells)

    def _dialog(self, dialog_id: UUID) -> dict[str, Any]:
        key = (dialog_id,)
        self.dialogs.fetch(self.conn, key)
        return self.dialogs.get_or_new(key)

    def _cell(self, operator_id: UUID, start: datetime) -> dict[str, Any]:
        key = (operator_id, start)
        self.cells.fetch(self.conn, key)
        local = start.astimezone(self.zone)
        return self.cells.get_or_new(key, day=local.date(), hour=local.hour)

    def apply(self, event: Any) -> None:
        match event:
            case Dialog.MessageReceived():
                dialog = self._dialog(event.originator_id)
                if dialog["first_in_at"] is None:
                    dialog["first_in_at"] = utc(event.sent_at)
            case Dialog.Assigned() | Dialog.Claimed() | Dialog.Transferred():
                holder = (event.to_operator if isinstance(event, Dialog.Transferred)
                          else event.operator_id)
                dialog = self._dialog(event.originator_id)
                if dialog["holder_id"] != holder:  # accepting one's own offer is no new dialog
                    self._cell(holder, hour_start(event.at, self.zone))["dialogs_assigned"] += 1
                dialog["holder_id"] = holder
            case Dialog.Unassigned() | Dialog.Resolved():
                self._dialog(event.originator_id)["holder_id"] = None
            case OutgoingMessage.Queued():
                start = hour_start(event.at, self.zone)
                cell = self._cell(event.operator_id, start)
                cell["messages_sent"] += 1
                dialog = self._dialog(event.dialog_id)
                if dialog["first_in_at"] is not None and not dialog["responded"]:
                    dialog["responded"] = True
                    cell["first_responses"] += 1
                    seconds = max(seconds_between(dialog["first_in_at"], event.at) or 0.0, 0.0)
                    self.responses.new((event.dialog_id,), operator_id=event.operator_id,
                                       hour_start=start, seconds=seconds)
                    self.measured.add((event.operator_id, start))
            case Presence.Created():
                self.presence.new((event.originator_id,), operator_id=event.operator_id,
                                  connections=0, chosen=Status.ONLINE.value)
            case _:
                self._presence(event)

    def _presence(self, event: Any) -> None:
        row = self.presence.fetch(self.conn, (event.originator_id,))
        if row is None:
            return
        self.presence.mark((event.originator_id,))
        match event:
            case Presence.Connected():
                row["connections"] += 1
            case Presence.Disconnected():
                row["connections"] = max(row["connections"] - 1, 0)
            case Presence.StatusChosen():
                row["chosen"] = event.status
        at = utc(event.at)
        online = row["connections"] > 0 and row["chosen"] == Status.ONLINE.value
        if online and row["online_since"] is None:
            row["online_since"] = at
        elif not online and row["online_since"] is not None:
            for start, seconds in hours_between(row["online_since"], at, self.zone):
                self._cell(row["operator_id"], start)["online_seconds"] += seconds
            row["online_since"] = None

    def flush(self) -> None:
        self.dialogs.flush(self.conn)
        self.presence.flush(self.conn)
        self.responses.flush(self.conn)
        measured = grouped_percentiles(self.conn, load_responses, "seconds",
                                       ("operator_id", "hour_start"),
                                       [(o, utc(s)) for o, s in self.measured], (0.5, 0.9))
        for key, (_, (median, p90), _) in measured.items():
            self.cells.change((key[0], utc(key[1])), first_response_median_seconds=median,
                              first_response_p90_seconds=p90)
        self.cells.flush(self.conn)
