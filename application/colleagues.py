"""Chats among colleagues: commands and handlers.

Every command is refused while the installation's connection is long-polling (the seed's rule,
with the message that says how to switch), and for anyone outside the access group — the
group is asked on every command, so leaving it ends access to every colleague chat at once.
A discussion about a client's dialog ("ask a colleague") is open to whoever may see the
dialog, and to the colleagues asked; nothing in it is ever sent to the client."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from application import routing
from application.ports import UnitOfWork
from application.setup import ensure_chats_allowed
from domain.access import NotInAccessGroup
from domain.colleagues import (
    ChatKind,
    ColleagueChat,
    EditWindowClosed,
    NotAChatMember,
    NotTheAuthor,
    colleague_message_id,
    direct_chat_id,
    discussion_id,
)
from domain.dialogs import Dialog
from domain.errors import InvalidValue, NotFound
from domain.operators import Operator
from domain.outbox import check_key

DEFAULT_EDIT_WINDOW_SECONDS = 15 * 60
MAX_ASKED = 20

__all__ = ["ChatKind", "EditWindowClosed", "NotAChatMember", "NotTheAuthor"]


# -- commands --------------------------------------------------------------------------------
@dataclass(frozen=True)
class StartDirectChat:
    operator_id: UUID
    colleague_id: UUID
    at: datetime
    actor: str


@dataclass(frozen=True)
class StartGroupChat:
    chat_id: UUID  # chosen by the entry point (a new uuid), so a retried request is one chat
    operator_id: UUID
    title: str
    member_ids: tuple[UUID, ...]
    at: datetime
    actor: str


@dataclass(frozen=True)
class AddChatMember:
    chat_id: UUID
    operator_id: UUID
    member_id: UUID
    at: datetime
    actor: str


@dataclass(frozen=True)
class LeaveChat:
    chat_id: UUID
    operator_id: UUID
    at: datetime
    actor: str


@dataclass(frozen=True)
class PostColleagueMessage:
    chat_id: UUID
    operator_id: UUID
    text: str
    key: str
    at: datetime
    actor: str


@dataclass(frozen=True)
class EditColleagueMessage:
    chat_id: UUID
    operator_id: UUID
    message_id: UUID
    text: str
    at: datetime
    actor: str
    window_seconds: int = DEFAULT_EDIT_WINDOW_SECONDS


@dataclass(frozen=True)
class MarkColleagueChatRead:
    chat_id: UUID
    operator_id: UUID
    actor: str


@dataclass(frozen=True)
class AskColleague:
    """Opens (or continues) the discussion about a client's dialog, adds the colleagues asked
    and posts the question. Never sent to the client."""

    dialog_id: UUID
    operator_id: UUID
    colleague_ids: tuple[UUID, ...]
    text: str
    key: str
    at: datetime
    actor: str


# -- results ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class ChatStarted:
    chat_id: UUID
    created: bool


@dataclass(frozen=True)
class Posted:
    chat_id: UUID
    message_id: UUID
    seq: int
    duplicate: bool = False


# -- handlers --------------------------------------------------------------------------------
def start_direct_chat(cmd: StartDirectChat, uow: UnitOfWork) -> ChatStarted:
    _allowed(uow, cmd.operator_id)
    _colleague(uow, cmd.colleague_id)
    chat_id = direct_chat_id(cmd.operator_id, cmd.colleague_id)
    if uow.is_recorded(chat_id):
        return ChatStarted(chat_id=chat_id, created=False)
    chat = ColleagueChat.start_direct(cmd.operator_id, cmd.colleague_id, at=cmd.at,
                                      actor=cmd.actor)
    uow.add(chat)
    return ChatStarted(chat_id=chat.id, created=True)


def start_group_chat(cmd: StartGroupChat, uow: UnitOfWork) -> ChatStarted:
    _allowed(uow, cmd.operator_id)
    if uow.is_recorded(cmd.chat_id):
        known = uow.get(ColleagueChat, cmd.chat_id)
        if known is None or not known.has(cmd.operator_id):
            raise InvalidValue("This chat id is taken.", field="chatId")
        return ChatStarted(chat_id=cmd.chat_id, created=False)
    for member in dict.fromkeys(cmd.member_ids):
        if member != cmd.operator_id:
            _colleague(uow, member)
    chat = ColleagueChat.start_group(cmd.chat_id, title=cmd.title, by=cmd.operator_id,
                                     members=list(cmd.member_ids), at=cmd.at, actor=cmd.actor)
    uow.add(chat)
    return ChatStarted(chat_id=chat.id, created=True)


def add_chat_member(cmd: AddChatMember, uow: UnitOfWork) -> bool:
    _allowed(uow, cmd.operator_id)
    chat = _chat(uow, cmd.chat_id, cmd.operator_id)
    _colleague(uow, cmd.member_id)
    return chat.add_member(cmd.member_id, by=cmd.operator_id, at=cmd.at, actor=cmd.actor)


def leave_chat(cmd: LeaveChat, uow: UnitOfWork) -> bool:
    _allowed(uow, cmd.operator_id)
    chat = _chat(uow, cmd.chat_id, cmd.operator_id)
    chat.leave(cmd.operator_id, at=cmd.at, actor=cmd.actor)
    return True


def post_colleague_message(cmd: PostColleagueMessage, uow: UnitOfWork) -> Posted:
    _allowed(uow, cmd.operator_id)
    chat = _chat(uow, cmd.chat_id, cmd.operator_id, joining=(cmd.at, cmd.actor))
    return _post(chat, uow, cmd.operator_id, cmd.text, cmd.key, cmd.at, cmd.actor)


def edit_colleague_message(cmd: EditColleagueMessage, uow: UnitOfWork) -> bool:
    _allowed(uow, cmd.operator_id)
    chat = _chat(uow, cmd.chat_id, cmd.operator_id)
    return chat.edit(message_id=cmd.message_id, by=cmd.operator_id, text=cmd.text, at=cmd.at,
                     window=timedelta(seconds=cmd.window_seconds), actor=cmd.actor)


def mark_colleague_chat_read(cmd: MarkColleagueChatRead, uow: UnitOfWork) -> bool:
    _allowed(uow, cmd.operator_id)
    chat = _chat(uow, cmd.chat_id, cmd.operator_id)
    return chat.mark_read(cmd.operator_id, actor=cmd.actor)


def ask_colleague(cmd: AskColleague, uow: UnitOfWork) -> Posted:
    _allowed(uow, cmd.operator_id)
    dialog = uow.get(Dialog, cmd.dialog_id)
    chat_id = discussion_id(cmd.dialog_id)
    chat = uow.get(ColleagueChat, chat_id) if uow.is_recorded(chat_id) else None
    may_see = dialog is not None and dialog.may_read(cmd.operator_id)
    if dialog is None or not (may_see or (chat is not None and chat.has(cmd.operator_id))):
        raise NotFound("No such dialog among yours.", field="dialogId")
    asked = list(dict.fromkeys(cmd.colleague_ids))
    if len(asked) > MAX_ASKED:
        raise InvalidValue(f"Ask at most {MAX_ASKED} colleagues at once.", field="colleagueIds")
    for colleague in asked:
        if colleague != cmd.operator_id:
            _colleague(uow, colleague)
    if chat is None:
        if uow.is_recorded(chat_id):  # an optimistic answer was wrong: the batch runs again
            raise RuntimeError("The discussion exists but could not be read.")
        chat = ColleagueChat.start_discussion(cmd.dialog_id, by=cmd.operator_id, at=cmd.at,
                                              actor=cmd.actor)
        uow.add(chat)
    else:
        chat.join(cmd.operator_id, at=cmd.at, actor=cmd.actor)
    for colleague in asked:
        if colleague != cmd.operator_id:
            chat.add_member(colleague, by=cmd.operator_id, at=cmd.at, actor=cmd.actor)
    return _post(chat, uow, cmd.operator_id, cmd.text, cmd.key, cmd.at, cmd.actor)


# -- helpers ---------------------------------------------------------------------------------
def _allowed(uow: UnitOfWork, operator_id: UUID) -> None:
    """Colleague chats need the web-service connection, and the access group."""
    ensure_chats_allowed(uow)  # the seed's rule, and its message that says how to switch
    routing.ensure_access(uow, operator_id)


def _colleague(uow: UnitOfWork, operator_id: UUID) -> Operator:
    operator = uow.get(Operator, operator_id)
    if operator is None or not operator.active:
        raise NotFound("No such colleague.", field="colleagueId")
    if not routing.has_access(uow, operator_id):
        raise NotInAccessGroup(f"{operator.display_name} is not in the access group: only its "
                               "members chat with colleagues.")
    return operator


def _chat(uow: UnitOfWork, chat_id: UUID, operator_id: UUID, *,
          joining: tuple[datetime, str] | None = None) -> ColleagueChat:
    """The chat, for one of its members; a discussion also for whoever may see its dialog
    (who joins it by writing)."""
    chat = uow.get(ColleagueChat, chat_id)
    if chat is None:
        raise NotFound("No such chat among yours.", field="chatId")
    if chat.has(operator_id):
        return chat
    if chat.kind == ChatKind.DISCUSSION and chat.dialog_id is not None:
        dialog = uow.get(Dialog, chat.dialog_id)
        if dialog is not None and dialog.may_read(operator_id):
            if joining is not None:
                chat.join(operator_id, at=joining[0], actor=joining[1])
            return chat
    raise NotFound("No such chat among yours.", field="chatId")


def _post(chat: ColleagueChat, uow: UnitOfWork, operator_id: UUID, text: str, key: str,
          at: datetime, actor: str) -> Posted:
    message_id = colleague_message_id(chat.id, check_key(key))
    if not chat.post(message_id=message_id, author_id=operator_id, text=text, at=at,
                     actor=actor):
        return Posted(chat_id=chat.id, message_id=message_id, seq=chat.message_count,
                      duplicate=True)
    return Posted(chat_id=chat.id, message_id=message_id, seq=chat.message_count)


HANDLERS: dict[type, Callable[[Any, UnitOfWork], Any]] = {
    StartDirectChat: start_direct_chat,
    StartGroupChat: start_group_chat,
    AddChatMember: add_chat_member,
    LeaveChat: leave_chat,
    PostColleagueMessage: post_colleague_message,
    EditColleagueMessage: edit_colleague_message,
    MarkColleagueChatRead: mark_colleague_chat_read,
    AskColleague: ask_colleague,
}
