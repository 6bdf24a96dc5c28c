"""What every channel adapter is built with: the settings, the intake its webhook hands values
to, the clock, the read models (for lookups such as a known phone of an identity), and
WhatsApp's gateway with its service (WhatsApp's three folders share one)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from application.channels import Intake
from application.ports import Clock, WhatsAppGateway
from application.whatsapp import WhatsAppService
from infra.settings import Settings
from infra.views import ViewsDatabase


class WhatsAppLink(Protocol):
    """The one WhatsApp gateway configured here and the service that links and watches it
    (infra/whatsapp.py builds both)."""

    @property
    def gateway(self) -> WhatsAppGateway: ...

    @property
    def service(self) -> WhatsAppService: ...


@dataclass(frozen=True)
class ChannelContext:
    settings: Settings
    intake: Intake
    clock: Clock
    views: ViewsDatabase
    whatsapp: WhatsAppLink  # the WhatsApp gateway, its linking service and supervisor
