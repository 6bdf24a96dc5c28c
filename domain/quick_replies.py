"""Quick replies: ready texts an operator picks in the reply box by typing `/` and the shortcut.

Shared ones belong to everybody and are managed by admins (`SHARED_MANAGERS`: the roles that
may); personal ones belong to one operator, who alone sees and manages them. A text may name
`{client_name}`, `{operator_name}` and `{company}`; the panel fills them in before the operator
sends (and the operator sees, and may edit, the result first).

A shortcut is unique among what anybody sees: among the shared ones and the operator's own for
a personal one; among every quick reply for a shared one (which everybody sees), so that no
operator ever finds two under one shortcut. That rule spans every quick reply, so one aggregate
holds them all (snapshotted), and each change is decided against the whole set."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import AlreadyExists, InvalidValue, NotAllowed, NotFound
from domain.ids import natural_id
from domain.operators import Role

QUICK_REPLIES_ID = natural_id("quick-replies", "all")
SHARED_MANAGERS = frozenset({Role.ADMIN})  # who manages shared ones (a supervisor: add here)
MAX_SHORTCUT = 32
MAX_TEXT = 4096  # a WhatsApp message's limit
MAX_SHARED = 500
MAX_PERSONAL = 200
PLACEHOLDERS = ("client_name", "operator_name", "company")
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
SHORTCUT = re.compile(r"^[\w.-]+$")


class QuickReplyNotFound(NotFound):
    code = "QUICK_REPLY_NOT_FOUND"


class SharedForManagers(NotAllowed):
    code = "QUICK_REPLY_SHARED_ADMINS_ONLY"


class ShortcutTaken(AlreadyExists):
    code = "QUICK_REPLY_SHORTCUT_TAKEN"


class ShortcutTakenPersonally(AlreadyExists):
    """A shared shortcut that an operator's personal quick reply already uses."""

    code = "QUICK_REPLY_SHORTCUT_TAKEN_PERSONAL"


class ShortcutEmpty(InvalidValue):
    code = "QUICK_REPLY_SHORTCUT_EMPTY"


class ShortcutTooLong(InvalidValue):
    code = "QUICK_REPLY_SHORTCUT_TOO_LONG"


class ShortcutInvalid(InvalidValue):
    code = "QUICK_REPLY_SHORTCUT_INVALID"


class TextEmpty(InvalidValue):
    code = "QUICK_REPLY_TEXT_EMPTY"


class TextTooLong(InvalidValue):
    code = "QUICK_REPLY_TEXT_TOO_LONG"


class UnknownPlaceholder(InvalidValue):
    code = "QUICK_REPLY_UNKNOWN_PLACEHOLDER"


class TooManyQuickReplies(InvalidValue):
    code = "QUICK_REPLY_LIMIT"


# -- pure rules ------------------------------------------------------------------------------
def manages_shared(role: Role | str) -> bool:
    return Role(role) in SHARED_MANAGERS


def check_shortcut(shortcut: str) -> str:
    """The shortcut as kept: trimmed, without the `/` that opens the picker."""
    value = shortcut.strip().removeprefix("/")
    if not value:
        raise ShortcutEmpty("A quick reply needs a shortcut.", field="shortcut")
    if len(value) > MAX_SHORTCUT:
        raise ShortcutTooLong(f"A shortcut is at most {MAX_SHORTCUT} characters.",
                              field="shortcut")
    if not SHORTCUT.match(value):
        raise ShortcutInvalid("A shortcut is one word: letters, digits, '_', '-' or '.'.",
                              field="shortcut")
    return value


def shortcut_key(shortcut: str) -> str:
    """What makes two shortcuts the same: their letters regardless of case."""
    return shortcut.casefold()


def check_text(text: str) -> str:
    if not text.strip():
        raise TextEmpty("A quick reply needs a text.", field="text")
    if len(text) > MAX_TEXT:
        raise TextTooLong(f"A quick reply is at most {MAX_TEXT} characters.", field="text")
    unknown = [name for name in PLACEHOLDER.findall(text) if name not in PLACEHOLDERS]
    if unknown:
        known = ", ".join(f"{{{name}}}" for name in PLACEHOLDERS)
        raise UnknownPlaceholder(
            f"Unknown placeholder {{{unknown[0]}}}: a text may use {known}.", field="text")
    return text


def fill(text: str, values: Mapping[str, str]) -> str:
    """The text with each placeholder replaced by its value (a missing value: empty)."""
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), ""), text)


