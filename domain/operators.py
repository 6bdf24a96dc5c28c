"""Operators: the company's employees who answer clients, and the admins and auditors."""

from __future__ import annotations

import re
from enum import StrEnum
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidValue, NotAllowed
from domain.ids import operator_id

LOGIN_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,63}$")


class Role(StrEnum):
    ADMIN = "admin"
    OPERATOR = "operator"
    AUDITOR = "auditor"
    SUPERVISOR = "supervisor"  # reads every dialog and the queue, reassigns, resolves; no setup


def normalise_login(login: str) -> str:
    value = login.strip().lower()
    if not LOGIN_PATTERN.match(value):
        raise InvalidValue(
            "A login is 2 to 64 characters: latin letters, digits, '.', '_', '@' or '-'.",
            field="login",
        )
    return value


EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


def normalise_email(email: str) -> str:
    """An operator's e-mail address, where one-time passwords may be mailed; "" for none."""
    value = email.strip()
    if value and (len(value) > 254 or not EMAIL_PATTERN.match(value)):
        raise InvalidValue("This is not an e-mail address.", field="email")
    return value


class Operator(Aggregate):
    class Registered(Aggregate.Created):
        login: str
        display_name: str
        role: str
        password_hash: str
        actor: str

    class PasswordChanged(Aggregate.Event):
        password_hash: str
        actor: str

    class Renamed(Aggregate.Event):
        display_name: str
        actor: str

    class Deactivated(Aggregate.Event):
        actor: str

    class Reactivated(Aggregate.Event):
        actor: str

    class RoleChanged(Aggregate.Event):
        role: str
        actor: str

    class PasswordReset(Aggregate.Event):
        """An admin gave the operator a one-time password (its hash; the password is shown once
        or mailed, never stored)."""

        password_hash: str
        actor: str

    class EmailChanged(Aggregate.Event):
        email: str  # "" when removed
        actor: str

    @staticmethod
    def create_id(login: str) -> UUID:
        return operator_id(login)

    @event(Registered)
    def __init__(
        self, login: str, display_name: str, role: str, password_hash: str, actor: str
    ) -> None:
        self.login = login
        self.display_name = display_name
        self.role = Role(role)
        self.password_hash = password_hash
        self.active = True
        self.email = ""

    @classmethod
    def register(
        cls, *, login: str, display_name: str, role: Role, password_hash: str, actor: str
    ) -> Operator:
        login = normalise_login(login)
        name = display_name.strip() or login
        if len(name) > 120:
            raise InvalidValue("A display name is at most 120 characters.", field="displayName")
        return cls(
            login=login, display_name=name, role=role.value, password_hash=password_hash,
            actor=actor,
        )

    def change_password(self, password_hash: str, actor: str) -> None:
        self._ensure_active()
        self._change_password(password_hash=password_hash, actor=actor)

    @event(PasswordChanged)
    def _change_password(self, password_hash: str, actor: str) -> None:
        self.password_hash = password_hash

    def rename(self, display_name: str, actor: str) -> None:
        self._ensure_active()
        name = display_name.strip()
        if not name or len(name) > 120:
            raise InvalidValue("A display name is 1 to 120 characters.", field="displayName")
        self._rename(display_name=name, actor=actor)

    @event(Renamed)
    def _rename(self, display_name: str, actor: str) -> None:
        self.display_name = display_name

    def deactivate(self, actor: str) -> None:
        self._ensure_active()
        self._deactivate(actor=actor)

    @event(Deactivated)
    def _deactivate(self, actor: str) -> None:
        self.active = False

    def reactivate(self, actor: str) -> None:
        if self.active:
            raise NotAllowed("This operator is active already.")
        self._reactivate(actor=actor)

    @event(Reactivated)
    def _reactivate(self, actor: str) -> None:
        self.active = True

    def change_role(self, role: Role, actor: str) -> bool:
        self._ensure_active()
        if role == self.role:
            return False
        self._change_role(role=role.value, actor=actor)
        return True

    @event(RoleChanged)
    def _change_role(self, role: str, actor: str) -> None:
        self.role = Role(role)

    def reset_password(self, password_hash: str, actor: str) -> None:
        self._ensure_active()
        self._reset_password(password_hash=password_hash, actor=actor)

    @event(PasswordReset)
    def _reset_password(self, password_hash: str, actor: str) -> None:
        self.password_hash = password_hash

    def change_email(self, email: str, actor: str) -> bool:
        email = normalise_email(email)
        if email == self.email:
            return False
        self._change_email(email=email, actor=actor)
        return True

    @event(EmailChanged)
    def _change_email(self, email: str, actor: str) -> None:
        self.email = email

    def _ensure_active(self) -> None:
        if not self.active:
            raise NotAllowed("This operator has been deactivated.")
