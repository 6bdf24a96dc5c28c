from __future__ import annotations

from collections.abc import AsyncGenerator
from uuid import UUID

import strawberry
from anyio import to_thread

from api.graphql.context import Info
from api.graphql.inbox.types import InboxChange, InboxEntry
from api.graphql.live import changes
from api.graphql.permissions import IsAuthenticated
from projections import inbox as view


@strawberry.type
class InboxSubscription:
    @strawberry.subscription(permission_classes=[IsAuthenticated],
                             description="Pushes each change to a dialog in your inbox. While "
                                         "subscribed, you are online for routing.")
    async def inbox_changed(self, info: Info) -> AsyncGenerator[InboxChange, None]:
        me = info.context.me
        app = info.context.app
        engine = app.reads

        def read(ids: set[str]) -> tuple[list[InboxEntry], int]:
            with engine.connect() as conn:
                rows = [view.inbox_entry(conn, me.operator_id, UUID(i)) for i in sorted(ids)]
                return ([InboxEntry.of(r) for r in rows if r is not None],
                        view.unread_dialogs(conn, me.operator_id))

        # While this subscription lives, the operator's panel is connected: online (routing).
        async with (app.panels.connected(me.operator_id, me.actor),
                    app.feed.subscribe("inbox", me.operator_id) as queue):
            async for ids in changes(queue, me.expires_at):
                entries, unread = await to_thread.run_sync(read, ids)
                for entry in entries:
                    yield InboxChange(dialog=entry, unread_dialogs=unread)
