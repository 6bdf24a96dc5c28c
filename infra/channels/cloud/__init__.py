"""WhatsApp through Meta's Cloud API: `gateway.py` sends and fetches files through the Graph
API (24-hour reply window, error codes), `webhook.py` takes Meta's signed notifications and the
subscription check (`/webhooks/cloud`), `fake.py` is a Graph API on loopback for tests. Active
when `SWITCHBOARD_GATEWAY=cloud`."""

from __future__ import annotations

from infra.channels.cloud.webhook import CHANNEL, CloudReceiver
from infra.channels.context import ChannelContext
from infra.channels.whatsapp_channel import WhatsAppChannelAdapter
from infra.settings import Gateway
from projections.channel import phone_of_identity


def build(ctx: ChannelContext) -> WhatsAppChannelAdapter | None:
    settings = ctx.settings
    if settings.gateway != Gateway.CLOUD:
        return None

    def known_phone(identity: str) -> str | None:
        with ctx.views.reader.connect() as conn:
            return phone_of_identity(conn, identity)

    receiver = CloudReceiver(intake=ctx.intake, settings=settings, known_phone=known_phone)
    return WhatsAppChannelAdapter(CHANNEL, ctx.whatsapp.gateway, receiver.receive)
