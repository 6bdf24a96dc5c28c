"""WhatsApp mutations: admins only. Each goes through the WhatsApp service (which talks to the
gateway) in a thread; a refusal answers a UserError with a stable code."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import strawberry
from anyio import to_thread

from api.graphql.channel.queries import channel_caught_up, read_channel
from api.graphql.channel.types import WhatsAppChannelPayload
from api.graphql.context import Info
from api.graphql.errors import UserError
from api.graphql.permissions import IsAdmin
from application.errors import DomainError
from application.ports import GatewayError

WhatsAppChannelResult = Annotated[WhatsAppChannelPayload | UserError,
                                  strawberry.union("WhatsAppChannelResult")]


async def _act(info: Info, action: Callable[[], Any]) -> WhatsAppChannelResult:
    try:
        await to_thread.run_sync(action)
    except DomainError as error:
        return UserError.of(error)
    except GatewayError as error:
        return UserError(code=error.code, message=error.message)
    app = info.context.app
    await channel_caught_up(app)
    return WhatsAppChannelPayload(channel=await read_channel(app, admin=True))


@strawberry.type
class ChannelMutation:
    @strawberry.mutation(name="startWhatsAppLinking", permission_classes=[IsAdmin],
                         description="Starts linking WhatsApp: QR codes follow (the Cloud API "
                                     "checks its number instead).")
    async def start_whatsapp_linking(self, info: Info) -> WhatsAppChannelResult:
        service = info.context.app.whatsapp
        return await _act(info, lambda: service.start_linking(info.context.me.actor))

    @strawberry.mutation(name="refreshWhatsAppCode", permission_classes=[IsAdmin],
                         description="Refresh code: a new series of QR codes starts over.")
    async def refresh_whatsapp_code(self, info: Info) -> WhatsAppChannelResult:
        service = info.context.app.whatsapp
        return await _act(info, lambda: service.refresh(info.context.me.actor))

    @strawberry.mutation(name="requestWhatsAppPairingCode", permission_classes=[IsAdmin],
                         description="Links by a code entered on the phone with this number; "
                                     "the QR code stays the fallback.")
    async def request_whatsapp_pairing_code(self, info: Info,
                                            phone_number: str) -> WhatsAppChannelResult:
        service = info.context.app.whatsapp
        return await _act(info, lambda: service.request_pairing_code(
            phone_number, info.context.me.actor))

    @strawberry.mutation(name="unlinkWhatsApp", permission_classes=[IsAdmin],
                         description="Unlinks (logs out) the device; linking again needs a scan.")
    async def unlink_whatsapp(self, info: Info) -> WhatsAppChannelResult:
        service = info.context.app.whatsapp
        return await _act(info, lambda: service.unlink(info.context.me.actor))

    @strawberry.mutation(permission_classes=[IsAdmin],
                         description="Messenger settings: WhatsApp in service (what arrives while "
                                     "it is off is kept and delivered when it is on again), and "
                                     "whether employees may write to a client first.")
    async def update_messenger_settings(
        self, info: Info, in_service: bool, employees_may_write_first: bool,
    ) -> WhatsAppChannelResult:
        service = info.context.app.whatsapp
        return await _act(info, lambda: service.update_settings(
            in_service=in_service, employees_may_write_first=employees_may_write_first,
            actor=info.context.me.actor))
