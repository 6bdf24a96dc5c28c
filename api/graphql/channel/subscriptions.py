from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import UTC, datetime

import strawberry

from api.graphql.channel.queries import read_channel
from api.graphql.channel.types import WhatsAppChannel
from api.graphql.context import Info
from api.graphql.permissions import IsAuthenticated
from projections.channel import FEED, KEY


@strawberry.type
class ChannelSubscription:
    @strawberry.subscription(permission_classes=[IsAuthenticated],
                             description="The WhatsApp channel now, then at each change of its "
                                         "status, QR code or settings.")
    async def whatsapp_channel_changed(self, info: Info) -> AsyncGenerator[WhatsAppChannel, None]:
        me = info.context.me
        container = info.context.container
        async with container.feed.subscribe(FEED, KEY) as queue:
            yield await read_channel(container, admin=me.is_admin)
            while True:
                remaining = (me.expires_at - datetime.now(UTC)).total_seconds()
                if remaining <= 0:
                    return  # the token expired: the server ends the subscription
                try:
                    await asyncio.wait_for(queue.get(), timeout=min(remaining, 60))
                except TimeoutError:
                    continue
                while not queue.empty():
                    queue.get_nowait()
                yield await read_channel(container, admin=me.is_admin)
