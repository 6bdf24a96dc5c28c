from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from anyio import to_thread

from api.graphql.context import Info
from api.graphql.inbox.queries import parse_id
from api.graphql.live import changes
from api.graphql.permissions import IsAuthenticated
from projections import inbox as inbox_view


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
        me = info.context.me
        container = info.context.container
        did = parse_id(dialog_id)
        if did is None:
            return

        def allowed() -> bool:
            with container.views.reader.connect() as conn:
                return inbox_view.inbox_entry(conn, me.operator_id, did) is not None

        if not await to_thread.run_sync(allowed):
            return
        async with container.feed.subscribe("media", did) as queue:
            async for ids in changes(queue, me.expires_at):
                if await to_thread.run_sync(allowed):
                    yield MediaChange(dialog_id=dialog_id,
                                      message_ids=[strawberry.ID(i) for i in sorted(ids)])
