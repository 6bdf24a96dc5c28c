from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from api.graphql.channel.queries import read_channel
from api.graphql.channel.types import WhatsAppChannel
from api.graphql.context import Info
from api.graphql.live import changes
from api.graphql.permissions import IsAuthenticated
from projections.channel import FEED, KEY


@strawberry.type
class ChannelSubscription:
    @strawberry.subscription(permission_classes=[IsAuthenticated],
                             description="The WhatsApp channel now, then at each change of its "
                                         "status, QR code or settings.")
    async def whatsapp_channel_changed(self, info: Info) -> AsyncGenerator[WhatsAppChannel, None]:
        me = info.context.me
        app = info.context.app
        async with app.feed.subscribe(FEED, KEY) as queue:
            yield await read_channel(app, admin=me.is_admin)
            async for _ in changes(queue, me.expires_at):
                yield await read_channel(app, admin=me.is_admin)
