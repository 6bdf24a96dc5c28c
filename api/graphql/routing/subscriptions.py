from __future__ import annotations

from collections.abc import AsyncGenerator
from uuid import UUID

import strawberry
from anyio import to_thread

from api.graphql.context import Info
from api.graphql.live import changes
from api.graphql.permissions import IsAuthenticated
from api.graphql.routing.types import Notification, NotificationsChange
from projections import colleagues as colleagues_view
from projections import notifications as notifications_view
from projections import routing as routing_view


@strawberry.type
class RoutingSubscription:
    @strawberry.subscription(permission_classes=[IsAuthenticated],
                             description="Pushes your notifications as they come, fold or are "
                                         "read, with the unread count; and the count of "
                                         "unread colleague messages whenever it changes "
                                         "(nothing outside the access group).")
    async def notifications_changed(self, info: Info) -> AsyncGenerator[NotificationsChange, None]:
        me = info.context.me
        app = info.context.app
        engine = app.reads
        told = {"colleague_unread": -1}  # what the subscriber last heard

        def colleague_unread() -> int:
            with engine.connect() as conn:
                return colleagues_view.unread_messages(conn, me.operator_id)

        def read(ids: set[str]) -> NotificationsChange | None:
            """The notifications among `ids` (the rest are colleague chats, whose change
            matters only when it moves the subscriber's unread count)."""
            with engine.connect() as conn:
                if not routing_view.in_group(conn, me.operator_id):
                    return None
                rows = notifications_view.notifications_by_id(
                    conn, me.operator_id, [UUID(i) for i in ids])
                unread = colleagues_view.unread_messages(conn, me.operator_id)
                if not rows and unread == told["colleague_unread"]:
                    return None
                told["colleague_unread"] = unread
                return NotificationsChange(
                    unread_count=notifications_view.unread_count(conn, me.operator_id),
                    notifications=[Notification.of(r) for r in rows],
                    colleague_unread=unread)

        feed = app.feed
        async with feed.subscribe("notifications", me.operator_id) as queue, \
                feed.subscribe("colleagues", me.operator_id, queue):
            told["colleague_unread"] = await to_thread.run_sync(colleague_unread)
            async for ids in changes(queue, me.expires_at):
                change = await to_thread.run_sync(read, ids)
                if change is not None:
                    yield change
