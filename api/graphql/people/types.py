"""People as admins see them: each operator with role, membership, presence, last sign-in."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.graphql.auth.types import OperatorRole
from api.graphql.routing.types import PresenceStatus


@strawberry.type(description="An employee as the People page lists them.")
class Person:
    id: strawberry.ID
    login: str
    display_name: str
    role: OperatorRole
    email: str = strawberry.field(description="Where one-time passwords are mailed; may be empty.")
    active: bool = strawberry.field(description="False once deactivated: they cannot sign in.")
    in_access_group: bool = strawberry.field(description="Reads and answers routed dialogs.")
    in_queue: bool = strawberry.field(description="Takes dialogs that no rule sends elsewhere.")
    presence: PresenceStatus
    last_sign_in_at: datetime | None
    created_at: datetime


@strawberry.type(description="The operator as they are after the change.")
class PersonPayload:
    operator: Person


@strawberry.type(description="A one-time password: shown here once (never again, nowhere "
                             "else), or mailed to `mailedTo` (then `oneTimePassword` is null).")
class OneTimePasswordPayload:
    operator: Person
    one_time_password: str | None
    mailed_to: str | None
