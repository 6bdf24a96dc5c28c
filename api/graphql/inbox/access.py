"""Whether the subscriber may see dialogs at all, live: an operator taken out of the access
group (or put back in) hears it at once, and the panel empties (or refills) the inbox without
a reload. The inbox's own subscription cannot say it: it speaks of one dialog at a time, and an
operator outside the group has none."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from anyio import to_thread

from api.graphql.context import Info
from api.graphql.live import changes
from api.graphql.permissions import IsAuthenticated
from projections import routing as routing_view


@strawberry.type(description="Your access to the dialogs, as it stands now.")
class InboxAccess:
    in_access_group: bool = strawberry.field(
        description="Whether you are in the access group: outside it, you see no dialogs.")


@strawberry.type
class InboxAccessSubscription:
    @strawberry.subscription(permission_classes=[IsAuthenticated],
                             description="Pushes each change of your access-group membership "
                                         "(taken out: the inbox is empty; put back: fetch it "
                                         "again).")
    async def inbox_access_changed(self, info: Info) -> AsyncGenerator[InboxAccess, None]:
        me = info.context.me
        engine = info.context.app.reads

        def member() -> bool:
            with engine.connect() as conn:
                return routing_view.in_group(conn, me.operator_id)

        async with info.context.app.feed.subscribe("access", me.operator_id) as queue:
            async for _ in changes(queue, me.expires_at):
                yield InboxAccess(in_access_group=await to_thread.run_sync(member))
