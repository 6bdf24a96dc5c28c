"""What gateways report about a conversation besides new messages: a client's message deleted
for everyone, a reaction on a message (the client's or one of ours), and a reply the company
typed on the linked phone itself. (A client's edit is `EditClientMessage` in handlers.py.)

Each command names messages by the gateway's ids: a client's message by the id it arrived
with (`ExternalMessage`), one of our replies by the id the gateway returned when it was sent
(`GatewayReceipt`, as delivery reports find it)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from application.ports import UnitOfWork
from domain.clients import Client
from domain.dialogs import Dialog, ExternalMessage
from domain.ids import client_id, message_id
from domain.outbox import GatewayReceipt, OutgoingMessage, receipt_id


@dataclass(frozen=True)
class RevokeClientMessage:
    """The client deleted a message they sent, for everyone."""

    channel: str
    external_id: str
    revoked_at: datetime


@dataclass(frozen=True)
class ReactToMessage:
    """`sender` reacted with `emoji` (empty: took the reaction back) to the message the
    gateway names `target_external_id`: a client's message or one of our replies."""

    channel: str
    target_external_id: str
    sender: str
    emoji: str
    at: datetime


@dataclass(frozen=True)
class RecordPhoneReply:
    """The company wrote to `recipient` on the linked phone, not through Switchboard."""

    channel: str
    external_id: str
    recipient: str
    text: str
    sent_at: datetime


def revoke_client_message(cmd: RevokeClientMessage, uow: UnitOfWork) -> bool:
    """False when nothing changes: a message never received here, or deleted already."""
    mid = message_id(cmd.channel, cmd.external_id)
    dialog = _dialog_of(uow, mid)
    if dialog is None:
        return False
    return dialog.revoke_client_message(mid, cmd.revoked_at, actor=f"client:{dialog.phone}")


def react_to_message(cmd: ReactToMessage, uow: UnitOfWork) -> bool:
    """False when the target message is not known here, or the reaction is already shown."""
    target = _target(uow, cmd.channel, cmd.target_external_id)
    if target is None:
        return False
    dialog, mid = target
    return dialog.react(message_id=mid, sender=cmd.sender, emoji=cmd.emoji, at=cmd.at,
                        actor=f"client:{cmd.sender}")


def record_phone_reply(cmd: RecordPhoneReply, uow: UnitOfWork) -> bool:
    """Shows the company's own message typed on the phone in the client's current dialog.
    False for one of our sends reported back (its id is a receipt of an outgoing message), a
    repeat (its id is recorded), or a client with no dialog here (nothing to show it in: a
    message from the company opens no dialog and goes through no routing)."""
    if _our_send(uow, cmd.channel, cmd.external_id) is not None:
        return False
    mid = message_id(cmd.channel, cmd.external_id)
    if uow.is_recorded(mid):
        return False
    client = uow.get(Client, client_id(cmd.recipient))
    if client is not None and client.merged_into is not None:
        client = uow.get(Client, client.merged_into)
    if client is None or client.current_dialog_id is None:
        return False
    dialog = uow.get(Dialog, client.current_dialog_id)
    if dialog is None:
        return False
    actor = f"phone:{cmd.channel}"
    dialog.record_phone_reply(message_id=mid, external_id=cmd.external_id, text=cmd.text,
                              sent_at=cmd.sent_at, actor=actor)
    uow.add(ExternalMessage(channel=cmd.channel, external_id=cmd.external_id,
                            dialog_id=dialog.id, actor=actor))
    return True


# -- helpers ---------------------------------------------------------------------------------
def _dialog_of(uow: UnitOfWork, mid: UUID) -> Dialog | None:
    # `get`, not `is_recorded`: nothing is created here, and the writer may answer is_recorded
    # optimistically for an id it has not seen (see edit_client_message).
    known = uow.get(ExternalMessage, mid)
    if known is None:
        return None
    return uow.get(Dialog, known.dialog_id)


def _our_send(uow: UnitOfWork, channel: str, external_id: str) -> OutgoingMessage | None:
    receipt = uow.get(GatewayReceipt, receipt_id(channel, external_id))
    if receipt is None or receipt.message_id is None:
        return None
    return uow.get(OutgoingMessage, receipt.message_id)


def _target(uow: UnitOfWork, channel: str, external_id: str) -> tuple[Dialog, UUID] | None:
    """The dialog and the message id (as the inbox shows it) of a gateway's message id: a
    client's message or a reply typed on the phone (recorded by id), else one of our replies
    (the receipt of its send)."""
    mid = message_id(channel, external_id)
    dialog = _dialog_of(uow, mid)
    if dialog is not None:
        return dialog, mid
    sent = _our_send(uow, channel, external_id)
    if sent is None:
        return None
    dialog = uow.get(Dialog, sent.dialog_id)
    return (dialog, sent.id) if dialog is not None else None


HANDLERS: dict[type, Callable[[Any, UnitOfWork], Any]] = {
    RevokeClientMessage: revoke_client_message,
    ReactToMessage: react_to_message,
    RecordPhoneReply: record_phone_reply,
}
