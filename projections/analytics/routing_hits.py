"""Analytics: how routing rules are used, per rule per business day (`analytics.routing_hits`):
the dialogs whose first message the rule matched, those that fell back to the queue (none of its
targets could take them), and how many of them were resolved — by one of the operators routing
chose, or by someone else. Dialogs no rule matched count under the queue. Documented in
docs/analytics.md.

A dialog counts on the day of its first message; its resolution counts as it stands now (a
reopened dialog is unresolved until it is resolved again)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from domain.dialogs import Dialog
from projections.analytics.rows import (
    ANALYTICS_SCHEMA,
    AnalyticsProjection,
    local_day,
)
from projections.base import Changes, metadata
from projections.rows import RowSet

QUEUE = "queue"

routing_hits = sa.Table(
    "routing_hits",
    metadata,
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("rule_key", sa.String(40), primary_key=True),
    sa.Column("rule_id", sa.Uuid),
    sa.Column("rule_name", sa.String(120), nullable=False),
    sa.Column("matches", sa.Integer, nullable=False),
    sa.Column("fallbacks", sa.Integer, nullable=False),
    sa.Column("resolved", sa.Integer, nullable=False),
    sa.Column("resolved_by_target", sa.Integer, nullable=False),
    schema=ANALYTICS_SCHEMA,
)

# Internal, in the `read` schema: each routed dialog, its day once known, and how it ended.
routed_dialogs = sa.Table(
    "analytics_routed_dialogs",
    metadata,
    sa.Column("dialog_id", sa.Uuid, primary_key=True),
    sa.Column("rule_key", sa.String(40), nullable=False),
    sa.Column("rule_id", sa.Uuid),
    sa.Column("rule_name", sa.String(120), nullable=False),
    sa.Column("fallback", sa.Boolean, nullable=False),
    sa.Column("targets", sa.Text, nullable=False),  # JSON: the operators routing chose
    sa.Column("day", sa.Date),
    sa.Column("resolved", sa.Boolean, nullable=False),
    sa.Column("by_target", sa.Boolean, nullable=False),
)

CELL_DEFAULTS = {"matches": 0, "fallbacks": 0, "resolved": 0, "resolved_by_target": 0}


class AnalyticsRoutingHitsProjection(AnalyticsProjection):
    name = "analytics_routing_hits"
    tables = (routing_hits, routed_dialogs)
    events = (Dialog.Routed, Dialog.MessageReceived, Dialog.Resolved, Dialog.Reopened)

    def apply_batch(
        self, conn: sa.Connection, events: Sequence[tuple[int, Any]], changes: Changes
    ) -> None:
        dialogs = RowSet(routed_dialogs, {"resolved": False, "by_target": False})
        cells = RowSet(routing_hits, CELL_DEFAULTS)
        routed = {e.originator_id: e for _, e in events if isinstance(e, Dialog.Routed)}
        dialogs.load(conn, [(e.originator_id,) for _, e in events
                            if e.originator_id not in routed])
        cells.load(conn, self._cells(events, dialogs, routed))
        for _, event in events:
            key = (event.originator_id,)
            if isinstance(event, Dialog.Routed):
                dialogs.new(key, rule_key=QUEUE if event.rule_id is None else str(event.rule_id),
                            rule_id=event.rule_id,
                            rule_name=event.rule_name if event.rule_id is not None else QUEUE,
                            fallback=event.fallback,
                            targets=json.dumps(sorted(str(o) for o in event.candidates)))
                continue
            row = dialogs.fetch(conn, key)
            if row is None:  # opened by an operator: not routed
                continue
            if isinstance(event, Dialog.MessageReceived):
                if row["day"] is None:  # its first message: the day it counts on
                    row["day"] = local_day(event.sent_at, self.zone)
                    dialogs.mark(key)
                    cell = _cell(conn, cells, row)
                    cell["matches"] += 1
                    cell["fallbacks"] += int(row["fallback"])
                    cell["rule_name"] = row["rule_name"]
                    _resolution(cell, row, +1)
                continue
            dated = row["day"] is not None
            if dated:
                _resolution(_cell(conn, cells, row), row, -1)
            if isinstance(event, Dialog.Resolved):
                row["resolved"] = True
                row["by_target"] = (event.operator_id is not None
                                    and str(event.operator_id) in json.loads(row["targets"]))
            else:  # reopened
                row["resolved"] = row["by_target"] = False
            dialogs.mark(key)
            if dated:
                _resolution(_cell(conn, cells, row), row, +1)
        dialogs.flush(conn)
        cells.flush(conn)


    def _cells(self, events: Sequence[tuple[int, Any]], dialogs: RowSet,
               routed: dict[Any, Any]) -> set[tuple[Any, str]]:
        """The (day, rule) cells the batch may change, to read them in one query."""
        keys: set[tuple[Any, str]] = set()
        days: dict[Any, Any] = {}
        for _, event in events:
            row = dialogs.get((event.originator_id,))
            routing: Any = routed.get(event.originator_id)
            if row is not None:
                rule_key = row["rule_key"]
            elif routing is not None:
                rule_key = QUEUE if routing.rule_id is None else str(routing.rule_id)
            else:
                continue
            day = row["day"] if row is not None and row["day"] is not None \
                else days.get(event.originator_id)
            if day is None and isinstance(event, Dialog.MessageReceived):
                day = days[event.originator_id] = local_day(event.sent_at, self.zone)
            if day is not None:
                keys.add((day, rule_key))
        return keys


def _cell(conn: sa.Connection, cells: RowSet, dialog: dict[str, Any]) -> dict[str, Any]:
    key = (dialog["day"], dialog["rule_key"])
    cells.fetch(conn, key)
    return cells.get_or_new(key, rule_id=dialog["rule_id"], rule_name=dialog["rule_name"])


def _resolution(cell: dict[str, Any], dialog: dict[str, Any], sign: int) -> None:
    """Adds what the dialog's resolution counts for (sign -1: takes it away, before it
    changes)."""
    cell["resolved"] += sign * int(dialog["resolved"])
    cell["resolved_by_target"] += sign * int(dialog["by_target"])
