"""Chats among colleagues: direct chats between two operators, group chats, and the discussion
attached to a client's dialog ("ask a colleague" about this client) — which is never sent to the
client. Only members of the access group read or write them (the application checks the group
on every command; the read models on every query), so leaving the group ends access to every
colleague chat at once.

One aggregate per chat. A direct chat's id is a uuid5 of the pair, a discussion's of its dialog:
asking twice finds the same chat. Messages are numbered in the chat (`seq`); a member's read
state is how far they have read; the author may edit a message within a short window."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import AlreadyExists, DomainError, InvalidValue, NotAllowed, NotFound
from domain.ids import natural_id

MAX_TEXT = 4096
MAX_TITLE = 120
MAX_MEMBERS = 200
RECENT_KEPT = 500  # messages remembered for edits and repeated posts


class ChatKind(StrEnum):
    DIRECT = "direct"
    GROUP = "group"
    DISCUSSION = "discussion"  # about a client's dialog: operators only


class NotAChatMember(NotAllowed):
    code = "NOT_A_CHAT_MEMBER"


class EditWindowClosed(DomainError):
    code = "EDIT_WINDOW_CLOSED"


class NotTheAuthor(NotAllowed):
    code = "NOT_THE_AUTHOR"


# -- pure rules ------------------------------------------------------------------------------
def direct_chat_id(a: UUID, b: UUID) -> UUID:
    first, second = sorted((str(a), str(b)))
    return natural_id("colleague-direct", f"{first}:{second}")


def discussion_id(dialog_id: UUID) -> UUID:
    return natural_id("colleague-discussion", str(dialog_id))


def group_chat_id(key: str) -> UUID:
    return natural_id("colleague-group", key)


def colleague_message_id(chat_id: UUID, key: str) -> UUID:
    """A message's id from the key its sender chose: the same key twice is one message."""
    return natural_id("colleague-message", f"{chat_id}:{key}")


def check_text(text: str) -> str:
    if not text.strip():
        raise InvalidValue("Write something first: the message is empty.", field="text")
    if len(text) > MAX_TEXT:
        raise InvalidValue(f"A message is at most {MAX_TEXT} characters.", field="text")
    return text


def check_title(title: str) -> str:
    value = " ".join(title.split())
    if not value or len(value) > MAX_TITLE:
        raise InvalidValue(f"A group chat's title is 1 to {MAX_TITLE} characters.",
                           field="title")
    return value


