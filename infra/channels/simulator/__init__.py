"""The built-in simulator: a pretend WhatsApp (and Telegram) that needs no outside account.

- `gateway.py`: the simulated WhatsApp servers and the company's phone (QR, pairing, dropping
  the connection), in process;
- `webhook.py`: `POST /webhooks/simulator`, signed with `SWITCHBOARD_SIMULATOR_SECRET`;
- `client.py`: the client side — the signed request, and the phone as a program drives it.

Its webhook is always open (signed): tests and the phone page deliver through it whatever the
WhatsApp gateway is; its replies go out through the configured WhatsApp gateway."""

from __future__ import annotations

from application.channels import WebhookRequest
from infra.channels.context import ChannelContext
from infra.channels.simulator.webhook import CHANNEL, receive
from infra.channels.whatsapp_channel import WhatsAppChannelAdapter


def build(ctx: ChannelContext) -> WhatsAppChannelAdapter:
    settings = ctx.settings

    async def webhook(request: WebhookRequest) -> object:
        return await receive(ctx.intake, settings.simulator_secret,
                             settings.webhook_max_skew_seconds, request)

    return WhatsAppChannelAdapter(CHANNEL, ctx.whatsapp.gateway, webhook)
