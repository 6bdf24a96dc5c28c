from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import UTC, datetime

import strawberry
from anyio import to_thread

from api.graphql.context import Info
from api.graphql.inbox.queries import parse_id
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
            while True:
                remaining = (me.expires_at - datetime.now(UTC)).total_seconds()
                if remaining <= 0:
                    return
                try:
                    ids = await asyncio.wait_for(queue.get(), timeout=min(remaining, 60))
                except TimeoutError:
                    continue
                while not queue.empty():
                    ids |= queue.get_nowait()
                if await to_thread.run_sync(allowed):
                    yield MediaChange(dialog_id=dialog_id,
                                      message_ids=[strawberry.ID(i) for i in sorted(ids)])
