"""The access group "Telephony and messenger users": only its members may read and send client
messages, whatever else is set. Admins manage membership; every change is an event."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import AlreadyExists, NotAllowed, NotFound
from domain.ids import natural_id

ACCESS_GROUP_ID = natural_id("access-group", "telephony-and-messenger-users")
GROUP_NAME = "Telephony and messenger users"


class NotInAccessGroup(NotAllowed):
    code = "NOT_IN_ACCESS_GROUP"


class AccessGroup(Aggregate):
    class Created(Aggregate.Created):
        name: str
        actor: str

    class MemberAdded(Aggregate.Event):
        operator_id: UUID
        actor: str

    class MemberRemoved(Aggregate.Event):
        operator_id: UUID
        actor: str

    @staticmethod
    def create_id() -> UUID:
        return ACCESS_GROUP_ID

    @event(Created)
    def __init__(self, name: str, actor: str) -> None:
        self.name = name
        self.members: list[UUID] = []

    @classmethod
    def create(cls, actor: str) -> AccessGroup:
        return cls(name=GROUP_NAME, actor=actor)

    def has(self, operator_id: UUID) -> bool:
        return operator_id in self.members

    def ensure_member(self, operator_id: UUID) -> None:
        if operator_id not in self.members:
            raise NotInAccessGroup(
                f"Only members of the access group \"{self.name}\" may read and send messages.")

    def add_member(self, operator_id: UUID, actor: str) -> None:
        if operator_id in self.members:
            raise AlreadyExists("This operator is already in the access group.",
                                field="operatorId")
        self._add_member(operator_id=operator_id, actor=actor)

    @event(MemberAdded)
    def _add_member(self, operator_id: UUID, actor: str) -> None:
        self.members.append(operator_id)

    def remove_member(self, operator_id: UUID, actor: str) -> None:
        if operator_id not in self.members:
            raise NotFound("This operator is not in the access group.", field="operatorId")
        self._remove_member(operator_id=operator_id, actor=actor)

    @event(MemberRemoved)
    def _remove_member(self, operator_id: UUID, actor: str) -> None:
        self.members.remove(operator_id)
