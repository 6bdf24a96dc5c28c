"""Labels on dialogs ("VIP", "Refund", "Complaint"): the company's set of labels, which admins
manage, and which operators put on the dialogs they may read.

One aggregate holds the whole set (`LabelSet`), so that a name is unique among the labels
(ignoring case) however many admins create them at once: the store refuses the second of two
concurrent changes and the writer runs it again against the first. Which labels a dialog has is
the dialog's own event (`Dialog.LabelsSet`, domain/dialogs.py); a deleted label stays in the
events of the dialogs it was on (history), and the read models drop it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import AlreadyExists, InvalidValue, NotFound
from domain.ids import natural_id

LABELS_ID = natural_id("labels", "all")
MAX_NAME = 40
MAX_LABELS = 200  # in the set
MAX_PER_DIALOG = 20
# The panel's palette, by name; any other colour is written #rrggbb.
PALETTE = ("gray", "red", "orange", "yellow", "green", "teal", "blue", "purple", "pink")
HEX = re.compile(r"#[0-9a-f]{6}")


class LabelNotFound(NotFound):
    code = "LABEL_NOT_FOUND"


class LabelNameTaken(AlreadyExists):
    code = "LABEL_NAME_TAKEN"


class LabelName(InvalidValue):
    code = "LABEL_NAME"


class LabelColor(InvalidValue):
    code = "LABEL_COLOR"


class TooManyLabels(InvalidValue):
    code = "TOO_MANY_LABELS"


@dataclass(frozen=True)
class Label:
    id: UUID
    name: str
    color: str


def check_name(name: str) -> str:
    """The name as kept: trimmed, inner runs of spaces as one; refuses an empty or long one."""
    clean = " ".join(name.split())
    if not clean:
        raise LabelName("A label needs a name.", field="name")
    if len(clean) > MAX_NAME:
        raise LabelName(f"A label's name is at most {MAX_NAME} characters.", field="name")
    return clean


def check_color(color: str) -> str:
    """One of the palette's names, or #rrggbb (kept in lower case)."""
    value = color.strip().lower()
    if value in PALETTE or HEX.fullmatch(value):
        return value
    raise LabelColor(f"A label's colour is one of {', '.join(PALETTE)}, or #rrggbb.",
                     field="color")


class LabelSet(Aggregate):
    """Every label there is, by id."""

    class Opened(Aggregate.Created):
        actor: str

    class LabelCreated(Aggregate.Event):
        label_id: UUID
        name: str
        color: str
        actor: str

    class LabelRenamed(Aggregate.Event):
        label_id: UUID
        name: str
        actor: str

    class LabelRecoloured(Aggregate.Event):
        label_id: UUID
        color: str
        actor: str

    class LabelDeleted(Aggregate.Event):
        """The label is gone from the set and, in the read models, from every dialog; the
        dialogs' events still name it."""

        label_id: UUID
        actor: str

    @staticmethod
    def create_id() -> UUID:
        return LABELS_ID

    @event(Opened)
    def __init__(self, actor: str) -> None:
        self.labels: dict[UUID, Label] = {}

    def get(self, label_id: UUID) -> Label:
        found = self.labels.get(label_id)
        if found is None:
            raise LabelNotFound("No such label (deleted, perhaps).", field="id")
        return found

    def _ensure_free(self, name: str, but: UUID | None = None) -> None:
        folded = name.casefold()
        for label in self.labels.values():
            if label.id != but and label.name.casefold() == folded:
                raise LabelNameTaken(f"There is a label {label.name!r} already.", field="name")

    def create(self, label_id: UUID, name: str, color: str, actor: str) -> Label:
        clean = check_name(name)
        colour = check_color(color)
        if label_id in self.labels:
            raise LabelNameTaken("This label exists already.", field="id")
        self._ensure_free(clean)
        if len(self.labels) >= MAX_LABELS:
            raise TooManyLabels(f"At most {MAX_LABELS} labels; delete one first.",
                                field="name")
        self._label_created(label_id=label_id, name=clean, color=colour, actor=actor)
        return self.labels[label_id]

    @event(LabelCreated)
    def _label_created(self, label_id: UUID, name: str, color: str, actor: str) -> None:
        self.labels[label_id] = Label(id=label_id, name=name, color=color)

    def rename(self, label_id: UUID, name: str, color: str | None, actor: str) -> Label:
        """A new name (and, when given, a new colour); nothing is recorded for what stays."""
        label = self.get(label_id)
        clean = check_name(name)
        colour = check_color(color) if color is not None else label.color
        self._ensure_free(clean, but=label_id)
        if clean != label.name:
            self._label_renamed(label_id=label_id, name=clean, actor=actor)
        if colour != label.color:
            self._label_recoloured(label_id=label_id, color=colour, actor=actor)
        return self.labels[label_id]

    @event(LabelRenamed)
    def _label_renamed(self, label_id: UUID, name: str, actor: str) -> None:
        old = self.labels[label_id]
        self.labels[label_id] = Label(id=label_id, name=name, color=old.color)

    @event(LabelRecoloured)
    def _label_recoloured(self, label_id: UUID, color: str, actor: str) -> None:
        old = self.labels[label_id]
        self.labels[label_id] = Label(id=label_id, name=old.name, color=color)

    def delete(self, label_id: UUID, actor: str) -> None:
        self.get(label_id)
        self._label_deleted(label_id=label_id, actor=actor)

    @event(LabelDeleted)
    def _label_deleted(self, label_id: UUID, actor: str) -> None:
        del self.labels[label_id]

    def known(self, label_ids: list[UUID]) -> list[UUID]:
        """The ids in order without repeats; refuses an unknown (or deleted) one, or too many."""
        unique = list(dict.fromkeys(label_ids))
        for label_id in unique:
            if label_id not in self.labels:
                raise LabelNotFound("No such label (deleted, perhaps).", field="labelIds")
        if len(unique) > MAX_PER_DIALOG:
            raise TooManyLabels(f"A dialog has at most {MAX_PER_DIALOG} labels.",
                                field="labelIds")
        return unique
