"""WhatsApp message templates (Cloud API): admins synchronise the business account's templates
(`SynchroniseTemplates`, after `TemplateSync` read them through the gateway); operators send an
approved one in a dialog (`SendTemplate`), which goes through the outbox like any reply — the
message is queued with its body filled in (what the dialog shows) and marked a template message
(`OutgoingMessage.TemplateChosen`), and the sync job sends it with `send_template`.

Handlers run inside the group-commit writer: no I/O, time comes in with each command."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, runtime_checkable
from uuid import UUID

from application import outbox
from application.ports import Clock, CommandBus, UnitOfWork
from domain.dialogs import WHATSAPP, medium_of
from domain.errors import DomainError
from domain.outbox import check_key
from domain.templates import TEMPLATES_ID, MessageTemplates, Template, TemplateNotFound

__all__ = ["SendTemplate", "SynchroniseTemplates", "Template", "TemplateGateway",
           "TemplateSync", "TemplatesUnavailable"]


class TemplatesUnavailable(DomainError):
    """The WhatsApp gateway here is not the Cloud API (or no business account is set)."""

    code = "TEMPLATES_NOT_AVAILABLE"


@runtime_checkable
class TemplateGateway(Protocol):
    """A gateway that knows message templates (the Cloud API's): an optional capability beside
    `Outbound`, which the other messengers do not have. Every method blocks on I/O."""

    def list_templates(self) -> list[Template]:
        """The business account's templates, every page of them. Raises GatewayError."""

    def send_template(self, to: str, name: str, language: str, parameters: list[str],
                      idempotency_key: str) -> str:
        """Sends an approved template with its body's parameters; answers the message id as
        `send_text` does. Raises GatewayError."""


# -- commands --------------------------------------------------------------------------------
@dataclass(frozen=True)
class SynchroniseTemplates:
    templates: tuple[Template, ...]
    at: datetime
    actor: str


@dataclass(frozen=True)
class SendTemplate:
    """An operator's template message in a dialog. `key` makes a repeated request the same
    message."""

    dialog_id: UUID
    operator_id: UUID
    name: str
    language: str
    parameters: tuple[str, ...]
    key: str
    at: datetime
    actor: str


# -- handlers --------------------------------------------------------------------------------
def synchronise_templates(cmd: SynchroniseTemplates, uow: UnitOfWork) -> int:
    templates = uow.get(MessageTemplates, TEMPLATES_ID)
    if templates is None:
        if uow.is_recorded(TEMPLATES_ID):  # an optimistic answer was wrong: the batch runs again
            raise RuntimeError("The templates exist but could not be read.")
        templates = MessageTemplates(actor=cmd.actor)
        uow.add(templates)
    templates.synchronise(list(cmd.templates), at=cmd.at, actor=cmd.actor)
    return len(templates.templates)


def send_template(cmd: SendTemplate, uow: UnitOfWork) -> outbox.Queued:
    key = check_key(cmd.key)
    known = outbox.queued_before(uow, key)
    if known is not None:
        return known
    dialog = outbox.reply_target(uow, cmd.dialog_id, cmd.operator_id)
    if medium_of(dialog.channel) != WHATSAPP:
        raise TemplatesUnavailable("Templates are WhatsApp's: this dialog is in another "
                                   "messenger.", field="dialogId")
    templates = uow.get(MessageTemplates, TEMPLATES_ID)
    if templates is None:
        raise TemplateNotFound("No templates yet: an admin synchronises them first.",
                               field="name")
    template = templates.approved(cmd.name, cmd.language)
    text = template.render(cmd.parameters)
    message = outbox.queue_reply(uow, dialog, operator_id=cmd.operator_id, text=text, key=key,
                                 at=cmd.at, actor=cmd.actor)
    message.choose_template(name=template.name, language=template.language,
                            parameters=list(cmd.parameters), actor=cmd.actor)
    return outbox.Queued.of(message)


HANDLERS: dict[type, Callable[[Any, UnitOfWork], Any]] = {
    SynchroniseTemplates: synchronise_templates,
    SendTemplate: send_template,
}


# -- the admin's synchronisation (I/O, outside the writer) -------------------------------------
class TemplateSync:
    """Reads the business account's templates through the gateway and records them."""

    def __init__(self, *, bus: CommandBus, clock: Clock, gateway: TemplateGateway | None,
                 reply_windows: Callable[[str], timedelta | None]) -> None:
        self._bus = bus
        self._clock = clock
        self._gateway = gateway
        self._reply_windows = reply_windows

    @property
    def available(self) -> bool:
        return self._gateway is not None

    async def synchronise(self, actor: str) -> int:
        """Answers how many templates the account has; raises GatewayError when the Graph API
        refuses or cannot be reached (then nothing is recorded)."""
        gateway = self._gateway
        if gateway is None:
            raise TemplatesUnavailable("Templates come from the WhatsApp Cloud API, which is not "
                                       "the gateway here (or no business account id is set).")
        templates = await asyncio.to_thread(gateway.list_templates)
        count: int = await self._bus.execute(SynchroniseTemplates(
            templates=tuple(templates), at=self._clock.now(), actor=actor))
        return count

    def reply_window(self, channel: str) -> timedelta | None:
        """How long after a client's last message free text may be sent on this channel (None:
        no limit)."""
        return self._reply_windows(channel)
