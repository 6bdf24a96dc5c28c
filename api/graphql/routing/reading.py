"""Reading routing's read models into GraphQL types (called in a worker thread)."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import sqlalchemy as sa
import strawberry

from api.graphql.routing.types import (
    MatchMode,
    PresenceStatus,
    RoutingOperator,
    RoutingRule,
)
from projections import operators as operators_view
from projections import presence as presence_view
from projections import routing as routing_view


def parse_uuid(value: object) -> UUID | None:
    try:
        return UUID(str(value))
    except ValueError:
        return None


def roster(conn: sa.Connection) -> dict[UUID, RoutingOperator]:
    """Every operator with their place in routing: group, queue, presence, load, capacity."""
    group = set(routing_view.group_members(conn))
    queue = routing_view.queue_members(conn)
    desks = presence_view.presences(conn)
    policy = routing_view.policy(conn)
    overrides = dict(policy.capacities)
    result: dict[UUID, RoutingOperator] = {}
    for row in operators_view.list_operators(conn):
        desk = desks.get(row.id)
        result[row.id] = RoutingOperator(
            id=strawberry.ID(str(row.id)), login=row.login, display_name=row.display_name,
            role=row.role, active=row.active, in_access_group=row.id in group,
            in_queue=row.id in queue,
            queue_position=queue.index(row.id) if row.id in queue else None,
            presence=PresenceStatus(desk.status.value if desk else "offline"),
            holding=desk.holding if desk else 0, capacity=policy.capacity_of(row.id),
            capacity_override=overrides.get(row.id),
        )
    return result


def ordered(team: dict[UUID, RoutingOperator], ids: Sequence[UUID]) -> list[RoutingOperator]:
    return [team[i] for i in ids if i in team]


def rules(conn: sa.Connection, team: dict[UUID, RoutingOperator] | None = None
          ) -> list[RoutingRule]:
    team = team if team is not None else roster(conn)
    group = set(routing_view.group_members(conn))
    return [
        RoutingRule(
            id=strawberry.ID(str(row.rule.id)), position=i, name=row.rule.name,
            keywords=list(row.rule.keywords), match=MatchMode(row.rule.match.value),
            targets=ordered(team, row.rule.targets), enabled=row.rule.enabled,
            active_targets=sum(1 for t in row.rule.targets if t in group),
            updated_at=row.updated_at, updated_by=row.updated_by,
        )
        for i, row in enumerate(routing_view.rule_rows(conn))
    ]
