from __future__ import annotations

import strawberry
from anyio import to_thread

from api.graphql.colleagues.reading import chat_view
from api.graphql.colleagues.types import (
    ChatMember,
    ColleagueChat,
    ColleagueChats,
    ColleagueChatView,
)
from api.graphql.context import Info
from api.graphql.inbox.queries import parse_id
from api.graphql.permissions import IsAuthenticated
from projections import colleagues as view

MAX_PAGE = 200


def _page(last: int) -> None:
    if not 1 <= last <= MAX_PAGE:
        raise ValueError(f"`last` is between 1 and {MAX_PAGE}.")


@strawberry.type
class ColleaguesQuery:
    @strawberry.field(permission_classes=[IsAuthenticated],
                      description="The access group's other members: whom you may chat with.")
    async def colleagues(self, info: Info) -> list[ChatMember]:
        me = info.context.me.operator_id
        engine = info.context.app.reads

        def read() -> list[ChatMember]:
            with engine.connect() as conn:
                return [ChatMember.of(row) for row in view.colleagues_of(conn, me)]

        return await to_thread.run_sync(read)

    @strawberry.field(permission_classes=[IsAuthenticated],
                      description="Your colleague chats, newest activity first; discussions "
                                  "about dialogs too unless `includeDiscussions` is false.")
    async def colleague_chats(self, info: Info,
                              include_discussions: bool = True) -> ColleagueChats:
        me = info.context.me.operator_id
        engine = info.context.app.reads

        def read() -> ColleagueChats:
            with engine.connect() as conn:
                rows = view.chats_of(conn, me, include_discussions=include_discussions)
                return ColleagueChats(
                    chats=[ColleagueChat.of(r, view.members_of(conn, r.id), me) for r in rows],
                    unread_messages=view.unread_messages(conn, me))

        return await to_thread.run_sync(read)

    @strawberry.field(permission_classes=[IsAuthenticated],
                      description="One of your colleague chats with its last messages; null "
                                  "if it is not yours.")
    async def colleague_chat(self, info: Info, id: strawberry.ID, last: int = 50,
                             before: int | None = None) -> ColleagueChatView | None:
        _page(last)
        chat_id = parse_id(id)
        if chat_id is None:
            return None
        return await to_thread.run_sync(
            lambda: chat_view(info.context.app, info.context.me.operator_id, chat_id,
                              dialog_id=None, last=last, before=before))

    @strawberry.field(permission_classes=[IsAuthenticated],
                      description="The colleagues' discussion about a dialog of yours (\"ask a "
                                  "colleague\"): never sent to the client. Null until someone "
                                  "asks.")
    async def dialog_discussion(self, info: Info, dialog_id: strawberry.ID,
                                last: int = 50) -> ColleagueChatView | None:
        _page(last)
        did = parse_id(dialog_id)
        if did is None:
            return None
        return await to_thread.run_sync(
            lambda: chat_view(info.context.app, info.context.me.operator_id, None,
                              dialog_id=did, last=last, before=None))
