from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from anyio import to_thread

from api.graphql.context import Info
from api.graphql.inbox.queries import parse_id
from api.graphql.live import changes
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
            async for ids in changes(queue, me.expires_at):
                yield OutgoingChange(dialog_id=dialog_id,
                                     message_ids=[strawberry.ID(i) for i in sorted(ids)])
