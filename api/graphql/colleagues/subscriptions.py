from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from uuid import UUID

import strawberry
from anyio import to_thread

from api.graphql.colleagues.reading import entry
from api.graphql.colleagues.types import ColleagueChatChange
from api.graphql.context import Info
from api.graphql.permissions import IsAuthenticated
from projections import colleagues as view


@strawberry.type
class ColleaguesSubscription:
    @strawberry.subscription(permission_classes=[IsAuthenticated],
                             description="Pushes each change to your colleague chats: new "
                                         "messages, edits, members, read state.")
    async def colleague_chats_changed(
            self, info: Info) -> AsyncGenerator[ColleagueChatChange, None]:
        me = info.context.me
        container = info.context.container

        def read(ids: set[str]) -> list[ColleagueChatChange]:
            with container.views.reader.connect() as conn:
                unread = view.unread_messages(conn, me.operator_id)
            return [ColleagueChatChange(chat_id=strawberry.ID(i),
                                        chat=entry(container, me.operator_id, UUID(i)),
                                        unread_messages=unread) for i in sorted(ids)]

        async with container.feed.subscribe("colleagues", me.operator_id) as queue:
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
                for change in await to_thread.run_sync(read, ids):
                    yield change
