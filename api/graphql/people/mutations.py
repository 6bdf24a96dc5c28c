"""People's mutations. Admins: `createOperator`, `updateOperator`, `resetOperatorPassword`,
`deactivateOperator`, `reactivateOperator`; everyone signed in: `changeMyPassword`. A refusal
answers a UserError with a code (LOGIN_TAKEN, INVALID_VALUE on `login`, WEAK_PASSWORD,
WRONG_PASSWORD, LAST_ADMIN, OPERATOR_NOT_FOUND, OPERATOR_INACTIVE, NOT_YOURSELF) and changes
nothing. Each answer waits until the read models hold the change: a deactivated person's next
call is refused, and their sockets are closed, by the time the admin hears back."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import strawberry

from api.graphql.auth.types import OperatorRole
from api.graphql.catch_up import read_models_caught_up
from api.graphql.context import Info
from api.graphql.errors import Done, UserError
from api.graphql.inbox.queries import parse_id
from api.graphql.people.reading import PROJECTIONS, active_admins, person
from api.graphql.people.types import OneTimePasswordPayload, PersonPayload
from api.graphql.permissions import IsAdmin, IsAuthenticated
from application import people as p
from application.errors import DomainError, Role

CreateOperatorResult = Annotated[OneTimePasswordPayload | UserError,
                                 strawberry.union("CreateOperatorResult")]
UpdateOperatorResult = Annotated[PersonPayload | UserError,
                                 strawberry.union("UpdateOperatorResult")]
ResetOperatorPasswordResult = Annotated[OneTimePasswordPayload | UserError,
                                        strawberry.union("ResetOperatorPasswordResult")]
DeactivateOperatorResult = Annotated[PersonPayload | UserError,
                                     strawberry.union("DeactivateOperatorResult")]
ReactivateOperatorResult = Annotated[PersonPayload | UserError,
                                     strawberry.union("ReactivateOperatorResult")]
ChangeMyPasswordResult = Annotated[Done | UserError, strawberry.union("ChangeMyPasswordResult")]


def _not_found() -> UserError:
    return UserError(code="OPERATOR_NOT_FOUND", field="id", message="No such operator.")


async def _changed(info: Info, operator_id: UUID) -> PersonPayload | UserError:
    app = info.context.app
    await read_models_caught_up(app, *PROJECTIONS)
    found = await person(app, operator_id)
    return PersonPayload(operator=found) if found is not None else _not_found()


async def _handed_over(info: Info, given: p.OneTimePassword) -> OneTimePasswordPayload | UserError:
    answer = await _changed(info, given.operator_id)
    if isinstance(answer, UserError):
        return answer
    return OneTimePasswordPayload(operator=answer.operator, one_time_password=given.password,
                                  mailed_to=given.mailed_to)


@strawberry.type
class PeopleMutation:
    @strawberry.mutation(permission_classes=[IsAdmin],
                         description="A new operator with a one-time password (shown once in "
                                     "the answer, or mailed when they have an e-mail address "
                                     "and an SMTP server is set). Admins only.")
    async def create_operator(self, info: Info, login: str, display_name: str,
                              role: OperatorRole, email: str = "") -> CreateOperatorResult:
        me = info.context.me
        try:
            given = await info.context.app.people.create(
                login=login, display_name=display_name, role=Role(role.value), email=email,
                actor=me.actor)
        except DomainError as error:
            return UserError.of(error)
        return await _handed_over(info, given)

    @strawberry.mutation(permission_classes=[IsAdmin],
                         description="Changes an operator's name, role and/or e-mail address (a "
                                     "null argument keeps it). The last active admin stays an "
                                     "admin. Admins only.")
    async def update_operator(self, info: Info, id: strawberry.ID,
                              display_name: str | None = None, role: OperatorRole | None = None,
                              email: str | None = None) -> UpdateOperatorResult:
        oid = parse_id(id)
        if oid is None:
            return _not_found()
        app = info.context.app
        try:
            await app.bus.execute(p.UpdateOperator(
                operator_id=oid, display_name=display_name,
                role=Role(role.value) if role is not None else None, email=email,
                admins=await active_admins(app), actor=info.context.me.actor))
        except DomainError as error:
            return UserError.of(error)
        return await _changed(info, oid)

    @strawberry.mutation(permission_classes=[IsAdmin],
                         description="Gives an operator a new one-time password (shown once, or "
                                     "mailed); the old one stops working. Admins only.")
    async def reset_operator_password(self, info: Info,
                                      id: strawberry.ID) -> ResetOperatorPasswordResult:
        oid = parse_id(id)
        app = info.context.app
        found = await person(app, oid) if oid is not None else None
        if oid is None or found is None:
            return _not_found()
        try:
            given = await app.people.reset(oid, login=found.login, email=found.email,
                                           actor=info.context.me.actor)
        except DomainError as error:
            return UserError.of(error)
        return await _handed_over(info, given)

    @strawberry.mutation(permission_classes=[IsAdmin],
                         description="Deactivates an operator: signed out everywhere at once, "
                                     "out of the access group and the queue (the dialogs they "
                                     "held go to others); their history stays. Not yourself, "
                                     "not the last active admin. Admins only.")
    async def deactivate_operator(self, info: Info,
                                  id: strawberry.ID) -> DeactivateOperatorResult:
        oid = parse_id(id)
        if oid is None:
            return _not_found()
        me = info.context.me
        if oid == me.operator_id:
            return UserError(code="NOT_YOURSELF", field="id",
                             message="You cannot deactivate yourself.")
        app = info.context.app
        try:
            await app.bus.execute(p.DeactivateOperator(
                operator_id=oid, admins=await active_admins(app), at=app.clock.now(),
                actor=me.actor))
        except DomainError as error:
            return UserError.of(error)
        return await _changed(info, oid)

    @strawberry.mutation(permission_classes=[IsAdmin],
                         description="Lets a deactivated operator sign in again (they are not "
                                     "put back in the access group or the queue). Admins only.")
    async def reactivate_operator(self, info: Info,
                                  id: strawberry.ID) -> ReactivateOperatorResult:
        oid = parse_id(id)
        if oid is None:
            return _not_found()
        try:
            await info.context.app.bus.execute(p.ReactivateOperator(
                operator_id=oid, actor=info.context.me.actor))
        except DomainError as error:
            return UserError.of(error)
        return await _changed(info, oid)

    @strawberry.mutation(permission_classes=[IsAuthenticated],
                         description="Changes your own password: the current one, then a new one "
                                     "(at least 8 characters, not your login).")
    async def change_my_password(self, info: Info, current_password: str,
                                 new_password: str) -> ChangeMyPasswordResult:
        try:
            await info.context.app.people.change_my_password(info.context.me, current_password,
                                                             new_password)
        except DomainError as error:
            return UserError.of(error)
        await read_models_caught_up(info.context.app, "operators")
        return Done()
