from __future__ import annotations

import strawberry
from anyio import to_thread

from api.graphql.channels.types import ChannelState
from api.graphql.context import Info
from api.graphql.permissions import IsAuthenticated


@strawberry.type
class ChannelsQuery:
    @strawberry.field(permission_classes=[IsAuthenticated],
                      description="Every messenger channel active here, and how it stands (as "
                                  "last seen: checkTelegram asks Telegram now).")
    async def channels(self, info: Info) -> list[ChannelState]:
        standings = info.context.app.channels
        statuses = await to_thread.run_sync(standings.statuses)
        return [ChannelState.of(status) for status in statuses]
