"""The employee queue: the access-group members who take dialogs no rule sends elsewhere, in
their order (the adding and removing commands are `application.commands`'s)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from application import commands as c
from application.ports import UnitOfWork
from application.routing.shared import access_group, active_operator
from domain.access import ACCESS_GROUP_ID, AccessGroup, NotInAccessGroup
from domain.errors import NotFound
from domain.ids import EMPLOYEE_QUEUE_ID
from domain.queue import EmployeeQueue


# -- commands -------------------------------------------------------------------------------
@dataclass(frozen=True)
class MoveQueueMember:
    operator_id: UUID
    position: int
    actor: str


# -- handlers -------------------------------------------------------------------------------
def add_queue_member(cmd: c.AddQueueMember, uow: UnitOfWork) -> UUID:
    """Only access-group members are queue members: the command either refuses an outsider or,
    with `grant_access`, adds them to the group as well (both are recorded)."""
    active_operator(uow, cmd.operator_id)
    group = uow.get(AccessGroup, ACCESS_GROUP_ID)
    if group is None or not group.has(cmd.operator_id):
        if not cmd.grant_access:
            raise NotInAccessGroup(
                "Only members of the access group may be in the queue: add them to the group "
                "first.")
        group = access_group(uow, cmd.actor)
        group.add_member(cmd.operator_id, actor=cmd.actor)
    queue = uow.get(EmployeeQueue, EMPLOYEE_QUEUE_ID)
    if queue is None:
        queue = EmployeeQueue(actor=cmd.actor)
        uow.add(queue)
    queue.add_member(cmd.operator_id, actor=cmd.actor)
    return queue.id


def remove_queue_member(cmd: c.RemoveQueueMember, uow: UnitOfWork) -> UUID:
    queue = uow.get(EmployeeQueue, EMPLOYEE_QUEUE_ID)
    if queue is None:
        raise NotFound("This operator is not in the queue.", field="operatorId")
    queue.remove_member(cmd.operator_id, actor=cmd.actor)
    return queue.id


def move_queue_member(cmd: MoveQueueMember, uow: UnitOfWork) -> bool:
    queue = uow.get(EmployeeQueue, EMPLOYEE_QUEUE_ID)
    if queue is None:
        raise NotFound("This operator is not in the queue.", field="operatorId")
    return queue.move_member(cmd.operator_id, cmd.position, actor=cmd.actor)


HANDLERS: dict[type, Callable[[Any, UnitOfWork], Any]] = {
    c.AddQueueMember: add_queue_member,
    c.RemoveQueueMember: remove_queue_member,
    MoveQueueMember: move_queue_member,
}
