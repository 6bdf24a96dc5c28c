"""A dialog in operators' hands: claiming it (or answering it, which claims it too),
transferring it to a colleague, resolving it. Whoever lets a dialog go may take a waiting one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from application import oversight
from application.ports import UnitOfWork
from application.routing.distribution import assign_waiting
from application.routing.shared import (
    ensure_access,
    group_members,
    leave_line,
    presence_of,
    release,
    visible_dialog,
)
from domain.dialogs import Dialog
from domain.errors import NotFound
from domain.operators import Operator
from domain.routing_rules import TargetNotEligible


# -- commands -------------------------------------------------------------------------------
@dataclass(frozen=True)
class ClaimDialog:
    dialog_id: UUID
    operator_id: UUID
    at: datetime
    actor: str


@dataclass(frozen=True)
class TransferDialog:
    dialog_id: UUID
    operator_id: UUID
    to_operator_id: UUID
    note: str
    at: datetime
    actor: str


@dataclass(frozen=True)
class ResolveDialog:
    dialog_id: UUID
    operator_id: UUID
    at: datetime
    actor: str


def answer(uow: UnitOfWork, dialog: Dialog, operator_id: UUID, *, at: datetime,
           actor: str) -> None:
    """For sending: refuses an operator outside the access group or not among the dialog's
    recipients, or when another operator holds it; replying takes an unheld dialog (and
    accepts an offer), as a claim does."""
    ensure_access(uow, operator_id)
    was_held = dialog.assignee == operator_id
    if dialog.claim(operator_id, at=at, actor=actor) and not was_held:
        presence_of(uow, operator_id, actor).take(dialog.id, at=at, actor=actor)
        leave_line(uow, dialog.id, "claimed", actor)


# -- handlers -------------------------------------------------------------------------------
def claim_dialog(cmd: ClaimDialog, uow: UnitOfWork) -> bool:
    ensure_access(uow, cmd.operator_id)
    dialog = visible_dialog(uow, cmd.dialog_id, cmd.operator_id)
    was_held = dialog.assignee == cmd.operator_id
    if not dialog.claim(cmd.operator_id, at=cmd.at, actor=cmd.actor):
        return False
    if not was_held:
        presence_of(uow, cmd.operator_id, cmd.actor).take(dialog.id, at=cmd.at, actor=cmd.actor)
        leave_line(uow, dialog.id, "claimed", cmd.actor)
    return True


def transfer_dialog(cmd: TransferDialog, uow: UnitOfWork) -> UUID:
    """The holder (or anyone the dialog was delivered to while nobody holds it) hands it over;
    admins and supervisors reassign any dialog (application/oversight.py)."""
    dialog, is_admin = oversight.dialog_to_act_on(uow, cmd.dialog_id, cmd.operator_id)
    target = uow.get(Operator, cmd.to_operator_id)
    if target is None or not target.active:
        raise NotFound("No such operator.", field="operatorId")
    if cmd.to_operator_id not in group_members(uow):
        raise TargetNotEligible(f"{target.display_name} is not in the access group.",
                                field="operatorId")
    holder = dialog.assignee
    dialog.transfer(by=cmd.operator_id, by_admin=is_admin, to=cmd.to_operator_id,
                    note=cmd.note, at=cmd.at, actor=cmd.actor)
    release(uow, holder, dialog.id, cmd.at, cmd.actor)
    presence_of(uow, cmd.to_operator_id, cmd.actor).take(dialog.id, at=cmd.at, actor=cmd.actor)
    leave_line(uow, dialog.id, "transferred", cmd.actor)
    if holder is not None:
        assign_waiting(uow, at=cmd.at, actor=cmd.actor, only=holder)
    return cmd.to_operator_id


def resolve_dialog(cmd: ResolveDialog, uow: UnitOfWork) -> bool:
    dialog, is_admin = oversight.dialog_to_act_on(uow, cmd.dialog_id, cmd.operator_id)
    holder = dialog.resolve(by=cmd.operator_id, by_admin=is_admin, at=cmd.at, actor=cmd.actor)
    release(uow, holder, dialog.id, cmd.at, cmd.actor)
    leave_line(uow, dialog.id, "resolved", cmd.actor)
    if holder is not None:
        assign_waiting(uow, at=cmd.at, actor=cmd.actor, only=holder)
    return True


HANDLERS: dict[type, Callable[[Any, UnitOfWork], Any]] = {
    ClaimDialog: claim_dialog,
    TransferDialog: transfer_dialog,
    ResolveDialog: resolve_dialog,
}
