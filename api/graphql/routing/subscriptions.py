from __future__ import annotations

from collections.abc import AsyncGenerator
from uuid import UUID

import strawberry
from anyio import to_thread

from api.graphql.context import Info
from api.graphql.live import changes
from api.graphql.permissions import IsAuthenticated
from api.graphql.routing.types import Notification, NotificationsChange
from projections import notifications as notifications_view
from projections import routing as routing_view


@strawberry.type
class RoutingSubscription:
    @strawberry.subscription(permission_classes=[IsAuthenticated],
                             description="Pushes your notifications as they come, fold or are "
                                         "read, with the unread count (nothing outside the "
                                         "access group).")
    async def notifications_changed(self, info: Info) -> AsyncGenerator[NotificationsChange, None]:
        me = info.context.me
        container = info.context.container
        engine = container.views.reader

        def read(ids: set[str]) -> NotificationsChange | None:
            with engine.connect() as conn:
                if not routing_view.in_group(conn, me.operator_id):
                    return None
                rows = notifications_view.notifications_by_id(
                    conn, me.operator_id, [UUID(i) for i in ids])
                return NotificationsChange(
                    unread_count=notifications_view.unread_count(conn, me.operator_id),
                    notifications=[Notification.of(r) for r in rows])

        async with container.feed.subscribe("notifications", me.operator_id) as queue:
            async for ids in changes(queue, me.expires_at):
                change = await to_thread.run_sync(read, ids)
                if change is not None:
                    yield change
