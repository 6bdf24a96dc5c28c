from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing

import strawberry

from api.graphql.context import Info
from api.graphql.inbox.queries import parse_id
from api.graphql.live import dialog_changes
from api.graphql.outbox.types import OutgoingChange
from api.graphql.permissions import IsAuthenticated


@strawberry.type
class OutboxSubscription:
    @strawberry.subscription(permission_classes=[IsAuthenticated],
                             description="Replies in one of your dialogs changed (queued, sent, "
                                         "delivered, read, failed), or a message was reacted "
                                         "to, deleted or replied from the phone: fetch its "
                                         "messages again. "
                                         "Ends at once if the dialog is not yours.")
    async def outgoing_changed(self, info: Info,
                               dialog_id: strawberry.ID) -> AsyncGenerator[OutgoingChange, None]:
        did = parse_id(dialog_id)
        if did is None:
            return
        async with aclosing(dialog_changes(info, "outbox", did)) as stream:  # unsubscribes
            async for ids in stream:
                yield OutgoingChange(dialog_id=dialog_id,
                                     message_ids=[strawberry.ID(i) for i in sorted(ids)])
