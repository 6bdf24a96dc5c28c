"""Checking a channel: admins only. The check asks the messenger (it blocks on its API), so it
runs in a thread; a channel not configured here answers a UserError."""

from __future__ import annotations

from typing import Annotated

import strawberry
from anyio import to_thread

from api.graphql.channels.types import TELEGRAM, ChannelState, ChannelStatePayload
from api.graphql.context import Info
from api.graphql.errors import UserError
from api.graphql.permissions import IsAdmin

TELEGRAM_NOT_ACTIVE = "TELEGRAM_NOT_ACTIVE"

CheckTelegramResult = Annotated[ChannelStatePayload | UserError,
                                strawberry.union("CheckTelegramResult")]


@strawberry.type
class ChannelsMutation:
    @strawberry.mutation(permission_classes=[IsAdmin],
                         description="Asks Telegram now how the bot stands (getMe, "
                                     "getWebhookInfo) and answers the channel's new state.")
    async def check_telegram(self, info: Info) -> CheckTelegramResult:
        standings = info.context.app.channels
        status = await to_thread.run_sync(lambda: standings.check(TELEGRAM))
        if status is None:
            return UserError(code=TELEGRAM_NOT_ACTIVE, message=(
                "Telegram is not configured here: set SWITCHBOARD_TELEGRAM_BOT_TOKEN, "
                "SWITCHBOARD_TELEGRAM_WEBHOOK_SECRET and an HTTPS SWITCHBOARD_PUBLIC_URL."))
        return ChannelStatePayload(channel=ChannelState.of(status))
