"""An operator's presence and the dialogs they hold.

Online while a panel is connected (any of their sockets, in any replica) and they have not said
they are away; offline with no socket. The dialogs they hold count toward their capacity, and the
moment they last took one tells who has been idle longest."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidValue
from domain.ids import natural_id


class Status(StrEnum):
    ONLINE = "online"
    AWAY = "away"
    OFFLINE = "offline"


def presence_id(operator_id: UUID) -> UUID:
    return natural_id("presence", str(operator_id))


class Presence(Aggregate):
    class Created(Aggregate.Created):
        operator_id: UUID
        actor: str

    class Connected(Aggregate.Event):
        connection_id: UUID
        replica: str
        at: datetime
        actor: str

    class Disconnected(Aggregate.Event):
        connection_id: UUID
        at: datetime
        actor: str

    class StatusChosen(Aggregate.Event):
        status: str
        at: datetime
        actor: str

    class DialogTaken(Aggregate.Event):
        dialog_id: UUID
        at: datetime
        actor: str

    class DialogReleased(Aggregate.Event):
        dialog_id: UUID
        at: datetime
        actor: str

    @staticmethod
    def create_id(operator_id: UUID) -> UUID:
        return presence_id(operator_id)

    @event(Created)
    def __init__(self, operator_id: UUID, actor: str) -> None:
        self.operator_id = operator_id
        self.connections: list[UUID] = []
        self.chosen = Status.ONLINE.value
        self.holding: list[UUID] = []
        self.last_taken_at: datetime | None = None

    @property
    def status(self) -> Status:
        return Status(self.chosen) if self.connections else Status.OFFLINE

    def available(self, capacity: int) -> bool:
        return self.status == Status.ONLINE and (capacity == 0 or len(self.holding) < capacity)

    def connect(self, connection_id: UUID, replica: str, at: datetime, actor: str) -> bool:
        if connection_id in self.connections:
            return False
        self._connect(connection_id=connection_id, replica=replica[:64], at=at, actor=actor)
        return True

    @event(Connected)
    def _connect(self, connection_id: UUID, replica: str, at: datetime, actor: str) -> None:
        self.connections.append(connection_id)

    def disconnect(self, connection_id: UUID, at: datetime, actor: str) -> bool:
        if connection_id not in self.connections:
            return False
        self._disconnect(connection_id=connection_id, at=at, actor=actor)
        return True

    @event(Disconnected)
    def _disconnect(self, connection_id: UUID, at: datetime, actor: str) -> None:
        self.connections.remove(connection_id)

    def choose(self, status: str, at: datetime, actor: str) -> bool:
        if status not in (Status.ONLINE, Status.AWAY):
            raise InvalidValue("An operator chooses online or away.", field="status")
        if status == self.chosen:
            return False
        self._choose(status=status, at=at, actor=actor)
        return True

    @event(StatusChosen)
    def _choose(self, status: str, at: datetime, actor: str) -> None:
        self.chosen = status

    def take(self, dialog_id: UUID, at: datetime, actor: str) -> None:
        if dialog_id not in self.holding:
            self._take(dialog_id=dialog_id, at=at, actor=actor)

    @event(DialogTaken)
    def _take(self, dialog_id: UUID, at: datetime, actor: str) -> None:
        self.holding.append(dialog_id)
        self.last_taken_at = at

    def release(self, dialog_id: UUID, at: datetime, actor: str) -> bool:
        if dialog_id not in self.holding:
            return False
        self._release(dialog_id=dialog_id, at=at, actor=actor)
        return True

    @event(DialogReleased)
    def _release(self, dialog_id: UUID, at: datetime, actor: str) -> None:
        self.holding.remove(dialog_id)
