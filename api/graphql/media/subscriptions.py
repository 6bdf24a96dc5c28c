from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing

import strawberry

from api.graphql.context import Info
from api.graphql.inbox.queries import parse_id
from api.graphql.live import dialog_changes
from api.graphql.permissions import IsAuthenticated


@strawberry.type(description="Files of a dialog changed: one arrived, failed or was refused.")
class MediaChange:
    dialog_id: strawberry.ID
    message_ids: list[strawberry.ID]


@strawberry.type
class MediaSubscription:
    @strawberry.subscription(permission_classes=[IsAuthenticated],
                             description="Pushes each change to the files of one of your "
                                         "dialogs (a download done, failed or refused).")
    async def media_changed(self, info: Info,
                            dialog_id: strawberry.ID) -> AsyncGenerator[MediaChange, None]:
        did = parse_id(dialog_id)
        if did is None:
            return
        async with aclosing(dialog_changes(info, "media", did)) as stream:  # unsubscribes
            async for ids in stream:
                yield MediaChange(dialog_id=dialog_id,
                                  message_ids=[strawberry.ID(i) for i in sorted(ids)])
