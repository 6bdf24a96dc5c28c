"""What routing's modules share: reading the configuration (the access group, the queue, the
rules, the distribution policy) through the unit of work, and finding or creating the aggregates
several commands change (operators, dialogs, presence, the waiting line)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from application.ports import UnitOfWork
from domain.access import ACCESS_GROUP_ID, AccessGroup, NotInAccessGroup
from domain.dialogs import Dialog
from domain.distribution import DEFAULT_POLICY, DISTRIBUTION_ID, Distribution, Policy
from domain.errors import NotFound
from domain.ids import EMPLOYEE_QUEUE_ID
from domain.operators import Operator
from domain.presence import Presence, presence_id
from domain.queue import EmployeeQueue
from domain.routing import Route, Rule, route
from domain.routing_rules import ROUTING_RULES_ID, RoutingRules
from domain.waiting import WAITING_LINE_ID, WaitingLine

SYSTEM = "system:routing"


# -- reading the configuration through the unit of work ------------------------------------
def group_members(uow: UnitOfWork) -> list[UUID]:
    """The access group's members; no group yet means nobody."""
    group = uow.get(AccessGroup, ACCESS_GROUP_ID)
    return list(group.members) if group else []


def has_access(uow: UnitOfWork, operator_id: UUID) -> bool:
    group = uow.get(AccessGroup, ACCESS_GROUP_ID)
    return group is not None and group.has(operator_id)


def ensure_access(uow: UnitOfWork, operator_id: UUID) -> None:
    """Refuses an operator outside the access group, whatever else is set."""
    group = uow.get(AccessGroup, ACCESS_GROUP_ID)
    if group is None:
        raise NotInAccessGroup("Only members of the access group may read and send messages.")
    group.ensure_member(operator_id)


def queue_members(uow: UnitOfWork) -> list[UUID]:
    queue = uow.get(EmployeeQueue, EMPLOYEE_QUEUE_ID)
    return list(queue.members) if queue else []


def current_rules(uow: UnitOfWork) -> list[Rule]:
    rules = uow.get(RoutingRules, ROUTING_RULES_ID)
    return rules.as_rules() if rules else []


def policy(uow: UnitOfWork) -> Policy:
    distribution = uow.get(Distribution, DISTRIBUTION_ID)
    return distribution.policy() if distribution else DEFAULT_POLICY


def route_message(uow: UnitOfWork, text: str) -> Route:
    return route(text, queue_members(uow), current_rules(uow), group_members(uow))


# -- finding and creating aggregates ----------------------------------------------------------
def active_operator(uow: UnitOfWork, operator_id: UUID) -> Operator:
    operator = uow.get(Operator, operator_id)
    if operator is None or not operator.active:
        raise NotFound("No such operator.", field="operatorId")
    return operator


def visible_dialog(uow: UnitOfWork, dialog_id: UUID, operator_id: UUID) -> Dialog:
    dialog = uow.get(Dialog, dialog_id)
    if dialog is None or not dialog.may_read(operator_id):
        raise NotFound("No such dialog among yours.", field="dialogId")
    return dialog


def access_group(uow: UnitOfWork, actor: str) -> AccessGroup:
    group = uow.get(AccessGroup, ACCESS_GROUP_ID)
    if group is None:
        group = AccessGroup.create(actor=actor)
        uow.add(group)
    return group


def presence_of(uow: UnitOfWork, operator_id: UUID, actor: str) -> Presence:
    presence = uow.get(Presence, presence_id(operator_id))
    if presence is None:
        presence = Presence(operator_id=operator_id, actor=actor)
        uow.add(presence)
    return presence


def release(uow: UnitOfWork, operator_id: UUID | None, dialog_id: UUID, at: datetime,
            actor: str) -> None:
    if operator_id is None:
        return
    presence = uow.get(Presence, presence_id(operator_id))
    if presence is not None:
        presence.release(dialog_id, at=at, actor=actor)


def leave_line(uow: UnitOfWork, dialog_id: UUID, reason: str, actor: str) -> None:
    line = uow.get(WaitingLine, WAITING_LINE_ID)
    if line is not None:
        line.leave(dialog_id, reason=reason, actor=actor)


def waiting_line(uow: UnitOfWork, actor: str) -> WaitingLine:
    line = uow.get(WaitingLine, WAITING_LINE_ID)
    if line is None:
        line = WaitingLine(actor=actor)
        uow.add(line)
    return line
