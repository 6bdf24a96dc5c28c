from __future__ import annotations

from collections.abc import AsyncGenerator
from uuid import UUID

import strawberry
from anyio import to_thread

from api.graphql.colleagues.reading import entry
from api.graphql.colleagues.types import ColleagueChatChange
from api.graphql.context import Info
from api.graphql.live import changes
from api.graphql.permissions import IsAuthenticated
from projections import colleagues as view
from projections import routing as routing_view


@strawberry.type
class ColleaguesSubscription:
    @strawberry.subscription(permission_classes=[IsAuthenticated],
                             description="Pushes each change to your colleague chats: new "
                                         "messages, edits, members, read state (nothing "
                                         "while you are outside the access group).")
    async def colleague_chats_changed(
            self, info: Info) -> AsyncGenerator[ColleagueChatChange, None]:
        me = info.context.me
        app = info.context.app

        def read(ids: set[str]) -> list[ColleagueChatChange]:
            """The changes, asked of the access group each time: an operator who left it
            is still a member of their chats in the read model, and hears nothing of them."""
            with app.reads.connect() as conn:
                if not routing_view.in_group(conn, me.operator_id):
                    return []
                unread = view.unread_messages(conn, me.operator_id)
            return [ColleagueChatChange(chat_id=strawberry.ID(i),
                                        chat=entry(app, me.operator_id, UUID(i)),
                                        unread_messages=unread) for i in sorted(ids)]

        async with app.feed.subscribe("colleagues", me.operator_id) as queue:
            async for ids in changes(queue, me.expires_at):
                for change in await to_thread.run_sync(read, ids):
                    yield change
