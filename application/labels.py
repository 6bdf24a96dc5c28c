"""Labels: admins create, rename (and recolour) and delete the company's labels; operators and
admins choose the labels of a dialog they may read (`SetDialogLabels`: the whole list at once).

Handlers run inside the group-commit writer: no I/O; they decide before they change anything."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from application import oversight
from application.ports import UnitOfWork
from domain.labels import LABELS_ID, PALETTE, Label, LabelNotFound, LabelSet

__all__ = ["PALETTE", "CreateLabel", "DeleteLabel", "Label", "RenameLabel", "SetDialogLabels"]


# -- commands --------------------------------------------------------------------------------
@dataclass(frozen=True)
class CreateLabel:
    label_id: UUID
    name: str
    color: str
    actor: str


@dataclass(frozen=True)
class RenameLabel:
    """A new name, and a new colour when `color` is given."""

    label_id: UUID
    name: str
    color: str | None
    actor: str


@dataclass(frozen=True)
class DeleteLabel:
    label_id: UUID
    actor: str


@dataclass(frozen=True)
class SetDialogLabels:
    """The dialog's labels from now on (empty: none), chosen by `operator_id`."""

    dialog_id: UUID
    operator_id: UUID
    label_ids: tuple[UUID, ...]
    actor: str


# -- handlers --------------------------------------------------------------------------------
def _label_set(uow: UnitOfWork, actor: str) -> LabelSet:
    labels = uow.get(LabelSet, LABELS_ID)
    if labels is None:
        if uow.is_recorded(LABELS_ID):  # an optimistic answer was wrong: the batch runs again
            raise RuntimeError("The labels exist but could not be read.")
        labels = LabelSet(actor=actor)
        uow.add(labels)
    return labels


def create_label(cmd: CreateLabel, uow: UnitOfWork) -> Label:
    return _label_set(uow, cmd.actor).create(cmd.label_id, cmd.name, cmd.color, cmd.actor)


def rename_label(cmd: RenameLabel, uow: UnitOfWork) -> Label:
    labels = uow.get(LabelSet, LABELS_ID)
    if labels is None:
        raise LabelNotFound("No such label.", field="id")
    return labels.rename(cmd.label_id, cmd.name, cmd.color, cmd.actor)


def delete_label(cmd: DeleteLabel, uow: UnitOfWork) -> bool:
    labels = uow.get(LabelSet, LABELS_ID)
    if labels is None:
        raise LabelNotFound("No such label.", field="id")
    labels.delete(cmd.label_id, cmd.actor)
    return True


def set_dialog_labels(cmd: SetDialogLabels, uow: UnitOfWork) -> list[Label]:
    """Refuses an operator outside the access group, a dialog not delivered to them (admins and
    supervisors label any: application/oversight.py), an unknown label; answers the labels as
    kept (in order, without repeats)."""
    dialog, _ = oversight.dialog_to_act_on(uow, cmd.dialog_id, cmd.operator_id)
    labels = uow.get(LabelSet, LABELS_ID)
    if labels is None:
        if cmd.label_ids:
            raise LabelNotFound("No such label: an admin creates labels first.",
                                field="labelIds")
        chosen: list[UUID] = []
    else:
        chosen = labels.known(list(cmd.label_ids))
    dialog.set_labels(chosen, cmd.actor)
    return [labels.labels[label_id] for label_id in chosen] if labels else []


HANDLERS: dict[type, Callable[[Any, UnitOfWork], Any]] = {
    CreateLabel: create_label,
    RenameLabel: rename_label,
    DeleteLabel: delete_label,
    SetDialogLabels: set_dialog_labels,
}
