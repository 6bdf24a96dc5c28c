"""Commands: what a user or a gateway asks the system to do. Plain, immutable data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.operators import Role


@dataclass(frozen=True)
class ReceiveClientMessage:
    channel: str
    external_id: str
    phone: str
    name: str
    text: str
    sent_at: datetime


@dataclass(frozen=True)
class EditClientMessage:
    """A client changed the text of a message they sent (Telegram's edited messages)."""

    channel: str
    external_id: str
    text: str
    edited_at: datetime


@dataclass(frozen=True)
class RegisterOperator:
    login: str
    display_name: str
    role: Role
    password_hash: str
    actor: str


@dataclass(frozen=True)
class ChangePassword:
    operator_id: UUID
    password_hash: str
    actor: str


@dataclass(frozen=True)
class AddQueueMember:
    operator_id: UUID
    actor: str
    grant_access: bool = True  # False: refuse an operator outside the access group


@dataclass(frozen=True)
class RemoveQueueMember:
    operator_id: UUID
    actor: str


@dataclass(frozen=True)
class MarkRead:
    dialog_id: UUID
    operator_id: UUID
    actor: str


@dataclass(frozen=True)
class StartSession:
    operator_id: UUID
    session_id: UUID
    expires_at: datetime
    address: str
    actor: str


@dataclass(frozen=True)
class EndSession:
    session_id: UUID
    actor: str
