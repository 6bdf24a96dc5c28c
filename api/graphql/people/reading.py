"""Reads the People page's rows from the operators', routing's, presence's and sessions' read
models."""

from __future__ import annotations

from uuid import UUID

import strawberry
from anyio import to_thread

from api.graphql.auth.types import OperatorRole
from api.graphql.people.types import Person
from api.graphql.routing.types import PresenceStatus
from application.services import Services
from projections import operators as operators_view
from projections import presence as presence_view
from projections import routing as routing_view
from projections import sessions as sessions_view

PROJECTIONS = ("operators", "sessions", "routing", "presence")


def _people(app: Services) -> list[Person]:
    with app.reads.connect() as conn:
        rows = operators_view.list_operators(conn)
        group = set(routing_view.group_members(conn))
        queue = set(routing_view.queue_members(conn))
        presences = presence_view.presences(conn)
        signed_in = sessions_view.last_sign_ins(conn)
    people = []
    for row in rows:
        desk = presences.get(row.id)
        people.append(Person(
            id=strawberry.ID(str(row.id)), login=row.login, display_name=row.display_name,
            role=OperatorRole(row.role), email=row.email, active=row.active,
            in_access_group=row.id in group, in_queue=row.id in queue,
            presence=PresenceStatus(desk.status.value if desk and row.active else "offline"),
            last_sign_in_at=signed_in.get(row.id), created_at=row.created_at))
    return people


async def people(app: Services) -> list[Person]:
    return await to_thread.run_sync(_people, app)


async def person(app: Services, operator_id: UUID) -> Person | None:
    return next((p for p in await people(app) if p.id == str(operator_id)), None)


def _active_admins(app: Services) -> tuple[UUID, ...]:
    with app.reads.connect() as conn:
        return tuple(row.id for row in operators_view.list_operators(conn)
                     if row.active and row.role == "admin")


async def active_admins(app: Services) -> tuple[UUID, ...]:
    return await to_thread.run_sync(_active_admins, app)

