"""Colleague chats as the API shows them. A discussion about a client's dialog is kept apart
from the dialog's messages (it is `dialogDiscussion`, never a `Message`): nothing in it is sent
to the client."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry

from api.graphql.time import utc


@strawberry.enum(description="direct: two colleagues; group: several; discussion: about a "
                             "client's dialog (\"ask a colleague\"), never sent to the client.")
class ChatKind(Enum):
    DIRECT = "direct"
    GROUP = "group"
    DISCUSSION = "discussion"


@strawberry.type(description="A member of the access group: someone to chat with.")
class ChatMember:
    id: strawberry.ID
    login: str
    display_name: str

    @classmethod
    def of(cls, row: Any) -> ChatMember:
        oid = getattr(row, "operator_id", None) or row.id
        return cls(id=strawberry.ID(str(oid)), login=row.login,
                   display_name=row.display_name)


@strawberry.type
class ColleagueMessagePreview:
    text: str
    at: datetime
    author_id: strawberry.ID


@strawberry.type(description="A colleague chat as it stands for you.")
class ColleagueChat:
    id: strawberry.ID
    kind: ChatKind
    title: str = strawberry.field(description="A group's title; for a direct chat, the "
                                              "colleague's name; for a discussion, the client's.")
    dialog_id: strawberry.ID | None = strawberry.field(
        description="The client's dialog a discussion is about.")
    client_name: str | None
    client_phone: str | None
    started_at: datetime
    message_count: int
    unread_count: int
    last_message: ColleagueMessagePreview | None
    members: list[ChatMember]

    @classmethod
    def of(cls, row: Any, members: list[Any], me: Any) -> ColleagueChat:
        people = [ChatMember.of(m) for m in members]
        title = row.title
        if row.kind == "direct":
            others = [p.display_name for p in people if str(p.id) != str(me)]
            title = others[0] if others else title
        elif row.kind == "discussion":
            title = row.client_name or row.phone or title
        preview = None
        if row.last_message_at is not None:
            preview = ColleagueMessagePreview(text=row.last_message_text or "",
                                              at=utc(row.last_message_at),
                                              author_id=strawberry.ID(str(row.last_author_id)))
        return cls(id=strawberry.ID(str(row.id)), kind=ChatKind(row.kind), title=title,
                   dialog_id=strawberry.ID(str(row.dialog_id)) if row.dialog_id else None,
                   client_name=row.client_name, client_phone=row.phone,
                   started_at=utc(row.started_at), message_count=row.message_count,
                   unread_count=row.unread or 0, last_message=preview, members=people)


@strawberry.type
class ColleagueMessage:
    id: strawberry.ID
    seq: int
    author: ChatMember
    text: str
    sent_at: datetime
    edited_at: datetime | None
    mine: bool

    @classmethod
    def of(cls, row: Any, me: Any) -> ColleagueMessage:
        return cls(id=strawberry.ID(str(row.id)), seq=row.seq,
                   author=ChatMember(id=strawberry.ID(str(row.author_id)),
                                    login=row.author_login or "",
                                    display_name=row.author_name or ""),
                   text=row.text, sent_at=utc(row.sent_at),
                   edited_at=utc(row.edited_at) if row.edited_at else None,
                   mine=str(row.author_id) == str(me))


@strawberry.type(description="A colleague chat with its messages, oldest first.")
class ColleagueChatView:
    chat: ColleagueChat
    messages: list[ColleagueMessage]
    has_earlier: bool


@strawberry.type(description="Your colleague chats, newest activity first.")
class ColleagueChats:
    chats: list[ColleagueChat]
    unread_messages: int = strawberry.field(
        description="Colleague messages you have not read, in all your chats.")


@strawberry.type(description="A colleague chat of yours changed: a message, an edit, a "
                             "member, or your read state. `chat` is null once it is no longer "
                             "yours (you left it, or left the access group).")
class ColleagueChatChange:
    chat_id: strawberry.ID
    chat: ColleagueChat | None
    unread_messages: int


@strawberry.type
class ColleagueChatSuccess:
    chat: ColleagueChat


@strawberry.type
class PostColleagueMessageSuccess:
    chat: ColleagueChat
    message_id: strawberry.ID
    duplicate: bool
