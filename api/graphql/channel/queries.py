from __future__ import annotations

import strawberry
from anyio import to_thread

from api.graphql.catch_up import read_models_caught_up
from api.graphql.channel.types import (
    HeldWhatsAppMessage,
    WhatsAppChannel,
    WhatsAppPairingCode,
    WhatsAppQrCode,
    WhatsAppStatus,
    WhatsAppStatusChange,
)
from api.graphql.context import Info
from api.graphql.permissions import IsAuthenticated
from api.graphql.time import utc
from application.services import Services
from projections import channel as view

MAX_HISTORY = 200
MAX_QR_CODES = 6


async def channel_caught_up(app: Services) -> None:
    """Read-your-writes: the channel's read model holds what a mutation just changed."""
    await read_models_caught_up(app, view.ChannelProjection.name)


async def read_channel(app: Services, *, admin: bool, history: int = 20,
                       held: int = 20) -> WhatsAppChannel:
    engine = app.reads
    gateway = app.whatsapp.gateway

    def read() -> WhatsAppChannel:
        with engine.connect() as conn:
            row = view.channel_row(conn)
            changes = view.status_history(conn, last=history)
            kept = view.held_messages(conn, last=held) if admin else []
        qr = pairing = None
        if row is not None and admin and row.qr_value and row.qr_expires_at is not None \
                and row.status == WhatsAppStatus.SCAN_QR_CODE.value:
            qr = WhatsAppQrCode(value=row.qr_value, expires_at=utc(row.qr_expires_at),
                                sequence=row.qr_sequence, of=MAX_QR_CODES)
        if row is not None and admin and row.pairing_code:
            pairing = WhatsAppPairingCode(phone=row.pairing_phone or "", code=row.pairing_code)
        return WhatsAppChannel(
            gateway=gateway.kind, links_devices=gateway.supports_linking,
            status=WhatsAppStatus(row.status if row else "STOPPED"),
            reason=row.reason if row else "WhatsApp has not been linked yet.",
            status_since=utc(row.status_since) if row else None,
            phone=(row.phone or None) if row else None,
            device=(row.device or None) if row else None,
            linked_at=utc(row.linked_at) if row and row.linked_at else None,
            reconnecting=bool(row.reconnecting) if row else False,
            reconnect_attempt=row.reconnect_attempt if row else 0,
            retry_at=utc(row.retry_at) if row and row.retry_at else None,
            in_service=bool(row.in_service) if row else False,
            employees_may_write_first=bool(row.employees_may_write_first) if row else False,
            held_count=row.held if row else 0, qr_code=qr, pairing_code=pairing,
            history=[WhatsAppStatusChange.of(r) for r in changes],
            held_messages=[HeldWhatsAppMessage.of(r) for r in kept],
        )

    return await to_thread.run_sync(read)


@strawberry.type
class ChannelQuery:
    @strawberry.field(permission_classes=[IsAuthenticated],
                      description="The WhatsApp channel: status, QR code (admins), settings and "
                                  "the status history, `history` entries of it.")
    async def whatsapp_channel(self, info: Info, history: int = 20) -> WhatsAppChannel:
        if not 0 <= history <= MAX_HISTORY:
            raise ValueError(f"`history` is between 0 and {MAX_HISTORY}.")
        me = info.context.me
        return await read_channel(info.context.app, admin=me.is_admin, history=history)
