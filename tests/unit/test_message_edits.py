"""A client edits a message they sent (Telegram's edited messages): the dialog records the new
text once, and nothing for the same text again, an unknown message, or a text it refuses."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.domain import Aggregate

from application import commands as c
from application.handlers import HANDLERS, edit_client_message
from domain.dialogs import MAX_TEXT, Dialog, ExternalMessage
from domain.errors import InvalidValue
from domain.ids import message_id
from domain.routing import QUEUE

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def a_dialog() -> Dialog:
    return Dialog.open(client_id=uuid4(), phone="tg:42", client_name="Ivan", channel="telegram",
                       recipients=[], rule=QUEUE, actor="test")


def received(dialog: Dialog, text: str = "Helo") -> UUID:
    mid = uuid4()
    dialog.receive(message_id=mid, external_id=mid.hex, text=text, sent_at=NOW, actor="test")
    return mid


def edits(dialog: Dialog) -> list[Dialog.ClientMessageEdited]:
    return [e for e in dialog.collect_events() if isinstance(e, Dialog.ClientMessageEdited)]


def test_an_edit_records_the_new_text_once_with_who_and_when() -> None:
    dialog = a_dialog()
    mid = received(dialog)
    assert dialog.edit_client_message(mid, "Hello", NOW, actor="client:tg:42")
    assert not dialog.edit_client_message(mid, "Hello", NOW, actor="client:tg:42")
    [edit] = edits(dialog)
    assert (edit.message_id, edit.text, edit.edited_at, edit.actor) == (
        mid, "Hello", NOW, "client:tg:42")


def test_the_text_it_already_has_records_nothing() -> None:
    dialog = a_dialog()
    mid = received(dialog, "Hello")
    assert not dialog.edit_client_message(mid, "Hello", NOW, actor="t")
    assert edits(dialog) == []


def test_an_edit_back_to_an_earlier_text_is_a_change() -> None:
    dialog = a_dialog()
    mid = received(dialog, "one")
    assert dialog.edit_client_message(mid, "two", NOW, actor="t")
    assert dialog.edit_client_message(mid, "one", NOW, actor="t")
    assert [e.text for e in edits(dialog)] == ["two", "one"]


def test_a_message_this_dialog_did_not_receive_records_nothing() -> None:
    dialog, other = a_dialog(), a_dialog()
    theirs = received(other)
    received(dialog)
    assert not dialog.edit_client_message(uuid4(), "Hello", NOW, actor="t")
    assert not dialog.edit_client_message(theirs, "Hello", NOW, actor="t")
    assert edits(dialog) == []


@pytest.mark.parametrize("text", ["", "   \n", "x" * (MAX_TEXT + 1)])
def test_an_empty_or_too_long_text_is_refused_with_the_field(text: str) -> None:
    dialog = a_dialog()
    mid = received(dialog)
    with pytest.raises(InvalidValue) as refused:
        dialog.edit_client_message(mid, text, NOW, actor="t")
    assert refused.value.field == "text"
    assert edits(dialog) == []


def test_a_text_of_the_longest_length_is_taken() -> None:
    dialog = a_dialog()
    mid = received(dialog)
    assert dialog.edit_client_message(mid, "x" * MAX_TEXT, NOW, actor="t")


def test_a_dialog_rebuilt_from_its_events_knows_its_messages_and_their_texts() -> None:
    dialog = a_dialog()
    mid = received(dialog, "one")
    dialog.edit_client_message(mid, "two", NOW, actor="t")
    events = dialog.collect_events()
    rebuilt: Dialog | None = None
    for e in events:
        rebuilt = e.mutate(rebuilt)
    assert isinstance(rebuilt, Dialog)
    assert not rebuilt.edit_client_message(mid, "two", NOW, actor="t")
    assert rebuilt.edit_client_message(mid, "three", NOW, actor="t")


def test_a_snapshot_from_before_edits_still_loads() -> None:
    dialog = a_dialog()
    received(dialog)
    snapshot = Dialog.Snapshot.take(dialog)
    del snapshot.state["client_texts"]  # as snapshots taken before this release were
    old = snapshot.mutate(None)
    assert isinstance(old, Dialog)
    assert old.client_texts is None
    assert not old.edit_client_message(uuid4(), "Hello", NOW, actor="t")
    new = received(old, "hi")
    assert old.edit_client_message(new, "Hello", NOW, actor="t")


# -- the handler, with a unit of work in memory ---------------------------------------------
class MemoryUnitOfWork:
    """`optimistic`: is_recorded answers False for every id, as the writer may for an id it has
    not seen yet."""

    def __init__(self, *, optimistic: bool = False) -> None:
        self.aggregates: dict[UUID, Aggregate] = {}
        self.optimistic = optimistic

    def get(self, cls: type[Any], aggregate_id: UUID) -> Any:
        found = self.aggregates.get(aggregate_id)
        return found if isinstance(found, cls) else None

    def add(self, aggregate: Aggregate) -> None:
        self.aggregates[aggregate.id] = aggregate

    def is_recorded(self, aggregate_id: UUID) -> bool:
        return not self.optimistic and aggregate_id in self.aggregates

    def events(self) -> list[Any]:
        return [e for a in self.aggregates.values() for e in a.collect_events()]


def receive(uow: MemoryUnitOfWork, external_id: str = "42:7", text: str = "Helo") -> UUID:
    """A client's message received into a dialog, as `receive_client_message` leaves it."""
    dialog = a_dialog()
    mid = message_id("telegram", external_id)
    dialog.receive(message_id=mid, external_id=external_id, text=text, sent_at=NOW,
                   actor="client:tg:42")
    uow.add(dialog)
    uow.add(ExternalMessage(channel="telegram", external_id=external_id, dialog_id=dialog.id,
                            actor="client:tg:42"))
    uow.events()  # stored
    return dialog.id


def edit(external_id: str = "42:7", text: str = "Hello") -> c.EditClientMessage:
    return c.EditClientMessage(channel="telegram", external_id=external_id, text=text,
                               edited_at=NOW)


def test_the_handler_edits_the_message_in_its_dialog_as_the_client() -> None:
    uow = MemoryUnitOfWork()
    dialog_id = receive(uow)
    assert HANDLERS[c.EditClientMessage] is edit_client_message
    assert edit_client_message(edit(), uow)
    [edited] = uow.events()
    assert isinstance(edited, Dialog.ClientMessageEdited)
    assert edited.originator_id == dialog_id
    assert edited.message_id == message_id("telegram", "42:7")
    assert (edited.text, edited.edited_at, edited.actor) == ("Hello", NOW, "client:tg:42")


def test_the_handler_changes_nothing_for_an_unknown_message_or_the_same_text() -> None:
    uow = MemoryUnitOfWork()
    receive(uow)
    assert not edit_client_message(edit(external_id="42:8"), uow)
    assert not edit_client_message(edit(text="Helo"), uow)
    assert uow.events() == []


def test_the_handler_finds_the_message_when_the_writer_answers_optimistically() -> None:
    uow = MemoryUnitOfWork()
    receive(uow)
    uow.optimistic = True
    assert edit_client_message(edit(), uow)
    assert [type(e) for e in uow.events()] == [Dialog.ClientMessageEdited]
