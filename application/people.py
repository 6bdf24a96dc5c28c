"""People: admins create operators, change their name and role, give them a one-time password
(shown once, or mailed), deactivate and reactivate them; everyone changes their own password.
Each is an event of the operator with its actor, and so an entry of the audit.

Deactivating signs the person out everywhere at once (the sessions' read model ends every open
session on `Operator.Deactivated`, which closes their sockets; a token of an inactive operator
is refused anyway), takes them out of the access group and the queue and hands the dialogs they
held to others — their dialogs, messages and history stay. The last active admin can be neither
deactivated nor made something else."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from anyio import to_thread

from application import commands as c
from application.auth import OperatorDirectory, Principal
from application.ports import CommandBus, Mailer, PasswordHasher, UnitOfWork
from application.routing.access import RemoveAccessMember, remove_access_member
from application.routing.shared import has_access
from domain.errors import AlreadyExists, InvalidValue, NotAllowed, NotFound
from domain.operators import Operator, Role

MIN_PASSWORD = 8
ONE_TIME_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
ONE_TIME_LENGTH = 14


# -- refusals (each code is translated by the panel) ------------------------------------------
class LoginTaken(AlreadyExists):
    code = "LOGIN_TAKEN"


class WeakPassword(InvalidValue):
    code = "WEAK_PASSWORD"


class WrongPassword(NotAllowed):
    code = "WRONG_PASSWORD"


class LastAdmin(NotAllowed):
    code = "LAST_ADMIN"


class OperatorNotFound(NotFound):
    code = "OPERATOR_NOT_FOUND"


class OperatorInactive(NotAllowed):
    code = "OPERATOR_INACTIVE"


class NotYourself(NotAllowed):
    code = "NOT_YOURSELF"


def check_password(password: str, login: str) -> None:
    """A password is at least 8 characters, not the login, and not one character repeated."""
    if len(password) < MIN_PASSWORD:
        raise WeakPassword(f"A password is at least {MIN_PASSWORD} characters.", field="password")
    if login and login.lower() in password.lower():
        raise WeakPassword("A password may not contain the login.", field="password")
    if len(set(password)) < 4:
        raise WeakPassword("A password needs at least 4 different characters.",
                           field="password")


def one_time_password() -> str:
    return "".join(secrets.choice(ONE_TIME_ALPHABET) for _ in range(ONE_TIME_LENGTH))


# -- commands -------------------------------------------------------------------------------
@dataclass(frozen=True)
class CreateOperator:
    login: str
    display_name: str
    role: Role
    email: str
    password_hash: str
    actor: str


@dataclass(frozen=True)
class UpdateOperator:
    """`None` keeps a value. `admins`: the active admins the read model knows (the handler
    checks each against its aggregate before taking away the last one's role)."""

    operator_id: UUID
    display_name: str | None
    role: Role | None
    email: str | None
    admins: tuple[UUID, ...]
    actor: str


@dataclass(frozen=True)
class ResetOperatorPassword:
    operator_id: UUID
    password_hash: str
    actor: str


@dataclass(frozen=True)
class DeactivateOperator:
    operator_id: UUID
    admins: tuple[UUID, ...]
    at: datetime
    actor: str


@dataclass(frozen=True)
class ReactivateOperator:
    operator_id: UUID
    actor: str


# -- handlers -------------------------------------------------------------------------------
def _operator(uow: UnitOfWork, oid: UUID) -> Operator:
    operator = uow.get(Operator, oid)
    if operator is None:
        raise OperatorNotFound("No such operator.", field="operatorId")
    return operator


def _active(uow: UnitOfWork, oid: UUID) -> Operator:
    operator = _operator(uow, oid)
    if not operator.active:
        raise OperatorInactive("This operator has been deactivated.", field="operatorId")
    return operator


def _ensure_another_admin(uow: UnitOfWork, leaving: UUID, admins: tuple[UUID, ...]) -> None:
    for oid in admins:
        if oid == leaving:
            continue
        other = uow.get(Operator, oid)
        if other is not None and other.active and other.role == Role.ADMIN:
            return
    raise LastAdmin("This is the last active admin: make someone else an admin first.",
                    field="operatorId")


def create_operator(cmd: CreateOperator, uow: UnitOfWork) -> UUID:
    operator = Operator.register(login=cmd.login, display_name=cmd.display_name, role=cmd.role,
                                 password_hash=cmd.password_hash, actor=cmd.actor)
    if uow.is_recorded(operator.id):
        raise LoginTaken("An operator with this login exists already.", field="login")
    if cmd.email:
        operator.change_email(cmd.email, actor=cmd.actor)
    uow.add(operator)
    return operator.id


def update_operator(cmd: UpdateOperator, uow: UnitOfWork) -> bool:
    operator = _active(uow, cmd.operator_id)
    if (cmd.role is not None and operator.role == Role.ADMIN and cmd.role != Role.ADMIN):
        _ensure_another_admin(uow, operator.id, cmd.admins)
    changed = False
    if cmd.display_name is not None and cmd.display_name.strip() != operator.display_name:
        operator.rename(cmd.display_name, actor=cmd.actor)  # refuses an empty or long name
        changed = True
    if cmd.email is not None:
        changed = operator.change_email(cmd.email, actor=cmd.actor) or changed
    if cmd.role is not None:
        changed = operator.change_role(cmd.role, actor=cmd.actor) or changed
    return changed


def reset_operator_password(cmd: ResetOperatorPassword, uow: UnitOfWork) -> UUID:
    operator = _active(uow, cmd.operator_id)
    operator.reset_password(cmd.password_hash, actor=cmd.actor)
    return operator.id


def deactivate_operator(cmd: DeactivateOperator, uow: UnitOfWork) -> UUID:
    operator = _active(uow, cmd.operator_id)
    if operator.role == Role.ADMIN:
        _ensure_another_admin(uow, operator.id, cmd.admins)
    if has_access(uow, operator.id):  # leaves the group and the queue; held dialogs go on
        remove_access_member(RemoveAccessMember(operator_id=operator.id, at=cmd.at,
                                                actor=cmd.actor), uow)
    operator.deactivate(actor=cmd.actor)
    return operator.id


def reactivate_operator(cmd: ReactivateOperator, uow: UnitOfWork) -> UUID:
    operator = _operator(uow, cmd.operator_id)
    if operator.active:
        raise NotAllowed("This operator is active.", field="operatorId")
    operator.reactivate(actor=cmd.actor)
    return operator.id


HANDLERS: dict[type, Callable[[Any, UnitOfWork], Any]] = {
    CreateOperator: create_operator,
    UpdateOperator: update_operator,
    ResetOperatorPassword: reset_operator_password,
    DeactivateOperator: deactivate_operator,
    ReactivateOperator: reactivate_operator,
}


# -- the service the entrypoints call ---------------------------------------------------------
@dataclass(frozen=True)
class OneTimePassword:
    """A new one-time password: `password` is shown once (None when it was mailed: `mailed_to`)."""

    operator_id: UUID
    password: str | None
    mailed_to: str | None


class People:
    """Hashing (off the event loop), one-time passwords and mailing them around the commands.
    `mailer` is None when mail does not leave (no SMTP server): passwords are then shown."""

    def __init__(self, *, bus: CommandBus, hasher: PasswordHasher, directory: OperatorDirectory,
                 mailer: Mailer | None) -> None:
        self._bus = bus
        self._hasher = hasher
        self._directory = directory
        self._mailer = mailer

    async def _hash(self, password: str) -> str:
        return await to_thread.run_sync(self._hasher.hash, password)

    async def create(self, *, login: str, display_name: str, role: Role, email: str,
                     actor: str) -> OneTimePassword:
        password = one_time_password()
        oid: UUID = await self._bus.execute(CreateOperator(
            login=login, display_name=display_name, role=role, email=email,
            password_hash=await self._hash(password), actor=actor))
        return await self._hand_over(oid, login.strip().lower(), email.strip(), password)

    async def reset(self, operator_id: UUID, *, login: str, email: str,
                    actor: str) -> OneTimePassword:
        password = one_time_password()
        await self._bus.execute(ResetOperatorPassword(
            operator_id=operator_id, password_hash=await self._hash(password), actor=actor))
        return await self._hand_over(operator_id, login, email, password)

    async def _hand_over(self, oid: UUID, login: str, email: str,
                         password: str) -> OneTimePassword:
        if self._mailer is None or not email:
            return OneTimePassword(oid, password, None)
        body = (f"Your login: {login}\nYour one-time password: {password}\n\n"
                "Sign in and choose your own password: the key button at the top of the panel.\n")
        try:
            await self._mailer.send(email, "Your Switchboard password", body)
        except Exception:  # the mail did not leave: show the password instead, never lose it
            return OneTimePassword(oid, password, None)
        return OneTimePassword(oid, None, email)

    async def change_my_password(self, me: Principal, current: str, new: str) -> None:
        record = await to_thread.run_sync(self._directory.by_id, me.operator_id)
        if record is None or not record.active:
            raise OperatorInactive("This operator has been deactivated.")
        if not await to_thread.run_sync(self._hasher.verify, record.password_hash, current):
            raise WrongPassword("The current password is wrong.", field="currentPassword")
        check_password(new, me.login)
        if new == current:
            raise WeakPassword("The new password is the current one.", field="password")
        await self._bus.execute(c.ChangePassword(
            operator_id=me.operator_id, password_hash=await self._hash(new), actor=me.actor))
