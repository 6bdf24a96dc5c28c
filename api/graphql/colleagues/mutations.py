"""Colleague chats: each mutation turns its input into a command; a refusal (long-polling, not
in the access group, not in the chat, the edit window closed, …) answers a UserError."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any, TypeVar
from uuid import UUID

import strawberry

from api.graphql.catch_up import read_models_caught_up
from api.graphql.colleagues.reading import entry_async
from api.graphql.colleagues.types import ColleagueChatSuccess, PostColleagueMessageSuccess
from api.graphql.context import Info
from api.graphql.errors import Done, UserError
from api.graphql.inbox.queries import parse_id
from api.graphql.permissions import IsAuthenticated
from application import colleagues as col
from application.errors import DomainError

ChatResult = Annotated[ColleagueChatSuccess | UserError, strawberry.union("ColleagueChatResult")]
PostResult = Annotated[PostColleagueMessageSuccess | UserError,
                       strawberry.union("PostColleagueMessageResult")]
LeaveResult = Annotated[Done | UserError, strawberry.union("LeaveChatResult")]
T = TypeVar("T")


def _not_found(field: str, what: str = "chat among yours") -> UserError:
    return UserError(code="NOT_FOUND", message=f"No such {what}.", field=field)


def _ids(values: list[strawberry.ID], field: str) -> tuple[UUID, ...] | UserError:
    parsed = [parse_id(v) for v in values]
    if any(p is None for p in parsed):
        return _not_found(field, "colleague")
    return tuple(p for p in parsed if p is not None)


async def _then(info: Info, command: object,
                answer: Callable[[Any], Awaitable[T]]) -> T | UserError:
    """Runs the command (a refusal answers its UserError); once the colleagues' read model has
    caught up, answers with `answer(what the command returned)`."""
    app = info.context.app
    try:
        result = await app.bus.execute(command)
    except DomainError as error:
        return UserError.of(error)
    await read_models_caught_up(app, "colleagues")
    return await answer(result)


async def _chat(info: Info, chat_id: UUID) -> ChatResult:
    chat = await entry_async(info.context.app, info.context.me.operator_id, chat_id)
    if chat is None:
        return _not_found("chatId")
    return ColleagueChatSuccess(chat=chat)


async def _posted(info: Info, posted: col.Posted) -> PostResult:
    chat = await entry_async(info.context.app, info.context.me.operator_id,
                             posted.chat_id)
    if chat is None:
        return _not_found("chatId")
    return PostColleagueMessageSuccess(chat=chat, message_id=strawberry.ID(str(posted.message_id)),
                                       duplicate=posted.duplicate)


def _now(info: Info) -> datetime:
    return info.context.app.clock.now()


async def _done(_: object) -> Done:
    return Done()


@strawberry.type
class ColleaguesMutation:
    @strawberry.mutation(permission_classes=[IsAuthenticated],
                         description="Opens your direct chat with a colleague (the same one "
                                     "every time).")
    async def start_direct_chat(self, info: Info, colleague_id: strawberry.ID) -> ChatResult:
        me = info.context.me
        colleague = parse_id(colleague_id)
        if colleague is None:
            return _not_found("colleagueId", "colleague")

        return await _then(info, col.StartDirectChat(
            operator_id=me.operator_id, colleague_id=colleague, at=_now(info), actor=me.actor),
            lambda started: _chat(info, started.chat_id))

    @strawberry.mutation(permission_classes=[IsAuthenticated],
                         description="Starts a group chat with colleagues. `clientId` (any new "
                                     "UUID) makes a repeated request the same chat.")
    async def start_group_chat(self, info: Info, title: str, member_ids: list[strawberry.ID],
                               client_id: strawberry.ID | None = None) -> ChatResult:
        me = info.context.me
        members = _ids(member_ids, "memberIds")
        if isinstance(members, UserError):
            return members
        chat_id = parse_id(client_id) if client_id else uuid.uuid4()
        if chat_id is None:
            return UserError(code="INVALID_VALUE", message="clientId is a UUID.",
                             field="clientId")

        return await _then(info, col.StartGroupChat(
            chat_id=chat_id, operator_id=me.operator_id, title=title, member_ids=members,
            at=_now(info), actor=me.actor), lambda started: _chat(info, started.chat_id))

    @strawberry.mutation(permission_classes=[IsAuthenticated],
                         description="Adds a colleague to a group chat (or a discussion) you "
                                     "are in.")
    async def add_chat_member(self, info: Info, chat_id: strawberry.ID,
                              operator_id: strawberry.ID) -> ChatResult:
        me = info.context.me
        cid, member = parse_id(chat_id), parse_id(operator_id)
        if cid is None:
            return _not_found("chatId")
        if member is None:
            return _not_found("operatorId", "colleague")

        return await _then(info, col.AddChatMember(
            chat_id=cid, operator_id=me.operator_id, member_id=member, at=_now(info),
            actor=me.actor), lambda _: _chat(info, cid))

    @strawberry.mutation(permission_classes=[IsAuthenticated],
                         description="Leaves a group chat or a discussion.")
    async def leave_chat(self, info: Info, chat_id: strawberry.ID) -> LeaveResult:
        me = info.context.me
        cid = parse_id(chat_id)
        if cid is None:
            return _not_found("chatId")

        return await _then(info, col.LeaveChat(
            chat_id=cid, operator_id=me.operator_id, at=_now(info), actor=me.actor), _done)

    @strawberry.mutation(permission_classes=[IsAuthenticated],
                         description="Writes in a colleague chat. The same `idempotencyKey` "
                                     "again is the same message.")
    async def post_colleague_message(self, info: Info, chat_id: strawberry.ID, text: str,
                                     idempotency_key: str | None = None) -> PostResult:
        me = info.context.me
        cid = parse_id(chat_id)
        if cid is None:
            return _not_found("chatId")

        return await _then(info, col.PostColleagueMessage(
            chat_id=cid, operator_id=me.operator_id, text=text,
            key=idempotency_key or uuid.uuid4().hex, at=_now(info), actor=me.actor),
            lambda posted: _posted(info, posted))

    @strawberry.mutation(permission_classes=[IsAuthenticated],
                         description="Changes your message, within a few minutes of writing "
                                     "it (EDIT_WINDOW_CLOSED after).")
    async def edit_colleague_message(self, info: Info, chat_id: strawberry.ID,
                                     message_id: strawberry.ID, text: str) -> ChatResult:
        me = info.context.me
        cid, mid = parse_id(chat_id), parse_id(message_id)
        if cid is None:
            return _not_found("chatId")
        if mid is None:
            return _not_found("messageId", "message")
        window = info.context.app.settings.colleague_edit_window_seconds

        return await _then(info, col.EditColleagueMessage(
            chat_id=cid, operator_id=me.operator_id, message_id=mid, text=text, at=_now(info),
            actor=me.actor, window_seconds=window), lambda _: _chat(info, cid))

    @strawberry.mutation(permission_classes=[IsAuthenticated],
                         description="Marks every message of a colleague chat read, for you.")
    async def mark_colleague_chat_read(self, info: Info, chat_id: strawberry.ID) -> ChatResult:
        me = info.context.me
        cid = parse_id(chat_id)
        if cid is None:
            return _not_found("chatId")

        return await _then(info, col.MarkColleagueChatRead(
            chat_id=cid, operator_id=me.operator_id, actor=me.actor),
            lambda _: _chat(info, cid))

    @strawberry.mutation(permission_classes=[IsAuthenticated],
                         description="Asks colleagues about a client's dialog: the question "
                                     "goes to the dialog's discussion, which the colleagues "
                                     "asked join. Never sent to the client.")
    async def ask_colleague(self, info: Info, dialog_id: strawberry.ID, text: str,
                            colleague_ids: list[strawberry.ID] | None = None,
                            idempotency_key: str | None = None) -> PostResult:
        me = info.context.me
        did = parse_id(dialog_id)
        if did is None:
            return _not_found("dialogId", "dialog among yours")
        asked = _ids(colleague_ids or [], "colleagueIds")
        if isinstance(asked, UserError):
            return asked

        return await _then(info, col.AskColleague(
            dialog_id=did, operator_id=me.operator_id, colleague_ids=asked, text=text,
            key=idempotency_key or uuid.uuid4().hex, at=_now(info), actor=me.actor),
            lambda posted: _posted(info, posted))
