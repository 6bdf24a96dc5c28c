"""The WhatsApp channel's commands and handlers: linking, the gateway's reports, the messenger
settings, and the messages kept while WhatsApp is out of service.

Handlers do no I/O: what needs the gateway (a QR value, a pairing code, a logout) is asked for by
the WhatsApp service (`application/whatsapp.py`) before or after it submits these commands."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from application import commands as c
from application.ports import UnitOfWork
from domain.channel import (
    CHANNEL_ID,
    ChannelState,
    ChannelStatus,
    Due,
    HeldMessage,
    LinkMethod,
    WhatsAppChannel,
    held_message_id,
)
from domain.clients import Client, check_e164
from domain.dialogs import WHATSAPP, medium_of
from domain.errors import InvalidValue
from domain.ids import client_id
from domain.setup import INSTALLATION_ID, Installation

SYSTEM = "system"


@dataclass(frozen=True)
class Outcome:
    """The channel as a command left it, and what is due from the gateway next."""

    state: ChannelState
    due: Due = Due.NOTHING


# -- commands --------------------------------------------------------------------------------
@dataclass(frozen=True)
class StartLinking:
    method: str
    now: datetime
    actor: str


@dataclass(frozen=True)
class RefreshLinking:
    now: datetime
    actor: str


@dataclass(frozen=True)
class IssueQrCode:
    sequence: int
    value: str
    now: datetime
    actor: str = SYSTEM


@dataclass(frozen=True)
class IssuePairingCode:
    phone: str
    code: str
    actor: str


@dataclass(frozen=True)
class FailLinking:
    reason: str
    actor: str = SYSTEM


@dataclass(frozen=True)
class CheckChannel:
    """Asks what is due at `now`; fails a linking that ran out of codes or time."""

    now: datetime
    actor: str = SYSTEM


@dataclass(frozen=True)
class ReportGatewayStatus:
    status: str
    phone: str
    device: str
    reason: str
    now: datetime
    actor: str = SYSTEM


@dataclass(frozen=True)
class RecordReconnectFailure:
    reason: str
    now: datetime
    actor: str = SYSTEM


@dataclass(frozen=True)
class UnlinkWhatsApp:
    reason: str
    actor: str


@dataclass(frozen=True)
class UpdateMessengerSettings:
    in_service: bool
    employees_may_write_first: bool
    actor: str


@dataclass(frozen=True)
class LinkAtFirstStart:
    """In development with the simulator: the channel starts linked and in service, once."""

    phone: str
    device: str
    now: datetime
    actor: str = SYSTEM


@dataclass(frozen=True)
class MergeClientIdentity:
    """A WhatsApp identity with no number (a lid) turned out to be this phone number."""

    identity: str
    phone: str
    actor: str = SYSTEM


# -- handlers --------------------------------------------------------------------------------
def channel(uow: UnitOfWork, actor: str) -> WhatsAppChannel:
    """The channel, created on first use."""
    found = uow.get(WhatsAppChannel, CHANNEL_ID)
    if found is None:
        if uow.is_recorded(CHANNEL_ID):  # optimistic answer was wrong: the batch will rerun
            raise RuntimeError("The channel exists but could not be read.")
        found = WhatsAppChannel(actor=actor)
        uow.add(found)
    return found


def start_linking(cmd: StartLinking, uow: UnitOfWork) -> Outcome:
    try:
        method = LinkMethod(cmd.method)
    except ValueError:
        raise InvalidValue("Link by 'qr' or 'pairing_code'.", field="method") from None
    ch = channel(uow, cmd.actor)
    ch.start_linking(method=method, now=cmd.now, actor=cmd.actor)
    return Outcome(ch.state(), Due.QR_CODE)


def refresh_linking(cmd: RefreshLinking, uow: UnitOfWork) -> Outcome:
    ch = channel(uow, cmd.actor)
    ch.refresh(now=cmd.now, actor=cmd.actor)
    return Outcome(ch.state(), Due.QR_CODE)


def issue_qr_code(cmd: IssueQrCode, uow: UnitOfWork) -> Outcome:
    ch = channel(uow, cmd.actor)
    ch.issue_qr_code(sequence=cmd.sequence, value=cmd.value, now=cmd.now, actor=cmd.actor)
    return Outcome(ch.state())


def issue_pairing_code(cmd: IssuePairingCode, uow: UnitOfWork) -> Outcome:
    ch = channel(uow, cmd.actor)
    ch.issue_pairing_code(phone=check_e164(cmd.phone), code=cmd.code, actor=cmd.actor)
    return Outcome(ch.state())


def fail_linking(cmd: FailLinking, uow: UnitOfWork) -> Outcome:
    ch = channel(uow, cmd.actor)
    ch.fail(reason=cmd.reason, actor=cmd.actor)
    return Outcome(ch.state())


def check_channel(cmd: CheckChannel, uow: UnitOfWork) -> Outcome:
    ch = uow.get(WhatsAppChannel, CHANNEL_ID)
    if ch is None:
        return Outcome(WhatsAppChannel(actor=SYSTEM).state())  # never stored: nothing yet
    due = ch.check(now=cmd.now, actor=cmd.actor)
    return Outcome(ch.state(), due)


def report_gateway_status(cmd: ReportGatewayStatus, uow: UnitOfWork) -> Outcome:
    try:
        status = ChannelStatus(cmd.status)
    except ValueError:
        raise InvalidValue(f"Unknown gateway status {cmd.status!r}.", field="status") from None
    ch = channel(uow, cmd.actor)
    ch.gateway_reported(status=status, phone=cmd.phone, device=cmd.device, reason=cmd.reason,
                        now=cmd.now, actor=cmd.actor)
    return Outcome(ch.state(), ch.check(now=cmd.now, actor=cmd.actor))


def record_reconnect_failure(cmd: RecordReconnectFailure, uow: UnitOfWork) -> Outcome:
    ch = channel(uow, cmd.actor)
    ch.reconnect_failed(reason=cmd.reason, now=cmd.now, actor=cmd.actor)
    return Outcome(ch.state())


def unlink_whatsapp(cmd: UnlinkWhatsApp, uow: UnitOfWork) -> Outcome:
    ch = channel(uow, cmd.actor)
    ch.unlink(reason=cmd.reason, actor=cmd.actor)
    return Outcome(ch.state())


def update_messenger_settings(cmd: UpdateMessengerSettings, uow: UnitOfWork) -> Outcome:
    ch = channel(uow, cmd.actor)
    ch.update_settings(in_service=cmd.in_service,
                       employees_may_write_first=cmd.employees_may_write_first, actor=cmd.actor)
    release_held_messages(uow, cmd.actor)
    return Outcome(ch.state())


def link_at_first_start(cmd: LinkAtFirstStart, uow: UnitOfWork) -> Outcome | None:
    if uow.get(WhatsAppChannel, CHANNEL_ID) is not None:
        return None
    ch = channel(uow, cmd.actor)
    ch.start_linking(method=LinkMethod.QR, now=cmd.now, actor=cmd.actor,
                     reason="Development start: the simulated phone links itself.")
    ch.link(phone=cmd.phone, device=cmd.device, actor=cmd.actor)
    ch.update_settings(in_service=True, employees_may_write_first=False, actor=cmd.actor)
    return Outcome(ch.state())


def merge_client_identity(cmd: MergeClientIdentity, uow: UnitOfWork) -> bool:
    """Merges the client kept under a lid into the client with the number; False when there is
    no such client (nothing to merge) or it was merged before."""
    unresolved = uow.get(Client, client_id(cmd.identity))
    if unresolved is None or unresolved.merged_into is not None:
        return False
    phone = check_e164(cmd.phone)
    known = uow.get(Client, client_id(phone))
    if known is None:
        known = Client.register(phone=phone, name=unresolved.name, actor=cmd.actor)
        uow.add(known)
    unresolved.merge_into(known, actor=cmd.actor)
    return True


# -- what arrives while WhatsApp is out of service ---------------------------------------------
@dataclass(frozen=True)
class Held:
    held_id: UUID
    duplicate: bool


def hold_if_out_of_service(cmd: c.ReceiveClientMessage, uow: UnitOfWork) -> Held | None:
    """Keeps a client's message instead of delivering it while WhatsApp is out of service, or
    while the connection mode is long-polling (chats need the web service: the message waits for
    the setup wizard, never refused); None when it can be delivered now."""
    hid = held_message_id(cmd.channel, cmd.external_id)
    if uow.is_recorded(hid):
        kept = uow.get(HeldMessage, hid)
        if kept is None or not kept.released:
            return Held(held_id=hid, duplicate=True)
        return None  # delivered since: the inbox's own check answers a repeat
    allowed = chats_allowed(uow)
    ch = uow.get(WhatsAppChannel, CHANNEL_ID)
    # "In service" is WhatsApp's setting: another messenger's messages wait only for the mode.
    if allowed and (ch is None or ch.in_service or medium_of(cmd.channel) != WHATSAPP):
        return None
    actor = f"client:{cmd.phone}"
    ch = ch or channel(uow, actor)
    uow.add(HeldMessage(channel=cmd.channel, external_id=cmd.external_id, phone=cmd.phone,
                        name=cmd.name, text=cmd.text, sent_at=cmd.sent_at, actor=actor))
    ch.hold(hid, actor=actor, chats_allowed=allowed)
    return Held(held_id=hid, duplicate=False)


def chats_allowed(uow: UnitOfWork) -> bool:
    """Whether the connection mode lets messenger chats through (an installation never set up
    is in long-polling, as a production one starts)."""
    found = uow.get(Installation, INSTALLATION_ID)
    return found is not None and found.chats_allowed


def release_held_messages(uow: UnitOfWork, actor: str) -> None:
    """Delivers what was kept, once WhatsApp is in service and chats are allowed."""
    ch = uow.get(WhatsAppChannel, CHANNEL_ID)
    if ch is not None and ch.held and ch.in_service and chats_allowed(uow):
        _release_held(ch, uow, actor)


def _release_held(ch: WhatsAppChannel, uow: UnitOfWork, actor: str) -> None:
    from application.handlers import receive_client_message  # the inbox's own path

    for hid in ch.release_held(actor):
        held = uow.get(HeldMessage, hid)
        if held is None or held.released:
            continue
        held.release(actor=actor)
        receive_client_message(c.ReceiveClientMessage(
            channel=held.channel, external_id=held.external_id, phone=held.phone,
            name=held.name, text=held.text, sent_at=held.sent_at,
        ), uow)


HANDLERS: dict[type, Callable[[Any, UnitOfWork], Any]] = {
    StartLinking: start_linking,
    RefreshLinking: refresh_linking,
    IssueQrCode: issue_qr_code,
    IssuePairingCode: issue_pairing_code,
    FailLinking: fail_linking,
    CheckChannel: check_channel,
    ReportGatewayStatus: report_gateway_status,
    RecordReconnectFailure: record_reconnect_failure,
    UnlinkWhatsApp: unlink_whatsapp,
    UpdateMessengerSettings: update_messenger_settings,
    LinkAtFirstStart: link_at_first_start,
    MergeClientIdentity: merge_client_identity,
}
