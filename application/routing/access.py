"""The access group: who may read and answer clients at all. Seeding it (with routing's other
singletons), adding members, and removing them — which takes them out of the queue and hands
the dialogs they held to others."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from application.ports import UnitOfWork
from application.routing.distribution import distribute
from application.routing.shared import access_group, active_operator, queue_members, release
from domain.access import ACCESS_GROUP_ID, AccessGroup
from domain.dialogs import Dialog
from domain.distribution import DISTRIBUTION_ID, Distribution
from domain.errors import NotFound
from domain.ids import EMPLOYEE_QUEUE_ID
from domain.presence import Presence, presence_id
from domain.queue import EmployeeQueue
from domain.routing_rules import ROUTING_RULES_ID, RoutingRules
from domain.waiting import WAITING_LINE_ID, WaitingLine


# -- commands -------------------------------------------------------------------------------
@dataclass(frozen=True)
class SeedAccessGroup:
    """Creates the access group once, with the queue's members (an installation that had a
    queue before the group existed keeps working); and routing's other singletons with their
    defaults, so that routing a message never looks for an aggregate that is not there."""

    actor: str


@dataclass(frozen=True)
class AddAccessMember:
    operator_id: UUID
    actor: str


@dataclass(frozen=True)
class RemoveAccessMember:
    operator_id: UUID
    at: datetime
    actor: str


# -- handlers -------------------------------------------------------------------------------
def seed_access_group(cmd: SeedAccessGroup, uow: UnitOfWork) -> bool:
    singletons: tuple[tuple[UUID, Callable[[], Any]], ...] = (
        (DISTRIBUTION_ID, lambda: Distribution(actor=cmd.actor)),
        (ROUTING_RULES_ID, lambda: RoutingRules(actor=cmd.actor)),
        (WAITING_LINE_ID, lambda: WaitingLine(actor=cmd.actor)),
    )
    for aggregate_id, create in singletons:
        if not uow.is_recorded(aggregate_id):
            uow.add(create())
    if uow.is_recorded(ACCESS_GROUP_ID):
        return False
    group = AccessGroup.create(actor=cmd.actor)
    uow.add(group)
    for member in queue_members(uow):
        group.add_member(member, actor=cmd.actor)
    return True


def add_access_member(cmd: AddAccessMember, uow: UnitOfWork) -> UUID:
    active_operator(uow, cmd.operator_id)
    group = access_group(uow, cmd.actor)
    group.add_member(cmd.operator_id, actor=cmd.actor)
    return group.id


def remove_access_member(cmd: RemoveAccessMember, uow: UnitOfWork) -> UUID:
    """Leaving the group leaves the queue too; the dialogs they held go to others (or wait)."""
    group = uow.get(AccessGroup, ACCESS_GROUP_ID)
    if group is None:
        raise NotFound("This operator is not in the access group.", field="operatorId")
    group.remove_member(cmd.operator_id, actor=cmd.actor)
    queue = uow.get(EmployeeQueue, EMPLOYEE_QUEUE_ID)
    if queue is not None and cmd.operator_id in queue.members:
        queue.remove_member(cmd.operator_id, actor=cmd.actor)
    presence = uow.get(Presence, presence_id(cmd.operator_id))
    held = list(presence.holding) if presence else []
    for dialog_id in held:
        release(uow, cmd.operator_id, dialog_id, cmd.at, cmd.actor)
        dialog = uow.get(Dialog, dialog_id)
        if dialog is not None and dialog.assignee == cmd.operator_id:
            dialog.unassign("left-access-group", at=cmd.at, actor=cmd.actor)
            distribute(uow, dialog, at=cmd.at, actor=cmd.actor, reason="returned")
    return group.id


HANDLERS: dict[type, Callable[[Any, UnitOfWork], Any]] = {
    SeedAccessGroup: seed_access_group,
    AddAccessMember: add_access_member,
    RemoveAccessMember: remove_access_member,
}
