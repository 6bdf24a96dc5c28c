"""Operators' presence — panels connecting and disconnecting, the status they choose — and the
notifications they have seen. An operator who becomes available takes waiting dialogs at once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from application.ports import UnitOfWork
from application.routing.distribution import assign_waiting
from application.routing.shared import policy, presence_of
from domain.notifications import NotificationCursor, notification_cursor_id
from domain.presence import Presence


# -- commands -------------------------------------------------------------------------------
@dataclass(frozen=True)
class ConnectPanel:
    operator_id: UUID
    connection_id: UUID
    replica: str
    at: datetime
    actor: str


@dataclass(frozen=True)
class DisconnectPanel:
    operator_id: UUID
    connection_id: UUID
    at: datetime
    actor: str


@dataclass(frozen=True)
class ChoosePresence:
    operator_id: UUID
    status: str
    at: datetime
    actor: str


@dataclass(frozen=True)
class MarkNotificationsSeen:
    operator_id: UUID
    up_to: int
    actor: str


# -- handlers -------------------------------------------------------------------------------
def connect_panel(cmd: ConnectPanel, uow: UnitOfWork) -> str:
    return _presence_change(uow, cmd.operator_id, cmd.at, cmd.actor, lambda p: p.connect(
        cmd.connection_id, cmd.replica, at=cmd.at, actor=cmd.actor))


def disconnect_panel(cmd: DisconnectPanel, uow: UnitOfWork) -> str:
    return _presence_change(uow, cmd.operator_id, cmd.at, cmd.actor, lambda p: p.disconnect(
        cmd.connection_id, at=cmd.at, actor=cmd.actor))


def choose_presence(cmd: ChoosePresence, uow: UnitOfWork) -> str:
    return _presence_change(uow, cmd.operator_id, cmd.at, cmd.actor, lambda p: p.choose(
        cmd.status, at=cmd.at, actor=cmd.actor))


def _presence_change(
    uow: UnitOfWork, operator_id: UUID, at: datetime, actor: str,
    change: Callable[[Presence], bool],
) -> str:
    """Changes presence; an operator who becomes available takes waiting dialogs at once."""
    presence = presence_of(uow, operator_id, actor)
    capacity = policy(uow).capacity_of(operator_id)
    was_available = presence.available(capacity)
    change(presence)
    if presence.available(capacity) and not was_available:
        assign_waiting(uow, at=at, actor=actor, only=operator_id)
    return presence.status.value


def mark_notifications_seen(cmd: MarkNotificationsSeen, uow: UnitOfWork) -> bool:
    cursor_id = notification_cursor_id(cmd.operator_id)
    cursor = uow.get(NotificationCursor, cursor_id)
    if cursor is None:
        cursor = NotificationCursor(operator_id=cmd.operator_id, actor=cmd.actor)
        uow.add(cursor)
    return cursor.see(cmd.up_to, actor=cmd.actor)


HANDLERS: dict[type, Callable[[Any, UnitOfWork], Any]] = {
    ConnectPanel: connect_panel,
    DisconnectPanel: disconnect_panel,
    ChoosePresence: choose_presence,
    MarkNotificationsSeen: mark_notifications_seen,
}
