"""The waiting line: dialogs that nobody available could take, oldest first. When an operator
comes online or frees capacity, the dialogs they may take leave it for their desk at once."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.ids import natural_id

WAITING_LINE_ID = natural_id("waiting-line", "default")


class WaitingLine(Aggregate):
    class Created(Aggregate.Created):
        actor: str

    class Joined(Aggregate.Event):
        dialog_id: UUID
        at: datetime
        actor: str

    class Left(Aggregate.Event):
        dialog_id: UUID
        reason: str
        actor: str

    @staticmethod
    def create_id() -> UUID:
        return WAITING_LINE_ID

    @event(Created)
    def __init__(self, actor: str) -> None:
        self.dialogs: list[UUID] = []

    def join(self, dialog_id: UUID, at: datetime, actor: str) -> None:
        if dialog_id not in self.dialogs:
            self._join(dialog_id=dialog_id, at=at, actor=actor)

    @event(Joined)
    def _join(self, dialog_id: UUID, at: datetime, actor: str) -> None:
        self.dialogs.append(dialog_id)

    def leave(self, dialog_id: UUID, reason: str, actor: str) -> None:
        if dialog_id in self.dialogs:
            self._leave(dialog_id=dialog_id, reason=reason, actor=actor)

    @event(Left)
    def _leave(self, dialog_id: UUID, reason: str, actor: str) -> None:
        self.dialogs.remove(dialog_id)
