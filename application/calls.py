"""Call back through the PBX: an operator asks for a call in one of their dialogs
(`RequestCallBack`: their extension from the employees' numbers, the client's number as the PBX
dials it); the conversation with the PBX happens outside the request and the writer (the
`CallBackDialer` port: infra/pbx_calls.py over the Asterisk Manager Interface) and ends with
`FinishCallBack`. Handlers run inside the group-commit writer: no I/O, time comes in with each
command."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID, uuid4

from application.ports import Clock, CommandBus, UnitOfWork
from domain.calls import (
    E164,
    CallBack,
    NoExtension,
    NoPhoneNumber,
    Outcome,
    PbxNotConfigured,
    dial_string,
)
from domain.clients import Client
from domain.dialogs import Dialog
from domain.errors import AlreadyExists, NotFound
from domain.setup import INSTALLATION_ID, Installation

__all__ = ["CallBackDialer", "CallBacks", "CallRequested", "FinishCallBack", "RequestCallBack"]


# -- commands --------------------------------------------------------------------------------
@dataclass(frozen=True)
class RequestCallBack:
    call_id: UUID
    dialog_id: UUID
    operator_id: UUID
    dial_rules: str  # how an E.164 number is dialled (domain.calls.dial_string)
    at: datetime
    actor: str


@dataclass(frozen=True)
class FinishCallBack:
    call_id: UUID
    outcome: Outcome
    reason: str
    detail: str
    at: datetime
    actor: str


@dataclass(frozen=True)
class CallRequested:
    """What the PBX is asked: ring `extension`, then dial `exten`."""

    call_id: UUID
    dialog_id: UUID
    extension: str
    number: str
    exten: str
    action_id: str
    client_name: str
    at: datetime


# -- handlers --------------------------------------------------------------------------------
def extension_of(uow: UnitOfWork, operator_id: UUID) -> str:
    """The operator's extension as the setup wizard recorded it ("" when none)."""
    installation = uow.get(Installation, INSTALLATION_ID)
    if installation is None:
        return ""
    phones = installation.employees.get(str(operator_id))
    return phones[1] if phones else ""


def request_call_back(cmd: RequestCallBack, uow: UnitOfWork) -> CallRequested:
    dialog = uow.get(Dialog, cmd.dialog_id)
    if dialog is None or not dialog.may_read(cmd.operator_id):
        raise NotFound("No such dialog among yours.", field="dialogId")
    extension = extension_of(uow, cmd.operator_id)
    if not extension:
        raise NoExtension("You have no extension among the employees' numbers: an admin "
                          "records it in the setup wizard.", field="dialogId")
    client = uow.get(Client, dialog.client_id)
    if client is not None and client.merged_into is not None:  # a lid that is this number
        client = uow.get(Client, client.merged_into) or client
    number = client.phone if client is not None else dialog.phone
    name = client.name if client is not None else ""
    if uow.is_recorded(cmd.call_id):
        raise AlreadyExists("This call was requested already.", field="dialogId")
    if not E164.match(number):  # a Telegram user, or a WhatsApp user known by id only
        raise NoPhoneNumber("The client has no phone number to call.", field="dialogId")
    exten = dial_string(number, cmd.dial_rules)
    call = CallBack.request(call_id=cmd.call_id, dialog_id=dialog.id,
                            operator_id=cmd.operator_id, extension=extension, number=number,
                            exten=exten, at=cmd.at, actor=cmd.actor)
    uow.add(call)
    return CallRequested(call_id=call.id, dialog_id=dialog.id, extension=extension,
                         number=number, exten=exten, action_id=cmd.call_id.hex,
                         client_name=name, at=cmd.at)


def finish_call_back(cmd: FinishCallBack, uow: UnitOfWork) -> bool:
    call = uow.get(CallBack, cmd.call_id)
    if call is None:
        raise NotFound("No such call.", field="callId")
    return call.finish(outcome=cmd.outcome, reason=cmd.reason, detail=cmd.detail, at=cmd.at,
                       actor=cmd.actor)


HANDLERS: dict[type, Callable[[Any, UnitOfWork], Any]] = {
    RequestCallBack: request_call_back,
    FinishCallBack: finish_call_back,
}


# -- the service the API reaches ---------------------------------------------------------------
class CallBackDialer(Protocol):
    """Talks to the PBX in the background: `dial` returns at once, and the call's outcome is
    recorded with `FinishCallBack` when the PBX tells it (or does not, in time)."""

    @property
    def configured(self) -> bool:
        """Whether a PBX to call through is set up."""

    @property
    def dial_rules(self) -> str: ...

    def dial(self, call: CallRequested) -> None: ...


class CallBacks:
    def __init__(self, *, bus: CommandBus, clock: Clock, dialer: CallBackDialer) -> None:
        self._bus = bus
        self._clock = clock
        self._dialer = dialer

    @property
    def configured(self) -> bool:
        return self._dialer.configured

    async def call_back(self, dialog_id: UUID, operator_id: UUID, actor: str) -> CallRequested:
        """Records the request and starts the call; raises a DomainError (nothing recorded)
        when the PBX is not set up, the dialog is not the operator's, they have no extension
        or the client no number."""
        if not self._dialer.configured:
            raise PbxNotConfigured("No PBX to call through: the PBX's manager interface "
                                   "(SWITCHBOARD_PBX_AMI_*) is not set up.", field="dialogId")
        requested: CallRequested = await self._bus.execute(RequestCallBack(
            call_id=uuid4(), dialog_id=dialog_id, operator_id=operator_id,
            dial_rules=self._dialer.dial_rules, at=self._clock.now(), actor=actor))
        self._dialer.dial(requested)
        return requested
