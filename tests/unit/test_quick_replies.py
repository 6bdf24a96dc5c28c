"""Quick replies' rules in memory: each change is an event with its actor; shortcuts are unique
among what each operator sees (case aside); a shared shortcut may not hide anyone's personal
one; placeholders are the three known ones, filled in (a missing value: empty); the whole set
survives a snapshot."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest

from domain.quick_replies import (
    QuickReplies,
    QuickReplyNotFound,
    SharedForManagers,
    ShortcutTaken,
    ShortcutTakenPersonally,
    UnknownPlaceholder,
    fill,
    manages_shared,
)

AT = datetime(2026, 12, 9, 12, 0, tzinfo=UTC)
OLGA, PETR = uuid4(), uuid4()


def add(replies: QuickReplies, shortcut: str, *, by: UUID = OLGA, shared: bool = False,
        text: str = "Hello") -> UUID:
    reply_id = uuid4()
    replies.create(reply_id, operator_id=by, shared=shared, may_manage_shared=shared,
                   shortcut=shortcut, text=text, at=AT, actor="operator:x")
    return reply_id


def test_every_change_is_an_event_that_names_who_acted() -> None:
    replies = QuickReplies(actor="operator:admin")
    reply_id = add(replies, "/hello")
    replies.change(reply_id, operator_id=OLGA, may_manage_shared=False, shortcut=None,
                   text="Hi", at=AT, actor="operator:olga")
    replies.delete(reply_id, operator_id=OLGA, may_manage_shared=False, at=AT,
                   actor="operator:olga")
    events = replies.collect_events()
    assert [type(e).__name__ for e in events] == ["Opened", "ReplyCreated", "ReplyChanged",
                                                  "ReplyDeleted"]
    changes = [e for e in events
               if isinstance(e, QuickReplies.ReplyChanged | QuickReplies.ReplyDeleted)]
    assert [e.actor for e in changes] == ["operator:olga", "operator:olga"]
    assert replies.replies == {}


def test_shortcuts_are_unique_among_what_each_operator_sees() -> None:
    replies = QuickReplies(actor="test")
    add(replies, "hello", shared=True)
    add(replies, "thanks", by=OLGA)
    add(replies, "Thanks", by=PETR)  # petr does not see olga's
    with pytest.raises(ShortcutTaken):
        add(replies, "HELLO", by=PETR)
    with pytest.raises(ShortcutTaken):
        add(replies, "/THANKS", by=OLGA)
    with pytest.raises(ShortcutTakenPersonally):
        add(replies, "thanks", shared=True)
    assert sorted(r["shortcut"] for r in replies.replies.values()) == ["Thanks", "hello",
                                                                       "thanks"]


def test_only_managers_touch_shared_ones_and_nobody_someone_elses() -> None:
    replies = QuickReplies(actor="test")
    shared = add(replies, "hello", shared=True)
    petrs = add(replies, "bye", by=PETR)
    with pytest.raises(SharedForManagers):
        replies.delete(shared, operator_id=OLGA, may_manage_shared=False, at=AT, actor="x")
    with pytest.raises(QuickReplyNotFound):
        replies.delete(petrs, operator_id=OLGA, may_manage_shared=True, at=AT, actor="x")
    assert len(replies.replies) == 2
    assert manages_shared("admin") and not manages_shared("operator") \
        and not manages_shared("auditor")


def test_placeholders_are_the_known_three_and_fill_in() -> None:
    replies = QuickReplies(actor="test")
    with pytest.raises(UnknownPlaceholder):
        add(replies, "x", text="Dear {name}")
    assert fill("Hi {client_name}, {operator_name} of {company} here",
                {"client_name": "Ivan", "operator_name": "Olga"}) == "Hi Ivan, Olga of  here"


def test_the_whole_set_survives_a_snapshot() -> None:
    replies = QuickReplies(actor="test")
    add(replies, "hello", shared=True, text="Hello {client_name}")
    add(replies, "bye", by=PETR)
    copy = QuickReplies.Snapshot.take(replies).mutate(None)
    assert isinstance(copy, QuickReplies)
    assert copy.replies == replies.replies
    with pytest.raises(ShortcutTaken):
        add(copy, "hello", by=PETR)
