"""Routing as admins read it: the access group, the queue in its order, the rules in theirs, the
distribution settings — and every routing decision with what it was made from (the text, the
queue and the group at that moment), so that `routingWhatIf` replays past traffic through a
proposed rule set from this table alone, never from the aggregates."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa

from domain.access import AccessGroup
from domain.dialogs import Dialog
from domain.distribution import DEFAULT_POLICY, Distribution, Mode, Policy
from domain.queue import EmployeeQueue
from domain.routing import MatchMode, Rule
from domain.routing_rules import RoutingRules
from projections.base import Changes, Projection, metadata

access_members = sa.Table(
    "routing_access_members",
    metadata,
    sa.Column("operator_id", sa.Uuid, primary_key=True),
    sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
)

queue_order = sa.Table(
    "routing_queue",
    metadata,
    sa.Column("operator_id", sa.Uuid, primary_key=True),
    sa.Column("ord", sa.Integer, nullable=False),
)

rules = sa.Table(
    "routing_rules",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("ord", sa.Integer, nullable=False),
    sa.Column("name", sa.String(120), nullable=False),
    sa.Column("keywords", sa.Text, nullable=False),  # JSON list
    sa.Column("match", sa.String(16), nullable=False),
    sa.Column("targets", sa.Text, nullable=False),  # JSON list of operator ids
    sa.Column("enabled", sa.Boolean, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_by", sa.String(160), nullable=False),
)

settings = sa.Table(
    "routing_settings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("mode", sa.String(16), nullable=False),
    sa.Column("idle_timeout_seconds", sa.Integer, nullable=False),
    sa.Column("capacity", sa.Integer, nullable=False),
    sa.Column("reopen_window_hours", sa.Integer, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

capacities = sa.Table(
    "routing_capacities",
    metadata,
    sa.Column("operator_id", sa.Uuid, primary_key=True),
    sa.Column("capacity", sa.Integer, nullable=False),
)

decisions = sa.Table(
    "routing_decisions",
    metadata,
    sa.Column("dialog_id", sa.Uuid, primary_key=True),
    sa.Column("routed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("rule_id", sa.Uuid),
    sa.Column("rule_name", sa.String(120), nullable=False),
    sa.Column("fallback", sa.Boolean, nullable=False),
    sa.Column("mode", sa.String(16), nullable=False),
    sa.Column("recipients", sa.Text, nullable=False),  # JSON: who received it, in order
    sa.Column("queue", sa.Text, nullable=False),  # JSON: the queue then, in order
    sa.Column("group_members", sa.Text, nullable=False),  # JSON: the access group then
    sa.Column("position", sa.BigInteger, nullable=False),
    sa.Index("ix_routing_decisions_routed_at", "routed_at"),
)

SETTINGS_ROW = 1


def _ids(values: Sequence[Any]) -> str:
    return json.dumps([str(v) for v in values])


def _uuids(text: str) -> list[UUID]:
    return [UUID(v) for v in json.loads(text)]


class RoutingProjection(Projection):
    name = "routing"
    tables = (access_members, queue_order, rules, settings, capacities, decisions)
    events = (
        AccessGroup.MemberAdded, AccessGroup.MemberRemoved,
        EmployeeQueue.MemberAdded, EmployeeQueue.MemberRemoved, EmployeeQueue.MemberMoved,
        RoutingRules.RuleAdded, RoutingRules.RuleChanged, RoutingRules.RuleSwitched,
        RoutingRules.RuleMoved, RoutingRules.RuleRemoved,
        Distribution.Configured, Distribution.OperatorCapacitySet,
        Dialog.Routed,
    )

    def apply_batch(
        self, conn: sa.Connection, events: Sequence[tuple[int, Any]], changes: Changes
    ) -> None:
        """Runs of routing decisions (one per new dialog: the hot path) are written with one
        read of the queue and the group and one INSERT; setup changes one by one."""
        run: list[tuple[int, Any]] = []
        for position, event in events:
            if isinstance(event, Dialog.Routed):
                run.append((position, event))
                continue
            self._decisions(conn, run)
            run = []
            self.apply(conn, event, position, changes)
        self._decisions(conn, run)

    def apply(self, conn: sa.Connection, event: Any, position: int, changes: Changes) -> None:
        at = event.timestamp
        match event:
            case AccessGroup.MemberAdded():
                conn.execute(access_members.insert().values(operator_id=event.operator_id,
                                                            added_at=at))
                changes.add("access", event.operator_id, event.operator_id)
            case AccessGroup.MemberRemoved():
                conn.execute(access_members.delete().where(
                    access_members.c.operator_id == event.operator_id))
                changes.add("access", event.operator_id, event.operator_id)
            case EmployeeQueue.MemberAdded():
                last = conn.execute(sa.select(sa.func.max(queue_order.c.ord))).scalar()
                conn.execute(queue_order.insert().values(
                    operator_id=event.operator_id, ord=(last if last is not None else -1) + 1))
            case EmployeeQueue.MemberRemoved():
                conn.execute(queue_order.delete().where(
                    queue_order.c.operator_id == event.operator_id))
                self._renumber(conn, queue_order, queue_order.c.operator_id, [])
            case EmployeeQueue.MemberMoved():
                self._renumber(conn, queue_order, queue_order.c.operator_id,
                               [(event.operator_id, event.position)])
            case RoutingRules.RuleAdded():
                count = conn.execute(sa.select(sa.func.count()).select_from(rules)).scalar_one()
                conn.execute(rules.insert().values(ord=count, **self._rule(event)))
            case RoutingRules.RuleChanged():
                conn.execute(rules.update().where(rules.c.id == event.rule_id)
                             .values(**self._rule(event)))
            case RoutingRules.RuleSwitched():
                conn.execute(rules.update().where(rules.c.id == event.rule_id).values(
                    enabled=event.enabled, updated_at=at, updated_by=event.actor))
            case RoutingRules.RuleMoved():
                self._renumber(conn, rules, rules.c.id, [(event.rule_id, event.position)])
            case RoutingRules.RuleRemoved():
                conn.execute(rules.delete().where(rules.c.id == event.rule_id))
                self._renumber(conn, rules, rules.c.id, [])
            case Distribution.Configured():
                values = {"mode": event.mode, "idle_timeout_seconds": event.idle_timeout_seconds,
                          "capacity": event.capacity,
                          "reopen_window_hours": event.reopen_window_hours, "updated_at": at}
                updated = conn.execute(settings.update().where(settings.c.id == SETTINGS_ROW)
                                       .values(**values)).rowcount
                if not updated:
                    conn.execute(settings.insert().values(id=SETTINGS_ROW, **values))
            case Distribution.OperatorCapacitySet():
                conn.execute(capacities.delete().where(
                    capacities.c.operator_id == event.operator_id))
                if event.capacity is not None:
                    conn.execute(capacities.insert().values(operator_id=event.operator_id,
                                                            capacity=event.capacity))
            case Dialog.Routed():
                self._decisions(conn, [(position, event)])
                return
        changes.add("routing", "all", event.originator_id)

    @staticmethod
    def _rule(event: Any) -> dict[str, Any]:
        return {"id": event.rule_id, "name": event.name,
                "keywords": json.dumps(list(event.keywords), ensure_ascii=False),
                "match": event.match, "targets": _ids(event.targets), "enabled": event.enabled,
                "updated_at": event.timestamp, "updated_by": event.actor}

    @staticmethod
    def _renumber(conn: sa.Connection, table: sa.Table, key: sa.Column[Any],
                  moves: list[tuple[UUID, int]]) -> None:
        order = list(conn.execute(sa.select(key).order_by(table.c.ord)).scalars())
        for moved, position in moves:
            if moved in order:
                order.remove(moved)
                order.insert(max(0, min(position, len(order))), moved)
        for ord_, item in enumerate(order):
            conn.execute(table.update().where(key == item).values(ord=ord_))

    @staticmethod
    def _decisions(conn: sa.Connection, run: Sequence[tuple[int, Any]]) -> None:
        """Each decision with the queue and the group as they were (no change among them)."""
        if not run:
            return
        queue = _ids(conn.execute(sa.select(queue_order.c.operator_id)
                                  .order_by(queue_order.c.ord)).scalars().all())
        group = _ids(sorted(conn.execute(sa.select(access_members.c.operator_id)).scalars(),
                            key=str))
        conn.execute(decisions.insert(), [{
            "dialog_id": event.originator_id, "routed_at": event.timestamp, "text": event.text,
            "rule_id": event.rule_id, "rule_name": event.rule_name, "fallback": event.fallback,
            "mode": event.mode, "recipients": _ids(event.candidates), "queue": queue,
            "group_members": group, "position": position,
        } for position, event in run])


# -- queries -------------------------------------------------------------------------------
def group_members(conn: sa.Connection) -> list[UUID]:
    return list(conn.execute(sa.select(access_members.c.operator_id)).scalars())


def in_group(conn: sa.Connection, operator_id: UUID) -> bool:
    return conn.execute(sa.select(access_members.c.operator_id).where(
        access_members.c.operator_id == operator_id)).first() is not None


def queue_members(conn: sa.Connection) -> list[UUID]:
    return list(conn.execute(sa.select(queue_order.c.operator_id)
                             .order_by(queue_order.c.ord)).scalars())


@dataclass(frozen=True)
class RuleRow:
    rule: Rule
    updated_at: datetime
    updated_by: str


def rule_rows(conn: sa.Connection) -> list[RuleRow]:
    return [
        RuleRow(rule=Rule(id=row.id, name=row.name, keywords=tuple(json.loads(row.keywords)),
                          match=MatchMode(row.match), targets=tuple(_uuids(row.targets)),
                          enabled=row.enabled),
                updated_at=row.updated_at, updated_by=row.updated_by)
        for row in conn.execute(sa.select(rules).order_by(rules.c.ord))
    ]


def current_rules(conn: sa.Connection) -> list[Rule]:
    return [row.rule for row in rule_rows(conn)]


def policy(conn: sa.Connection) -> Policy:
    row = conn.execute(sa.select(settings).where(settings.c.id == SETTINGS_ROW)).first()
    overrides = tuple(sorted(
        ((r.operator_id, r.capacity) for r in conn.execute(sa.select(capacities))),
        key=lambda pair: str(pair[0])))
    if row is None:
        return Policy(capacities=overrides)
    return Policy(mode=Mode(row.mode), idle_timeout_seconds=row.idle_timeout_seconds,
                  capacity=row.capacity, reopen_window_hours=row.reopen_window_hours,
                  capacities=overrides)


def default_policy() -> Policy:
    return DEFAULT_POLICY


@dataclass(frozen=True)
class Decision:
    dialog_id: UUID
    routed_at: datetime
    text: str
    rule_id: UUID | None
    rule_name: str
    fallback: bool
    recipients: list[UUID]
    queue: list[UUID]
    group: list[UUID]


def decisions_between(
    conn: sa.Connection, since: datetime, until: datetime, limit: int
) -> list[Decision]:
    """Routing decisions made in [since, until), oldest first, at most `limit`."""
    rows = conn.execute(
        sa.select(decisions).where(decisions.c.routed_at >= since, decisions.c.routed_at < until)
        .order_by(decisions.c.position).limit(limit))
    return [
        Decision(dialog_id=row.dialog_id, routed_at=row.routed_at, text=row.text,
                 rule_id=row.rule_id, rule_name=row.rule_name, fallback=row.fallback,
                 recipients=_uuids(row.recipients), queue=_uuids(row.queue),
                 group=_uuids(row.group_members))
        for row in rows
    ]
