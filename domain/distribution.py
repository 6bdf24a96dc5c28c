"""Distribution settings, an admin's choice: how a routed dialog reaches its operators.

- everybody: every recipient sees it; the first to claim or reply takes it (atomically);
- evenly:    it is assigned to the available recipient with the fewest open dialogs, ties to the
             one idle longest;
- in order:  it is offered to one available recipient at a time, in the queue's (or the rule's)
             order; whoever does not answer within the idle timeout loses it to the next.
An operator is available while online and under capacity (0: no limit). A dialog nobody can take
waits, and is assigned at once, oldest first, when an operator comes online or frees capacity.
Capacity limits automatic assignment only: claiming and transferring are people's decisions.

A client's message after a dialog was resolved reopens it within the reopen window (hours since
the resolution); later, it opens a new episode, routed afresh."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidValue
from domain.ids import natural_id

DISTRIBUTION_ID = natural_id("distribution", "default")
MAX_CAPACITY = 500


class Mode(StrEnum):
    EVERYBODY = "everybody"
    EVENLY = "evenly"
    IN_ORDER = "in_order"


@dataclass(frozen=True)
class Policy:
    mode: Mode = Mode.EVERYBODY
    idle_timeout_seconds: int = 60
    capacity: int = 0
    reopen_window_hours: int = 72
    capacities: tuple[tuple[UUID, int], ...] = ()

    def capacity_of(self, operator_id: UUID) -> int:
        return dict(self.capacities).get(operator_id, self.capacity)


DEFAULT_POLICY = Policy()


def check_policy(
    *, mode: str, idle_timeout_seconds: int, capacity: int, reopen_window_hours: int
) -> Mode:
    try:
        chosen = Mode(mode)
    except ValueError:
        raise InvalidValue("The mode is everybody, evenly or in_order.", field="mode") from None
    if not 10 <= idle_timeout_seconds <= 86_400:
        raise InvalidValue("The idle timeout is 10 seconds to 24 hours.",
                           field="idleTimeoutSeconds")
    check_capacity(capacity)
    if not 0 <= reopen_window_hours <= 24 * 90:
        raise InvalidValue("The reopen window is 0 to 2160 hours.", field="reopenWindowHours")
    return chosen


def check_capacity(capacity: int) -> None:
    if not 0 <= capacity <= MAX_CAPACITY:
        raise InvalidValue(f"Capacity is 0 (no limit) to {MAX_CAPACITY} open dialogs.",
                           field="capacity")


class Distribution(Aggregate):
    class Created(Aggregate.Created):
        actor: str

    class Configured(Aggregate.Event):
        mode: str
        idle_timeout_seconds: int
        capacity: int
        reopen_window_hours: int
        actor: str

    class OperatorCapacitySet(Aggregate.Event):
        operator_id: UUID
        capacity: int | None
        actor: str

    @staticmethod
    def create_id() -> UUID:
        return DISTRIBUTION_ID

    @event(Created)
    def __init__(self, actor: str) -> None:
        self.mode = DEFAULT_POLICY.mode.value
        self.idle_timeout_seconds = DEFAULT_POLICY.idle_timeout_seconds
        self.capacity = DEFAULT_POLICY.capacity
        self.reopen_window_hours = DEFAULT_POLICY.reopen_window_hours
        self.capacities: dict[str, int] = {}  # operator id (str) -> capacity

    def configure(
        self, *, mode: str, idle_timeout_seconds: int, capacity: int, reopen_window_hours: int,
        actor: str,
    ) -> bool:
        chosen = check_policy(mode=mode, idle_timeout_seconds=idle_timeout_seconds,
                              capacity=capacity, reopen_window_hours=reopen_window_hours)
        if (chosen.value, idle_timeout_seconds, capacity, reopen_window_hours) == (
                self.mode, self.idle_timeout_seconds, self.capacity, self.reopen_window_hours):
            return False
        self._configure(mode=chosen.value, idle_timeout_seconds=idle_timeout_seconds,
                        capacity=capacity, reopen_window_hours=reopen_window_hours, actor=actor)
        return True

    @event(Configured)
    def _configure(
        self, mode: str, idle_timeout_seconds: int, capacity: int, reopen_window_hours: int,
        actor: str,
    ) -> None:
        self.mode = mode
        self.idle_timeout_seconds = idle_timeout_seconds
        self.capacity = capacity
        self.reopen_window_hours = reopen_window_hours

    def set_operator_capacity(self, operator_id: UUID, capacity: int | None, actor: str) -> bool:
        """An operator's own capacity; None returns them to the default."""
        if capacity is not None:
            check_capacity(capacity)
        if self.capacities.get(str(operator_id)) == capacity:
            return False
        self._set_operator_capacity(operator_id=operator_id, capacity=capacity, actor=actor)
        return True

    @event(OperatorCapacitySet)
    def _set_operator_capacity(self, operator_id: UUID, capacity: int | None, actor: str) -> None:
        if capacity is None:
            self.capacities.pop(str(operator_id), None)
        else:
            self.capacities[str(operator_id)] = capacity

    def policy(self) -> Policy:
        return Policy(
            mode=Mode(self.mode), idle_timeout_seconds=self.idle_timeout_seconds,
            capacity=self.capacity, reopen_window_hours=self.reopen_window_hours,
            capacities=tuple((UUID(k), v) for k, v in sorted(self.capacities.items())),
        )
