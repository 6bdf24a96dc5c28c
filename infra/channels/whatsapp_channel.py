"""What WhatsApp's three channel folders share: each is a `Channel` of the medium "whatsapp"
whose gateway is the one WhatsApp gateway configured here (so a dialog begun on the simulator is
answered through WAHA once the company switched), linked and supervised by the WhatsApp service
(infra/channels/whatsapp.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from application.channels import WHATSAPP, ChannelStatus, WebhookRequest
from application.ports import WhatsAppGateway

Receive = Callable[[WebhookRequest], Awaitable[Any]]


class WhatsAppChannelAdapter:
    """A WhatsApp gateway's channel: its webhook (`receive`) and the shared gateway."""

    medium = WHATSAPP

    def __init__(self, name: str, gateway: WhatsAppGateway, receive: Receive) -> None:
        self.name = name
        self.gateway = gateway
        self._receive = receive

    async def webhook(self, request: WebhookRequest) -> Any:
        return await self._receive(request)

    def start(self) -> None:
        """The WhatsApp supervisor starts and watches the gateway (it also links it)."""

    def stop(self) -> None:
        """The WhatsApp supervisor closes the gateway."""

    def status(self) -> ChannelStatus:
        """The linking and the connection are the WhatsApp service's (its own admin page)."""
        return ChannelStatus(name=self.name, medium=self.medium, ok=True,
                             detail={"gateway": self.gateway.kind})

    def check(self) -> ChannelStatus:
        return self.status()