class ColleagueChat(Aggregate):
    # Defaults for state added after the first release, so that older snapshots still load.
    dialog_id = None  # type: UUID | None

    class Started(Aggregate.Created):
        kind: str
        title: str
        members: list[UUID]
        dialog_id: UUID | None
        started_by: UUID
        at: datetime
        actor: str

    class MemberJoined(Aggregate.Event):
        operator_id: UUID
        added_by: UUID
        at: datetime
        actor: str

    class MemberLeft(Aggregate.Event):
        operator_id: UUID
        at: datetime
        actor: str

    class MessagePosted(Aggregate.Event):
        message_id: UUID
        seq: int
        author_id: UUID
        text: str
        at: datetime
        actor: str

    class MessageEdited(Aggregate.Event):
        message_id: UUID
        text: str
        at: datetime
        actor: str

    class MarkedRead(Aggregate.Event):
        operator_id: UUID
        up_to: int
        actor: str

    @event(Started)
    def __init__(self, kind: str, title: str, members: list[UUID], dialog_id: UUID | None,
                 started_by: UUID, at: datetime, actor: str) -> None:
        self.kind = kind
        self.title = title
        self.members = list(members)
        self.dialog_id = dialog_id
        self.message_count = 0
        self.read_up_to: dict[str, int] = {}
        # message id -> [author id, posted at (ISO)]: the recent ones, for edits and repeats
        self.recent: dict[str, list[str]] = {}

    @classmethod
    def start_direct(cls, a: UUID, b: UUID, *, at: datetime, actor: str) -> ColleagueChat:
        if a == b:
            raise InvalidValue("A direct chat is with someone else.", field="colleagueId")
        return cls._start(direct_chat_id(a, b), kind=ChatKind.DIRECT.value, title="",
                          members=[a, b], dialog_id=None, started_by=a, at=at, actor=actor)

    @classmethod
    def start_group(cls, chat_id: UUID, *, title: str, by: UUID, members: list[UUID],
                    at: datetime, actor: str) -> ColleagueChat:
        chosen = list(dict.fromkeys([by, *members]))
        if len(chosen) < 2:
            raise InvalidValue("A group chat needs at least one colleague besides you.",
                               field="memberIds")
        if len(chosen) > MAX_MEMBERS:
            raise InvalidValue(f"A group chat has at most {MAX_MEMBERS} members.",
                               field="memberIds")
        return cls._start(chat_id, kind=ChatKind.GROUP.value, title=check_title(title),
                          members=chosen, dialog_id=None, started_by=by, at=at, actor=actor)

    @classmethod
    def start_discussion(cls, dialog_id: UUID, *, by: UUID, at: datetime,
                         actor: str) -> ColleagueChat:
        return cls._start(discussion_id(dialog_id), kind=ChatKind.DISCUSSION.value, title="",
                          members=[by], dialog_id=dialog_id, started_by=by, at=at, actor=actor)

    @classmethod
    def _start(cls, chat_id: UUID, **fields: Any) -> ColleagueChat:
        """The chat under an id chosen by its kind (the pair, the dialog, a new group)."""
        chat: ColleagueChat = cls._create(cls.Started, id=chat_id, **fields)
        return chat

    # -- reading ---------------------------------------------------------------------------
    def has(self, operator_id: UUID) -> bool:
        return operator_id in self.members

    def ensure_member(self, operator_id: UUID) -> None:
        if operator_id not in self.members:
            raise NotAChatMember("You are not in this chat.")

    def unread_for(self, operator_id: UUID) -> int:
        return max(self.message_count - self.read_up_to.get(str(operator_id), 0), 0)

    # -- membership ------------------------------------------------------------------------
    def add_member(self, operator_id: UUID, *, by: UUID, at: datetime, actor: str) -> bool:
        """Adds a colleague (a member adds them); False when they are in it already."""
        if self.kind == ChatKind.DIRECT:
            raise NotAllowed("A direct chat is between two people: start a group chat.")
        self.ensure_member(by)
        if operator_id in self.members:
            return False
        if len(self.members) >= MAX_MEMBERS:
            raise InvalidValue(f"A chat has at most {MAX_MEMBERS} members.", field="operatorId")
        self._join(operator_id=operator_id, added_by=by, at=at, actor=actor)
        return True

    def join(self, operator_id: UUID, *, at: datetime, actor: str) -> bool:
        """Joins on one's own (a discussion, for those who may see its dialog)."""
        if self.kind != ChatKind.DISCUSSION:
            raise NotAChatMember("You are not in this chat.")
        if operator_id in self.members:
            return False
        self._join(operator_id=operator_id, added_by=operator_id, at=at, actor=actor)
        return True

    @event(MemberJoined)
    def _join(self, operator_id: UUID, added_by: UUID, at: datetime, actor: str) -> None:
        self.members.append(operator_id)
        # A newcomer starts with everything said so far unread.
        self.read_up_to[str(operator_id)] = 0

    def leave(self, operator_id: UUID, *, at: datetime, actor: str) -> None:
        if self.kind == ChatKind.DIRECT:
            raise NotAllowed("A direct chat cannot be left.")
        self.ensure_member(operator_id)
        self._leave(operator_id=operator_id, at=at, actor=actor)

    @event(MemberLeft)
    def _leave(self, operator_id: UUID, at: datetime, actor: str) -> None:
        self.members.remove(operator_id)
        self.read_up_to.pop(str(operator_id), None)

    # -- messages ----------------------------------------------------------------------------
    def knows(self, message_id: UUID) -> bool:
        return str(message_id) in self.recent

    def post(self, *, message_id: UUID, author_id: UUID, text: str, at: datetime,
             actor: str) -> bool:
        """Posts a message; False when this message was posted already (a repeated request)."""
        self.ensure_member(author_id)
        if self.knows(message_id):
            return False
        self._post(message_id=message_id, seq=self.message_count + 1, author_id=author_id,
                   text=check_text(text), at=at, actor=actor)
        return True

    @event(MessagePosted)
    def _post(self, message_id: UUID, seq: int, author_id: UUID, text: str, at: datetime,
              actor: str) -> None:
        self.message_count = seq
        self.recent[str(message_id)] = [str(author_id), at.isoformat()]
        while len(self.recent) > RECENT_KEPT:
            del self.recent[next(iter(self.recent))]
        # Writing reads what came before.
        self.read_up_to[str(author_id)] = seq

    def edit(self, *, message_id: UUID, by: UUID, text: str, at: datetime, window: timedelta,
             actor: str) -> bool:
        """The author changes a message within `window` of posting it; False if unchanged."""
        self.ensure_member(by)
        known = self.recent.get(str(message_id))
        if known is None:
            raise NotFound("No such message in this chat (or it is too old to edit).",
                           field="messageId")
        author, posted = known
        if author != str(by):
            raise NotTheAuthor("Only the author may edit a message.")
        if at - datetime.fromisoformat(posted) > window:
            minutes = int(window.total_seconds() // 60)
            raise EditWindowClosed(f"A message can be edited within {minutes} minutes of "
                                   f"posting it.")
        self._edit(message_id=message_id, text=check_text(text), at=at, actor=actor)
        return True

    @event(MessageEdited)
    def _edit(self, message_id: UUID, text: str, at: datetime, actor: str) -> None:
        pass

    def mark_read(self, operator_id: UUID, actor: str) -> bool:
        self.ensure_member(operator_id)
        if self.read_up_to.get(str(operator_id), 0) >= self.message_count:
            return False
        self._mark_read(operator_id=operator_id, up_to=self.message_count, actor=actor)
        return True

    @event(MarkedRead)
    def _mark_read(self, operator_id: UUID, up_to: int, actor: str) -> None:
        self.read_up_to[str(operator_id)] = up_to


__all__ = ["AlreadyExists", "ChatKind", "ColleagueChat", "EditWindowClosed", "NotAChatMember",
           "NotTheAuthor", "colleague_message_id", "direct_chat_id", "discussion_id"]
