"""WhatsApp through WAHA (devlikeapro/waha, self-hosted): `gateway.py` drives its HTTP API
(sessions, QR and pairing codes, sends, files, lids), `webhook.py` takes its signed events
(`POST /webhooks/waha`), `fake.py` is a WAHA on loopback for tests. Active when
`SWITCHBOARD_GATEWAY=waha`."""

from __future__ import annotations

from application.ports import GatewaySession
from infra.channels.context import ChannelContext
from infra.channels.waha.gateway import WahaWhatsAppGateway
from infra.channels.waha.webhook import CHANNEL, WahaReceiver
from infra.channels.whatsapp_channel import WhatsAppChannelAdapter
from projections.channel import phone_of_identity


def build(ctx: ChannelContext) -> WhatsAppChannelAdapter | None:
    gateway = ctx.whatsapp.gateway
    if not isinstance(gateway, WahaWhatsAppGateway):
        return None

    def known_phone(identity: str) -> str | None:
        with ctx.views.reader.connect() as conn:
            return phone_of_identity(conn, identity)

    def session_changed(session: GatewaySession) -> None:
        ctx.whatsapp.service.gateway_changed(session)

    receiver = WahaReceiver(
        intake=ctx.intake, gateway=gateway, settings=ctx.settings, known_phone=known_phone,
        session_changed=session_changed)
    return WhatsAppChannelAdapter(CHANNEL, gateway, receiver.receive)