# -- the aggregate ---------------------------------------------------------------------------
class QuickReplies(Aggregate):
    """Every quick reply, shared and personal. State is plain JSON (snapshots): reply id →
    {"owner": operator id or None (shared), "shortcut": …, "text": …}."""

    class Opened(Aggregate.Created):
        actor: str

    class ReplyCreated(Aggregate.Event):
        reply_id: UUID
        owner_id: UUID | None  # None: shared
        shortcut: str
        text: str
        at: datetime
        actor: str

    class ReplyChanged(Aggregate.Event):
        reply_id: UUID
        shortcut: str
        text: str
        at: datetime
        actor: str

    class ReplyDeleted(Aggregate.Event):
        reply_id: UUID
        at: datetime
        actor: str

    @staticmethod
    def create_id() -> UUID:
        return QUICK_REPLIES_ID

    @event(Opened)
    def __init__(self, actor: str) -> None:
        self.replies: dict[str, dict[str, Any]] = {}

    # -- decisions --------------------------------------------------------------------------
    def create(self, reply_id: UUID, *, operator_id: UUID, shared: bool, may_manage_shared: bool,
               shortcut: str, text: str, at: datetime, actor: str) -> None:
        if str(reply_id) in self.replies:
            raise AlreadyExists("This quick reply exists already.", field="id")
        if shared and not may_manage_shared:
            raise SharedForManagers("Only an admin creates shared quick replies.",
                                    field="shared")
        value, body = check_shortcut(shortcut), check_text(text)
        owner = None if shared else str(operator_id)
        mine = [r for r in self.replies.values() if r["owner"] == owner]
        limit = MAX_SHARED if shared else MAX_PERSONAL
        if len(mine) >= limit:
            raise TooManyQuickReplies(f"At most {limit} {'shared' if shared else 'personal'} "
                                      "quick replies.", field="shared")
        self._check_free(value, owner=owner, except_id=None)
        self._created(reply_id=reply_id, owner_id=None if shared else operator_id,
                      shortcut=value, text=body, at=at, actor=actor)

    def change(self, reply_id: UUID, *, operator_id: UUID, may_manage_shared: bool,
               shortcut: str | None, text: str | None, at: datetime, actor: str) -> bool:
        """Answers whether anything changed (the same values again change nothing)."""
        reply = self._managed(reply_id, operator_id, may_manage_shared)
        value = check_shortcut(shortcut) if shortcut is not None else reply["shortcut"]
        body = check_text(text) if text is not None else reply["text"]
        if value == reply["shortcut"] and body == reply["text"]:
            return False
        self._check_free(value, owner=reply["owner"], except_id=str(reply_id))
        self._changed(reply_id=reply_id, shortcut=value, text=body, at=at, actor=actor)
        return True

    def delete(self, reply_id: UUID, *, operator_id: UUID, may_manage_shared: bool,
               at: datetime, actor: str) -> None:
        self._managed(reply_id, operator_id, may_manage_shared)
        self._deleted(reply_id=reply_id, at=at, actor=actor)

    def _managed(self, reply_id: UUID, operator_id: UUID,
                 may_manage_shared: bool) -> dict[str, Any]:
        """The reply this operator may change; someone else's personal one is not found (it is
        not among the ones they see)."""
        reply = self.replies.get(str(reply_id))
        if reply is None or reply["owner"] not in (None, str(operator_id)):
            raise QuickReplyNotFound("No such quick reply among yours and the shared ones.",
                                     field="id")
        if reply["owner"] is None and not may_manage_shared:
            raise SharedForManagers("Only an admin changes shared quick replies.", field="id")
        return reply

    def _check_free(self, shortcut: str, *, owner: str | None, except_id: str | None) -> None:
        key = shortcut_key(shortcut)
        for reply_id, reply in self.replies.items():
            if reply_id == except_id or shortcut_key(reply["shortcut"]) != key:
                continue
            if reply["owner"] is None or reply["owner"] == owner:
                raise ShortcutTaken(f"The shortcut /{shortcut} is taken: choose another.",
                                    field="shortcut")
            if owner is None:
                raise ShortcutTakenPersonally(
                    f"An operator's personal quick reply uses /{shortcut}: choose another.",
                    field="shortcut")

    # -- events -----------------------------------------------------------------------------
    @event(ReplyCreated)
    def _created(self, reply_id: UUID, owner_id: UUID | None, shortcut: str, text: str,
                 at: datetime, actor: str) -> None:
        self.replies[str(reply_id)] = {"owner": str(owner_id) if owner_id else None,
                                       "shortcut": shortcut, "text": text}

    @event(ReplyChanged)
    def _changed(self, reply_id: UUID, shortcut: str, text: str, at: datetime,
                 actor: str) -> None:
        self.replies[str(reply_id)].update(shortcut=shortcut, text=text)

    @event(ReplyDeleted)
    def _deleted(self, reply_id: UUID, at: datetime, actor: str) -> None:
        self.replies.pop(str(reply_id), None)
