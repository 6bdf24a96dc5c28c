"""Handlers: one function per command verb. Each reads and changes aggregates through the unit of
work and returns plain values; the writer stores what they changed in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from application import commands as c
from application import routing
from application.channel import hold_if_out_of_service
from application.ports import UnitOfWork
from domain.clients import Client
from domain.dialogs import Dialog, ExternalMessage
from domain.errors import AlreadyExists, NotAllowed, NotFound
from domain.ids import client_id, message_id, operator_id
from domain.operators import Operator
from domain.sessions import Session


@dataclass(frozen=True)
class Received:
    dialog_id: UUID | None  # None when the message was held (WhatsApp out of service)
    message_id: UUID
    duplicate: bool
    held: bool = False


def receive_client_message(cmd: c.ReceiveClientMessage, uow: UnitOfWork) -> Received:
    mid = message_id(cmd.channel, cmd.external_id)
    if uow.is_recorded(mid):
        known = uow.get(ExternalMessage, mid)
        assert known is not None
        return Received(dialog_id=known.dialog_id, message_id=mid, duplicate=True)
    held = hold_if_out_of_service(cmd, uow)  # kept and reported, never dropped
    if held is not None:
        return Received(dialog_id=None, message_id=mid, duplicate=held.duplicate, held=True)
    actor = f"client:{cmd.phone}"
    client = uow.get(Client, client_id(cmd.phone))
    if client is not None and client.merged_into is not None:
        # A lid or business-scoped id known to be a number (the webhook's read model may lag).
        client = uow.get(Client, client.merged_into) or client
    if client is None:
        client = Client.register(phone=cmd.phone, name=cmd.name, actor=actor)
        uow.add(client)
    elif cmd.name:
        client.rename(cmd.name, actor=actor)
    # The current episode, the resolved one reopened, or a new one routed by this message.
    # Distribution comes first, so that the message notifies whoever now holds the dialog.
    dialog = routing.episode_for(uow, client, channel=cmd.channel, text=cmd.text,
                                 at=cmd.sent_at, actor=actor)
    routing.distribute(uow, dialog, at=cmd.sent_at, actor=actor)
    dialog.receive(
        message_id=mid, external_id=cmd.external_id, text=cmd.text, sent_at=cmd.sent_at,
        actor=actor,
    )
    uow.add(ExternalMessage(
        channel=cmd.channel, external_id=cmd.external_id, dialog_id=dialog.id, actor=actor,
    ))
    return Received(dialog_id=dialog.id, message_id=mid, duplicate=False)


def edit_client_message(cmd: c.EditClientMessage, uow: UnitOfWork) -> bool:
    """The client's new text of a message they sent. False when nothing changes: the same text
    again, or a message never received here (not an error: a messenger reports edits of
    messages from before the channel was connected too)."""
    mid = message_id(cmd.channel, cmd.external_id)
    # `get`, not `is_recorded`: the writer may answer is_recorded False optimistically for an id
    # it has not seen (a store conflict corrects that when something is created), and an edit,
    # which creates nothing, would then be lost. `get` always asks the store.
    known = uow.get(ExternalMessage, mid)
    if known is None:
        return False
    dialog = uow.get(Dialog, known.dialog_id)
    if dialog is None:
        return False
    return dialog.edit_client_message(mid, cmd.text, cmd.edited_at,
                                      actor=f"client:{dialog.phone}")


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


@dataclass(frozen=True)
class Read:
    """What MarkRead did: `changed`, whether anything was unread for the operator; and the
    client's messages nobody had read before — numbers `after`+1 to `up_to` in the order they
    came (none when equal), which the messenger may now show the client as read."""

    dialog_id: UUID
    changed: bool
    after: int = 0
    up_to: int = 0

    @property
    def first_read(self) -> bool:
        return self.up_to > self.after


def mark_read(cmd: c.MarkRead, uow: UnitOfWork) -> Read:
    dialog = uow.get(Dialog, cmd.dialog_id)
    if (dialog is None or not dialog.may_read(cmd.operator_id)
            or not routing.has_access(uow, cmd.operator_id)):
        raise NotFound("No such dialog among yours.", field="dialogId")
    before = dialog.read_by_anyone
    changed = dialog.mark_read(cmd.operator_id, actor=cmd.actor)
    return Read(dialog_id=dialog.id, changed=changed, after=before,
                up_to=dialog.read_by_anyone)


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
    c.EditClientMessage: edit_client_message,
    c.RegisterOperator: register_operator,
    c.ChangePassword: change_password,
    c.MarkRead: mark_read,
    c.StartSession: start_session,
    c.EndSession: end_session,
}

__all__ = ["HANDLERS", "Read", "Received", "operator_id"]
