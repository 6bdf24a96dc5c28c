from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import UTC, datetime

import strawberry
from anyio import to_thread

from api.graphql.context import Info
from api.graphql.inbox.queries import parse_id
from api.graphql.outbox.types import OutgoingChange
from api.graphql.permissions import IsAuthenticated
from projections import inbox as view


@strawberry.type
class OutboxSubscription:
    @strawberry.subscription(permission_classes=[IsAuthenticated],
                             description="Replies in one of your dialogs changed (queued, sent, "
                                         "delivered, read, failed): fetch its messages again. "
                                         "Ends at once if the dialog is not yours.")
    async def outgoing_changed(self, info: Info,
                               dialog_id: strawberry.ID) -> AsyncGenerator[OutgoingChange, None]:
        me = info.context.me
        container = info.context.container
        did = parse_id(dialog_id)
        if did is None:
            return

        def visible() -> bool:
            with container.views.reader.connect() as conn:
                return view.inbox_entry(conn, me.operator_id, did) is not None

        if not await to_thread.run_sync(visible):
            return
        async with container.feed.subscribe("outbox", did) as queue:
            while True:
                remaining = (me.expires_at - datetime.now(UTC)).total_seconds()
                if remaining <= 0:
                    return  # the token expired: the server ends the subscription
                try:
                    ids = await asyncio.wait_for(queue.get(), timeout=min(remaining, 60))
                except TimeoutError:
                    continue
                while not queue.empty():
                    ids |= queue.get_nowait()
                yield OutgoingChange(dialog_id=dialog_id,
                                     message_ids=[strawberry.ID(i) for i in sorted(ids)])
