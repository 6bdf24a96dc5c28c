"""The employee queue: the operators notified of new client messages."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import AlreadyExists, NotFound
from domain.ids import EMPLOYEE_QUEUE_ID


class EmployeeQueue(Aggregate):
    class Created(Aggregate.Created):
        actor: str

    class MemberAdded(Aggregate.Event):
        operator_id: UUID
        actor: str

    class MemberRemoved(Aggregate.Event):
        operator_id: UUID
        actor: str

    class MemberMoved(Aggregate.Event):
        """The queue's order is the order "strictly in order" distribution offers dialogs in."""

        operator_id: UUID
        position: int
        actor: str

    @staticmethod
    def create_id() -> UUID:
        return EMPLOYEE_QUEUE_ID

    @event(Created)
    def __init__(self, actor: str) -> None:
        self.members: list[UUID] = []

    def add_member(self, operator_id: UUID, actor: str) -> None:
        if operator_id in self.members:
            raise AlreadyExists("This operator is already in the queue.", field="operatorId")
        self._add_member(operator_id=operator_id, actor=actor)

    @event(MemberAdded)
    def _add_member(self, operator_id: UUID, actor: str) -> None:
        self.members.append(operator_id)

    def remove_member(self, operator_id: UUID, actor: str) -> None:
        if operator_id not in self.members:
            raise NotFound("This operator is not in the queue.", field="operatorId")
        self._remove_member(operator_id=operator_id, actor=actor)

    @event(MemberRemoved)
    def _remove_member(self, operator_id: UUID, actor: str) -> None:
        self.members.remove(operator_id)

    def move_member(self, operator_id: UUID, position: int, actor: str) -> bool:
        if operator_id not in self.members:
            raise NotFound("This operator is not in the queue.", field="operatorId")
        position = max(0, min(position, len(self.members) - 1))
        if self.members.index(operator_id) == position:
            return False
        self._move_member(operator_id=operator_id, position=position, actor=actor)
        return True

    @event(MemberMoved)
    def _move_member(self, operator_id: UUID, position: int, actor: str) -> None:
        self.members.remove(operator_id)
        self.members.insert(position, operator_id)
