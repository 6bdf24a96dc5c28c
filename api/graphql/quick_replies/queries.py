"""`quickReplies(search, dialogId)`: the shared quick replies and your own, for everyone signed
in (auditors see the shared ones); with a dialog of yours, each text filled in for it."""

from __future__ import annotations

import strawberry

from api.graphql.context import Info
from api.graphql.inbox.queries import parse_id
from api.graphql.permissions import IsAuthenticated
from api.graphql.quick_replies.reading import visible
from api.graphql.quick_replies.types import QuickReply

MAX_SEARCH = 200


@strawberry.type
class QuickRepliesQuery:
    @strawberry.field(permission_classes=[IsAuthenticated],
                      description="The shared quick replies and your own whose shortcut or text "
                                  "holds `search` (regardless of case; a leading / is ignored), "
                                  "shortcuts that start with it first. With `dialogId` (one of "
                                  "your dialogs) each carries its text filled in for it.")
    async def quick_replies(self, info: Info, search: str = "",
                            dialog_id: strawberry.ID | None = None) -> list[QuickReply]:
        did = parse_id(dialog_id) if dialog_id is not None else None
        return await visible(info.context.app, info.context.me, search[:MAX_SEARCH], did)
