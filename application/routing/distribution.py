"""Distribution: how dialogs reach operators (everybody, evenly, in order), the settings that
say so, and what follows from them — the client's message opening or reopening an episode, the
waiting line, offers that lapse and the retry job."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from application.ports import UnitOfWork
from application.routing.shared import (
    SYSTEM,
    active_operator,
    group_members,
    leave_line,
    policy,
    presence_of,
    queue_members,
    release,
    route_message,
    waiting_line,
)
from domain.clients import Client
from domain.dialogs import Dialog
from domain.distribution import DISTRIBUTION_ID, Distribution, Mode, Policy
from domain.presence import Presence, presence_id
from domain.waiting import WAITING_LINE_ID, WaitingLine

WAITING_SCAN = 200
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


# -- commands -------------------------------------------------------------------------------
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
        waiting_line(uow, actor).join(dialog.id, at=at, actor=actor)
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
    presence_of(uow, operator_id, actor).take(dialog.id, at=at, actor=actor)
    leave_line(uow, dialog.id, "assigned", actor)


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


# -- handlers -------------------------------------------------------------------------------
def configure_distribution(cmd: ConfigureDistribution, uow: UnitOfWork) -> bool:
    distribution = _distribution(uow, cmd.actor)
    changed = distribution.configure(
        mode=cmd.mode, idle_timeout_seconds=cmd.idle_timeout_seconds, capacity=cmd.capacity,
        reopen_window_hours=cmd.reopen_window_hours, actor=cmd.actor)
    if changed:
        assign_waiting(uow, at=cmd.at, actor=cmd.actor)
    return changed


def set_operator_capacity(cmd: SetOperatorCapacity, uow: UnitOfWork) -> bool:
    active_operator(uow, cmd.operator_id)
    changed = _distribution(uow, cmd.actor).set_operator_capacity(
        cmd.operator_id, cmd.capacity, actor=cmd.actor)
    if changed:
        assign_waiting(uow, at=cmd.at, actor=cmd.actor, only=cmd.operator_id)
    return changed


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
    release(uow, cmd.operator_id, dialog.id, cmd.at, cmd.actor)
    _give(uow, dialog, following, reason="timeout", answer_within=rules.idle_timeout_seconds,
          at=cmd.at, actor=cmd.actor)
    return following


def assign_waiting_dialogs(cmd: AssignWaitingDialogs, uow: UnitOfWork) -> int:
    return assign_waiting(uow, at=cmd.at, actor=cmd.actor)


def _distribution(uow: UnitOfWork, actor: str) -> Distribution:
    distribution = uow.get(Distribution, DISTRIBUTION_ID)
    if distribution is None:
        distribution = Distribution(actor=actor)
        uow.add(distribution)
    return distribution


HANDLERS: dict[type, Callable[[Any, UnitOfWork], Any]] = {
    ConfigureDistribution: configure_distribution,
    SetOperatorCapacity: set_operator_capacity,
    ForwardLapsedOffer: forward_lapsed_offer,
    AssignWaitingDialogs: assign_waiting_dialogs,
}
