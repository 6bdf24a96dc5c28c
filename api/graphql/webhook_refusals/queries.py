"""`refusedWebhookItems(channel, first, after)`: what the channels could not read, newest first,
for admins and auditors (a supervisor role, when it comes, joins `CanAudit`)."""

from __future__ import annotations

from typing import Annotated

import strawberry
from anyio import to_thread

from api.graphql.context import Info
from api.graphql.permissions import CanAudit
from api.graphql.webhook_refusals.types import (
    RefusedWebhookItem,
    RefusedWebhookItems,
    decode_cursor,
)
from projections.webhook_refusals import refused_items

MAX_PAGE = 100


@strawberry.type
class WebhookRefusalsQuery:
    @strawberry.field(permission_classes=[CanAudit],
                      description="Webhook items the channels trusted but could not read, "
                                  "newest first, `first` at a time after the cursor `after`.")
    async def refused_webhook_items(
        self, info: Info,
        channel: Annotated[str | None, strawberry.argument(
            description="Only this channel's (cloud, waha, telegram, …); null: all.")] = None,
        first: int = 20, after: str | None = None,
    ) -> RefusedWebhookItems:
        if not 1 <= first <= MAX_PAGE:
            raise ValueError(f"`first` is between 1 and {MAX_PAGE}.")
        before = decode_cursor(after)
        engine = info.context.app.reads

        def read() -> RefusedWebhookItems:
            with engine.connect() as conn:
                page = refused_items(conn, channel=channel or None, first=first,
                                     before_position=before)
            items = [RefusedWebhookItem.of(row) for row in page.rows]
            return RefusedWebhookItems(
                items=items, has_next_page=page.has_next,
                end_cursor=items[-1].cursor if items else None, total_count=page.total)

        return await to_thread.run_sync(read)
