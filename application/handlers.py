"""Handlers: one function per command verb. Each reads and changes aggregates through the unit of
work and returns plain values; the writer stores what they changed in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from application import commands as c
from application.ports import UnitOfWork
from domain.clients import Client
from domain.dialogs import Dialog, ExternalMessage
from domain.errors import AlreadyExists, NotAllowed, NotFound
from domain.ids import EMPLOYEE_QUEUE_ID, client_id, message_id, operator_id
from domain.operators import Operator
from domain.queue import EmployeeQueue
from domain.routing import route
from domain.sessions import Session
from domain.setup import INSTALLATION_ID, LONG_POLLING_REFUSAL, Installation


@dataclass(frozen=True)
class Received:
    dialog_id: UUID
    message_id: UUID
    duplicate: bool


def receive_client_message(cmd: c.ReceiveClientMessage, uow: UnitOfWork) -> Received:
    mid = message_id(cmd.channel, cmd.external_id)
    if uow.is_recorded(mid):
        known = uow.get(ExternalMessage, mid)
        assert known is not None
        return Received(dialog_id=known.dialog_id, message_id=mid, duplicate=True)
    installation = uow.get(Installation, INSTALLATION_ID)
    if installation is None:  # never set up: long-polling, as a production installation starts
        raise NotAllowed(LONG_POLLING_REFUSAL)
    installation.ensure_chats_allowed()
    actor = f"client:{cmd.phone}"
    client = uow.get(Client, client_id(cmd.phone))
    if client is None:
        client = Client.register(phone=cmd.phone, name=cmd.name, actor=actor)
        uow.add(client)
    elif cmd.name:
        client.rename(cmd.name, actor=actor)
    dialog = uow.get(Dialog, client.current_dialog_id) if client.current_dialog_id else None
    if dialog is None:
        queue = uow.get(EmployeeQueue, EMPLOYEE_QUEUE_ID)
        chosen = route(cmd.text, queue.members if queue else [])
        dialog = Dialog.open(
            client_id=client.id, phone=client.phone, client_name=client.name,
            channel=cmd.channel, recipients=chosen.recipients, rule=chosen.rule, actor=actor,
        )
        uow.add(dialog)
        client.start_episode(dialog.id, actor=actor)
    dialog.receive(
        message_id=mid, external_id=cmd.external_id, text=cmd.text, sent_at=cmd.sent_at,
        actor=actor,
    )
    uow.add(ExternalMessage(
        channel=cmd.channel, external_id=cmd.external_id, dialog_id=dialog.id, actor=actor,
    ))
    return Received(dialog_id=dialog.id, message_id=mid, duplicate=False)


def register_operator(cmd: c.RegisterOperator, uow: UnitOfWork) -> UUID:
    operator = Operator.register(
        login=cmd.login, display_name=cmd.display_name, role=cmd.role,
        password_hash=cmd.password_hash, actor=cmd.actor,
    )
    if uow.is_recorded(operator.id):
        raise AlreadyExists("An operator with this login exists already.", field="login")
    uow.add(operator)
    return operator.id


def change_password(cmd: c.ChangePassword, uow: UnitOfWork) -> UUID:
    operator = _operator(uow, cmd.operator_id)
    operator.change_password(cmd.password_hash, actor=cmd.actor)
    return operator.id


def add_queue_member(cmd: c.AddQueueMember, uow: UnitOfWork) -> UUID:
    _operator(uow, cmd.operator_id)
    queue = uow.get(EmployeeQueue, EMPLOYEE_QUEUE_ID)
    if queue is None:
        queue = EmployeeQueue(actor=cmd.actor)
        uow.add(queue)
    queue.add_member(cmd.operator_id, actor=cmd.actor)
    return queue.id


def remove_queue_member(cmd: c.RemoveQueueMember, uow: UnitOfWork) -> UUID:
    queue = uow.get(EmployeeQueue, EMPLOYEE_QUEUE_ID)
    if queue is None:
        raise NotFound("This operator is not in the queue.", field="operatorId")
    queue.remove_member(cmd.operator_id, actor=cmd.actor)
    return queue.id


def mark_read(cmd: c.MarkRead, uow: UnitOfWork) -> bool:
    dialog = uow.get(Dialog, cmd.dialog_id)
    if dialog is None or not dialog.may_read(cmd.operator_id):
        raise NotFound("No such dialog among yours.", field="dialogId")
    return dialog.mark_read(cmd.operator_id, actor=cmd.actor)


def start_session(cmd: c.StartSession, uow: UnitOfWork) -> UUID:
    operator = _operator(uow, cmd.operator_id)
    if not operator.active:
        raise NotAllowed("This operator has been deactivated.")
    uow.add(Session(
        session_id=cmd.session_id, operator_id=cmd.operator_id, expires_at=cmd.expires_at,
        address=cmd.address, actor=cmd.actor,
    ))
    return cmd.session_id


def end_session(cmd: c.EndSession, uow: UnitOfWork) -> bool:
    session = uow.get(Session, cmd.session_id)
    if session is None:
        raise NotFound("No such session.")
    return session.end(actor=cmd.actor)


def _operator(uow: UnitOfWork, oid: UUID) -> Operator:
    operator = uow.get(Operator, oid)
    if operator is None:
        raise NotFound("No such operator.", field="operatorId")
    return operator


HANDLERS: dict[type, Callable[[Any, UnitOfWork], Any]] = {
    c.ReceiveClientMessage: receive_client_message,
    c.RegisterOperator: register_operator,
    c.ChangePassword: change_password,
    c.AddQueueMember: add_queue_member,
    c.RemoveQueueMember: remove_queue_member,
    c.MarkRead: mark_read,
    c.StartSession: start_session,
    c.EndSession: end_session,
}

__all__ = ["HANDLERS", "Received", "operator_id"]
