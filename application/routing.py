"""Routing: the access group, the employee queue, keyword rules, distribution (everybody, evenly,
in order), operator presence, and the dialog's lifecycle (claim, transfer, resolve, reopen).

Handlers run inside the group-commit writer: they read and change aggregates through the unit of
work only. Time comes in with each command (`at`, from the entry point's clock), so the
idle-timeout job and the tests drive it with any clock they like."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from application import commands as c
from application.ports import UnitOfWork
from domain.access import ACCESS_GROUP_ID, AccessGroup, NotInAccessGroup
from domain.clients import Client
from domain.dialogs import Dialog
from domain.distribution import DEFAULT_POLICY, DISTRIBUTION_ID, Distribution, Mode, Policy
from domain.errors import NotFound
from domain.ids import EMPLOYEE_QUEUE_ID
from domain.notifications import NotificationCursor, notification_cursor_id
from domain.operators import Operator, Role
from domain.presence import Presence, presence_id
from domain.queue import EmployeeQueue
from domain.routing import Route, Rule, check_rule, route
from domain.routing_rules import ROUTING_RULES_ID, RoutingRules, TargetNotEligible
from domain.waiting import WAITING_LINE_ID, WaitingLine

SYSTEM = "system:routing"
WAITING_SCAN = 200
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


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


@dataclass(frozen=True)
class MoveQueueMember:
    operator_id: UUID
    position: int
    actor: str


@dataclass(frozen=True)
class AddRoutingRule:
    rule_id: UUID
    name: str
    keywords: tuple[str, ...]
    match: str
    targets: tuple[UUID, ...]
    enabled: bool
    actor: str


@dataclass(frozen=True)
class ChangeRoutingRule:
    rule_id: UUID
    name: str
    keywords: tuple[str, ...]
    match: str
    targets: tuple[UUID, ...]
    enabled: bool
    actor: str


@dataclass(frozen=True)
class SwitchRoutingRule:
    rule_id: UUID
    enabled: bool
    actor: str


@dataclass(frozen=True)
class MoveRoutingRule:
    rule_id: UUID
    position: int
    actor: str


@dataclass(frozen=True)
class RemoveRoutingRule:
    rule_id: UUID
    actor: str


@dataclass(frozen=True)
class ConfigureDistribution:
    mode: str
    idle_timeout_seconds: int
    capacity: int
    reopen_window_hours: int
    at: datetime
    actor: str


@dataclass(frozen=True)
class SetOperatorCapacity:
    operator_id: UUID
    capacity: int | None
    at: datetime
    actor: str


@dataclass(frozen=True)
class ConnectPanel:
    operator_id: UUID
    connection_id: UUID
    replica: str
    at: datetime
    actor: str


@dataclass(frozen=True)
class DisconnectPanel:
    operator_id: UUID
    connection_id: UUID
    at: datetime
    actor: str


@dataclass(frozen=True)
class ChoosePresence:
    operator_id: UUID
    status: str
    at: datetime
    actor: str


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


@dataclass(frozen=True)
class ForwardLapsedOffer:
    """The idle-timeout job: `operator_id` did not answer the offer in time."""

    dialog_id: UUID
    operator_id: UUID
    at: datetime
    actor: str = SYSTEM


@dataclass(frozen=True)
class AssignWaitingDialogs:
    """The retry job: assign what waits to whoever can take it now."""

    at: datetime
    actor: str = SYSTEM


@dataclass(frozen=True)
class MarkNotificationsSeen:
    operator_id: UUID
    up_to: int
    actor: str


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


# -- the client's message: which episode, then distribution ---------------------------------
def episode_for(
    uow: UnitOfWork, client: Client, *, channel: str, text: str, at: datetime, actor: str
) -> Dialog:
    """The dialog a client's message belongs to: the current one; the resolved one, reopened,
    when the message comes within the reopen window (it returns to whoever held it, if they
    still may); otherwise a new episode, routed by this message."""
    dialog = uow.get(Dialog, client.current_dialog_id) if client.current_dialog_id else None
    if dialog is not None and not dialog.resolved:
        return dialog
    rules = policy(uow)
    if dialog is not None and dialog.reopens_at(at, rules.reopen_window_hours):
        dialog.reopen(at=at, actor=actor)
        previous = dialog.previous_assignee
        if previous is not None and previous in group_members(uow):
            _give(uow, dialog, previous, reason="reopened", answer_within=0, at=at, actor=actor)
        return dialog
    chosen = route_message(uow, text)
    dialog = Dialog.open(
        client_id=client.id, phone=client.phone, client_name=client.name, channel=channel,
        recipients=chosen.recipients, rule=chosen.rule, actor=actor,
    )
    uow.add(dialog)
    client.start_episode(dialog.id, actor=actor)
    dialog.record_route(
        rule_id=chosen.rule_id, rule_name=chosen.rule_name, fallback=chosen.fallback,
        to_queue=chosen.to_queue, mode=rules.mode.value, candidates=chosen.recipients,
        text=text, actor=actor,
    )
    return dialog


def distribute(
    uow: UnitOfWork, dialog: Dialog, *, at: datetime, actor: str, reason: str = "new"
) -> UUID | None:
    """Gives an unheld dialog to an operator as the mode says, or puts it in the waiting line.
    In "everybody" mode nothing happens: every recipient sees it and the first takes it."""
    if dialog.resolved or dialog.assignee is not None:
        return dialog.assignee
    rules = policy(uow)
    if rules.mode == Mode.EVERYBODY:
        return None
    chosen = choose(uow, rules, candidates(uow, dialog))
    if chosen is None:
        _waiting_line(uow, actor).join(dialog.id, at=at, actor=actor)
        return None
    _give(uow, dialog, chosen, reason=reason, answer_within=_answer_within(rules), at=at,
          actor=actor)
    return chosen


def candidates(uow: UnitOfWork, dialog: Dialog) -> list[UUID]:
    """Who may take the dialog now, in order: the rule's targets still in the access group, or
    (for the queue, or when they have all left) the queue as it is now."""
    group = set(group_members(uow))
    base: Sequence[UUID] = dialog.candidates or []
    if dialog.to_queue or not any(o in group for o in base):
        base = queue_members(uow)
    return [o for o in base if o in group]


def choose(
    uow: UnitOfWork, rules: Policy, pool: Sequence[UUID], *, after: UUID | None = None
) -> UUID | None:
    """The available operator (online, under capacity) the mode picks from `pool`:
    evenly, the fewest open dialogs, ties to the longest idle; in order, the first one — or,
    with `after`, the next one after that operator, going round."""
    if after is not None and after in pool:
        i = list(pool).index(after)
        pool = [*pool[i + 1:], *pool[:i]]
    available: list[tuple[int, datetime, int, UUID]] = []
    for rank, oid in enumerate(pool):
        presence = uow.get(Presence, presence_id(oid))
        if presence is None or not presence.available(rules.capacity_of(oid)):
            continue
        if rules.mode == Mode.IN_ORDER:
            return oid
        available.append((len(presence.holding), presence.last_taken_at or _EPOCH, rank, oid))
    return min(available)[3] if available else None


def _answer_within(rules: Policy) -> int:
    return rules.idle_timeout_seconds if rules.mode == Mode.IN_ORDER else 0


def _give(
    uow: UnitOfWork, dialog: Dialog, operator_id: UUID, *, reason: str, answer_within: int,
    at: datetime, actor: str,
) -> None:
    dialog.assign(operator_id, reason=reason, answer_within=answer_within, at=at, actor=actor)
    _presence(uow, operator_id, actor).take(dialog.id, at=at, actor=actor)
    _leave_line(uow, dialog.id, "assigned", actor)


def _release(uow: UnitOfWork, operator_id: UUID | None, dialog_id: UUID, at: datetime,
             actor: str) -> None:
    if operator_id is None:
        return
    presence = uow.get(Presence, presence_id(operator_id))
    if presence is not None:
        presence.release(dialog_id, at=at, actor=actor)


def _leave_line(uow: UnitOfWork, dialog_id: UUID, reason: str, actor: str) -> None:
    line = uow.get(WaitingLine, WAITING_LINE_ID)
    if line is not None:
        line.leave(dialog_id, reason=reason, actor=actor)


def _waiting_line(uow: UnitOfWork, actor: str) -> WaitingLine:
    line = uow.get(WaitingLine, WAITING_LINE_ID)
    if line is None:
        line = WaitingLine(actor=actor)
        uow.add(line)
    return line


def _presence(uow: UnitOfWork, operator_id: UUID, actor: str) -> Presence:
    presence = uow.get(Presence, presence_id(operator_id))
    if presence is None:
        presence = Presence(operator_id=operator_id, actor=actor)
        uow.add(presence)
    return presence


def assign_waiting(
    uow: UnitOfWork, *, at: datetime, actor: str, only: UUID | None = None
) -> int:
    """Assigns waiting dialogs, oldest first: to `only` (who just came online or freed capacity)
    while they can take more, or to whoever the mode picks."""
    rules = policy(uow)
    if rules.mode == Mode.EVERYBODY:
        return 0
    line = uow.get(WaitingLine, WAITING_LINE_ID)
    if line is None or not line.dialogs:
        return 0
    assigned = 0
    for dialog_id in list(line.dialogs[:WAITING_SCAN]):
        dialog = uow.get(Dialog, dialog_id)
        if dialog is None or dialog.resolved or dialog.assignee is not None:
            line.leave(dialog_id, reason="gone", actor=actor)
            continue
        pool = candidates(uow, dialog)
        if only is not None:
            if only not in pool:
                continue
            pool = [only]
        chosen = choose(uow, rules, pool)
        if chosen is None:
            if only is not None:
                break  # they are full (or away): nothing more for them
            continue
        _give(uow, dialog, chosen, reason="waiting", answer_within=_answer_within(rules),
              at=at, actor=actor)
        assigned += 1
    return assigned


def answer(uow: UnitOfWork, dialog: Dialog, operator_id: UUID, *, at: datetime,
           actor: str) -> None:
    """For sending: refuses an operator outside the access group or not among the dialog's
    recipients, or when another operator holds it; replying takes an unheld dialog (and
    accepts an offer), as a claim does."""
    ensure_access(uow, operator_id)
    was_held = dialog.assignee == operator_id
    if dialog.claim(operator_id, at=at, actor=actor) and not was_held:
        _presence(uow, operator_id, actor).take(dialog.id, at=at, actor=actor)
        _leave_line(uow, dialog.id, "claimed", actor)


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
    _active_operator(uow, cmd.operator_id)
    group = _access_group(uow, cmd.actor)
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
        _release(uow, cmd.operator_id, dialog_id, cmd.at, cmd.actor)
        dialog = uow.get(Dialog, dialog_id)
        if dialog is not None and dialog.assignee == cmd.operator_id:
            dialog.unassign("left-access-group", at=cmd.at, actor=cmd.actor)
            distribute(uow, dialog, at=cmd.at, actor=cmd.actor, reason="returned")
    return group.id


def add_queue_member(cmd: c.AddQueueMember, uow: UnitOfWork) -> UUID:
    """Only access-group members are queue members: the command either refuses an outsider or,
    with `grant_access`, adds them to the group as well (both are recorded)."""
    _active_operator(uow, cmd.operator_id)
    group = uow.get(AccessGroup, ACCESS_GROUP_ID)
    if group is None or not group.has(cmd.operator_id):
        if not cmd.grant_access:
            raise NotInAccessGroup(
                "Only members of the access group may be in the queue: add them to the group "
                "first.")
        group = _access_group(uow, cmd.actor)
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


def add_routing_rule(cmd: AddRoutingRule, uow: UnitOfWork) -> UUID:
    _check_targets(uow, cmd.name, cmd.keywords, cmd.match, cmd.targets)
    rules = _rules(uow, cmd.actor)
    rules.add(rule_id=cmd.rule_id, name=cmd.name, keywords=list(cmd.keywords), match=cmd.match,
              targets=list(cmd.targets), enabled=cmd.enabled, actor=cmd.actor)
    return cmd.rule_id


def change_routing_rule(cmd: ChangeRoutingRule, uow: UnitOfWork) -> bool:
    rules = _existing_rules(uow)
    _check_targets(uow, cmd.name, cmd.keywords, cmd.match, cmd.targets)
    return rules.change(rule_id=cmd.rule_id, name=cmd.name, keywords=list(cmd.keywords),
                        match=cmd.match, targets=list(cmd.targets), enabled=cmd.enabled,
                        actor=cmd.actor)


def switch_routing_rule(cmd: SwitchRoutingRule, uow: UnitOfWork) -> bool:
    rules = _existing_rules(uow)
    if cmd.enabled:
        rule = next((r for r in rules.as_rules() if r.id == cmd.rule_id), None)
        if rule is not None:
            _check_targets(uow, rule.name, rule.keywords, rule.match.value, rule.targets)
    return rules.switch(cmd.rule_id, cmd.enabled, actor=cmd.actor)


def move_routing_rule(cmd: MoveRoutingRule, uow: UnitOfWork) -> bool:
    return _existing_rules(uow).move(cmd.rule_id, cmd.position, actor=cmd.actor)


def remove_routing_rule(cmd: RemoveRoutingRule, uow: UnitOfWork) -> bool:
    _existing_rules(uow).remove(cmd.rule_id, actor=cmd.actor)
    return True


def configure_distribution(cmd: ConfigureDistribution, uow: UnitOfWork) -> bool:
    distribution = _distribution(uow, cmd.actor)
    changed = distribution.configure(
        mode=cmd.mode, idle_timeout_seconds=cmd.idle_timeout_seconds, capacity=cmd.capacity,
        reopen_window_hours=cmd.reopen_window_hours, actor=cmd.actor)
    if changed:
        assign_waiting(uow, at=cmd.at, actor=cmd.actor)
    return changed


def set_operator_capacity(cmd: SetOperatorCapacity, uow: UnitOfWork) -> bool:
    _active_operator(uow, cmd.operator_id)
    changed = _distribution(uow, cmd.actor).set_operator_capacity(
        cmd.operator_id, cmd.capacity, actor=cmd.actor)
    if changed:
        assign_waiting(uow, at=cmd.at, actor=cmd.actor, only=cmd.operator_id)
    return changed


def connect_panel(cmd: ConnectPanel, uow: UnitOfWork) -> str:
    return _presence_change(uow, cmd.operator_id, cmd.at, cmd.actor, lambda p: p.connect(
        cmd.connection_id, cmd.replica, at=cmd.at, actor=cmd.actor))


def disconnect_panel(cmd: DisconnectPanel, uow: UnitOfWork) -> str:
    return _presence_change(uow, cmd.operator_id, cmd.at, cmd.actor, lambda p: p.disconnect(
        cmd.connection_id, at=cmd.at, actor=cmd.actor))


def choose_presence(cmd: ChoosePresence, uow: UnitOfWork) -> str:
    return _presence_change(uow, cmd.operator_id, cmd.at, cmd.actor, lambda p: p.choose(
        cmd.status, at=cmd.at, actor=cmd.actor))


def _presence_change(
    uow: UnitOfWork, operator_id: UUID, at: datetime, actor: str,
    change: Callable[[Presence], bool],
) -> str:
    """Changes presence; an operator who becomes available takes waiting dialogs at once."""
    presence = _presence(uow, operator_id, actor)
    capacity = policy(uow).capacity_of(operator_id)
    was_available = presence.available(capacity)
    change(presence)
    if presence.available(capacity) and not was_available:
        assign_waiting(uow, at=at, actor=actor, only=operator_id)
    return presence.status.value


def claim_dialog(cmd: ClaimDialog, uow: UnitOfWork) -> bool:
    ensure_access(uow, cmd.operator_id)
    dialog = _visible_dialog(uow, cmd.dialog_id, cmd.operator_id)
    was_held = dialog.assignee == cmd.operator_id
    if not dialog.claim(cmd.operator_id, at=cmd.at, actor=cmd.actor):
        return False
    if not was_held:
        _presence(uow, cmd.operator_id, cmd.actor).take(dialog.id, at=cmd.at, actor=cmd.actor)
        _leave_line(uow, dialog.id, "claimed", cmd.actor)
    return True


def transfer_dialog(cmd: TransferDialog, uow: UnitOfWork) -> UUID:
    ensure_access(uow, cmd.operator_id)
    by = _active_operator(uow, cmd.operator_id)
    is_admin = by.role == Role.ADMIN
    dialog = uow.get(Dialog, cmd.dialog_id)
    if dialog is None or not (is_admin or dialog.may_read(cmd.operator_id)):
        raise NotFound("No such dialog among yours.", field="dialogId")
    target = uow.get(Operator, cmd.to_operator_id)
    if target is None or not target.active:
        raise NotFound("No such operator.", field="operatorId")
    if cmd.to_operator_id not in group_members(uow):
        raise TargetNotEligible(f"{target.display_name} is not in the access group.",
                                field="operatorId")
    holder = dialog.assignee
    dialog.transfer(by=cmd.operator_id, by_admin=is_admin, to=cmd.to_operator_id,
                    note=cmd.note, at=cmd.at, actor=cmd.actor)
    _release(uow, holder, dialog.id, cmd.at, cmd.actor)
    _presence(uow, cmd.to_operator_id, cmd.actor).take(dialog.id, at=cmd.at, actor=cmd.actor)
    _leave_line(uow, dialog.id, "transferred", cmd.actor)
    if holder is not None:
        assign_waiting(uow, at=cmd.at, actor=cmd.actor, only=holder)
    return cmd.to_operator_id


def resolve_dialog(cmd: ResolveDialog, uow: UnitOfWork) -> bool:
    ensure_access(uow, cmd.operator_id)
    by = _active_operator(uow, cmd.operator_id)
    is_admin = by.role == Role.ADMIN
    dialog = uow.get(Dialog, cmd.dialog_id)
    if dialog is None or not (is_admin or dialog.may_read(cmd.operator_id)):
        raise NotFound("No such dialog among yours.", field="dialogId")
    holder = dialog.resolve(by=cmd.operator_id, by_admin=is_admin, at=cmd.at, actor=cmd.actor)
    _release(uow, holder, dialog.id, cmd.at, cmd.actor)
    _leave_line(uow, dialog.id, "resolved", cmd.actor)
    if holder is not None:
        assign_waiting(uow, at=cmd.at, actor=cmd.actor, only=holder)
    return True


def forward_lapsed_offer(cmd: ForwardLapsedOffer, uow: UnitOfWork) -> UUID | None:
    """Strictly in order: the offer moves to the next available operator after the one who did
    not answer. With nobody else available it stays where it is (the job tries again later)."""
    dialog = uow.get(Dialog, cmd.dialog_id)
    if dialog is None or not dialog.offer_lapsed(cmd.operator_id, cmd.at):
        return None
    rules = policy(uow)
    if rules.mode != Mode.IN_ORDER:
        return None
    following = choose(uow, rules, candidates(uow, dialog), after=cmd.operator_id)
    if following is None or following == cmd.operator_id:
        return None
    _release(uow, cmd.operator_id, dialog.id, cmd.at, cmd.actor)
    _give(uow, dialog, following, reason="timeout", answer_within=rules.idle_timeout_seconds,
          at=cmd.at, actor=cmd.actor)
    return following


def assign_waiting_dialogs(cmd: AssignWaitingDialogs, uow: UnitOfWork) -> int:
    return assign_waiting(uow, at=cmd.at, actor=cmd.actor)


def mark_notifications_seen(cmd: MarkNotificationsSeen, uow: UnitOfWork) -> bool:
    cursor_id = notification_cursor_id(cmd.operator_id)
    cursor = uow.get(NotificationCursor, cursor_id)
    if cursor is None:
        cursor = NotificationCursor(operator_id=cmd.operator_id, actor=cmd.actor)
        uow.add(cursor)
    return cursor.see(cmd.up_to, actor=cmd.actor)


# -- helpers --------------------------------------------------------------------------------
def _active_operator(uow: UnitOfWork, operator_id: UUID) -> Operator:
    operator = uow.get(Operator, operator_id)
    if operator is None or not operator.active:
        raise NotFound("No such operator.", field="operatorId")
    return operator


def _visible_dialog(uow: UnitOfWork, dialog_id: UUID, operator_id: UUID) -> Dialog:
    dialog = uow.get(Dialog, dialog_id)
    if dialog is None or not dialog.may_read(operator_id):
        raise NotFound("No such dialog among yours.", field="dialogId")
    return dialog


def _access_group(uow: UnitOfWork, actor: str) -> AccessGroup:
    group = uow.get(AccessGroup, ACCESS_GROUP_ID)
    if group is None:
        group = AccessGroup.create(actor=actor)
        uow.add(group)
    return group


def _rules(uow: UnitOfWork, actor: str) -> RoutingRules:
    rules = uow.get(RoutingRules, ROUTING_RULES_ID)
    if rules is None:
        rules = RoutingRules(actor=actor)
        uow.add(rules)
    return rules


def _existing_rules(uow: UnitOfWork) -> RoutingRules:
    rules = uow.get(RoutingRules, ROUTING_RULES_ID)
    if rules is None:
        raise NotFound("No such routing rule.", field="id")
    return rules


def _distribution(uow: UnitOfWork, actor: str) -> Distribution:
    distribution = uow.get(Distribution, DISTRIBUTION_ID)
    if distribution is None:
        distribution = Distribution(actor=actor)
        uow.add(distribution)
    return distribution


def _check_targets(
    uow: UnitOfWork, name: str, keywords: Sequence[str], match: str, targets: Sequence[UUID]
) -> None:
    """A rule's targets must be active operators in the access group and the queue."""
    check_rule(name=name, keywords=keywords, match=match, targets=targets)
    group = set(group_members(uow))
    queue = set(queue_members(uow))
    for oid in targets:
        operator = uow.get(Operator, oid)
        if operator is None or not operator.active:
            raise TargetNotEligible("A target is not an active operator.", field="targets")
        if oid not in group:
            raise TargetNotEligible(f"{operator.display_name} is not in the access group.",
                                    field="targets")
        if oid not in queue:
            raise TargetNotEligible(f"{operator.display_name} is not in the employee queue.",
                                    field="targets")


HANDLERS: dict[type, Callable[[Any, UnitOfWork], Any]] = {
    SeedAccessGroup: seed_access_group,
    AddAccessMember: add_access_member,
    RemoveAccessMember: remove_access_member,
    c.AddQueueMember: add_queue_member,
    c.RemoveQueueMember: remove_queue_member,
    MoveQueueMember: move_queue_member,
    AddRoutingRule: add_routing_rule,
    ChangeRoutingRule: change_routing_rule,
    SwitchRoutingRule: switch_routing_rule,
    MoveRoutingRule: move_routing_rule,
    RemoveRoutingRule: remove_routing_rule,
    ConfigureDistribution: configure_distribution,
    SetOperatorCapacity: set_operator_capacity,
    ConnectPanel: connect_panel,
    DisconnectPanel: disconnect_panel,
    ChoosePresence: choose_presence,
    ClaimDialog: claim_dialog,
    TransferDialog: transfer_dialog,
    ResolveDialog: resolve_dialog,
    ForwardLapsedOffer: forward_lapsed_offer,
    AssignWaitingDialogs: assign_waiting_dialogs,
    MarkNotificationsSeen: mark_notifications_seen,
}
