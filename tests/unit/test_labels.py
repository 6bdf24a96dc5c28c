"""Labels in the domain: names unique ignoring case and kept tidy, colours from the palette or
#rrggbb, refusals that name what is wrong and record nothing, and a dialog's labels that are
still its labels when replayed (and from a snapshot taken before labels existed)."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest

from domain.dialogs import Dialog
from domain.errors import DomainError
from domain.labels import (
    MAX_PER_DIALOG,
    LabelColor,
    LabelName,
    LabelNameTaken,
    LabelNotFound,
    LabelSet,
    TooManyLabels,
)


def replayed(aggregate: Any) -> Any:
    copy = None
    for event in aggregate.collect_events():
        copy = event.mutate(copy)
    return copy


def a_dialog() -> Dialog:
    return Dialog.open(client_id=uuid4(), phone="+79161234567", client_name="Ivan",
                       channel="simulator", recipients=[uuid4()], rule="queue", actor="test")


def test_a_name_is_kept_tidy_and_unique_ignoring_case() -> None:
    labels = LabelSet(actor="admin")
    vip = labels.create(uuid4(), "  VIP   client ", "Blue", actor="admin")
    assert (vip.name, vip.color) == ("VIP client", "blue")
    with pytest.raises(LabelNameTaken) as taken:
        labels.create(uuid4(), "vip CLIENT", "red", actor="admin")
    assert taken.value.code == "LABEL_NAME_TAKEN" and taken.value.field == "name"
    assert len(labels.labels) == 1


@pytest.mark.parametrize(("name", "color", "error"), [
    ("", "red", LabelName), ("   ", "red", LabelName), ("x" * 41, "red", LabelName),
    ("Refund", "crimson", LabelColor), ("Refund", "#12345", LabelColor),
    ("Refund", "#12345g", LabelColor), ("Refund", "", LabelColor),
])
def test_an_empty_or_long_name_and_a_colour_off_the_palette_are_refused(
    name: str, color: str, error: type[DomainError]
) -> None:
    labels = LabelSet(actor="admin")
    before = len(labels.collect_events())
    with pytest.raises(error):
        labels.create(uuid4(), name, color, actor="admin")
    assert labels.labels == {} and labels.collect_events() == [] and before == 1


def test_a_hex_colour_is_kept_in_lower_case() -> None:
    labels = LabelSet(actor="admin")
    assert labels.create(uuid4(), "Refund", "#A1B2C3", actor="admin").color == "#a1b2c3"


def test_renaming_records_only_what_changed_and_may_keep_its_own_name_in_another_case() -> None:
    labels = LabelSet(actor="admin")
    vip = labels.create(uuid4(), "VIP", "blue", actor="admin")
    refund = labels.create(uuid4(), "Refund", "red", actor="admin")
    labels.collect_events()
    assert labels.rename(vip.id, "Vip", None, actor="admin").name == "Vip"
    assert [type(e).__name__ for e in labels.collect_events()] == ["LabelRenamed"]
    assert labels.rename(vip.id, "Vip", "green", actor="admin").color == "green"
    assert [type(e).__name__ for e in labels.collect_events()] == ["LabelRecoloured"]
    with pytest.raises(LabelNameTaken):
        labels.rename(vip.id, "REFUND", None, actor="admin")
    with pytest.raises(LabelNotFound):
        labels.rename(uuid4(), "Other", None, actor="admin")
    assert labels.labels[refund.id].name == "Refund"


def test_a_deleted_label_is_unknown_afterwards_and_its_name_is_free_again() -> None:
    labels = LabelSet(actor="admin")
    vip = labels.create(uuid4(), "VIP", "blue", actor="admin")
    labels.delete(vip.id, actor="admin")
    with pytest.raises(LabelNotFound):
        labels.known([vip.id])
    with pytest.raises(LabelNotFound):
        labels.delete(vip.id, actor="admin")
    assert labels.create(uuid4(), "vip", "red", actor="admin").name == "vip"
    copy = replayed(labels)
    assert [label.name for label in copy.labels.values()] == ["vip"]


def test_a_dialogs_labels_are_known_ones_without_repeats_and_at_most_twenty() -> None:
    labels = LabelSet(actor="admin")
    ids = [labels.create(uuid4(), f"L{i}", "gray", actor="admin").id
           for i in range(MAX_PER_DIALOG + 1)]
    assert labels.known([ids[1], ids[0], ids[1]]) == [ids[1], ids[0]]
    with pytest.raises(TooManyLabels):
        labels.known(ids)
    with pytest.raises(LabelNotFound) as unknown:
        labels.known([ids[0], uuid4()])
    assert unknown.value.field == "labelIds"


def test_a_dialog_records_its_labels_once_and_replays_them() -> None:
    dialog = a_dialog()
    first, second = uuid4(), uuid4()
    assert a_dialog().label_ids is None  # a dialog from before labels has none
    assert dialog.set_labels([first, second], actor="olga") is True
    assert dialog.set_labels([first, second], actor="olga") is False
    assert dialog.set_labels([second, first], actor="olga") is True
    events = dialog.collect_events()
    assert [e.label_ids for e in events if isinstance(e, Dialog.LabelsSet)] == [
        [first, second], [second, first]]
    copy = None
    for event in events:
        copy = event.mutate(copy)
    assert copy is not None and copy.label_ids == [second.hex, first.hex]
    assert dialog.set_labels([], actor="olga") is True and dialog.label_ids == []
