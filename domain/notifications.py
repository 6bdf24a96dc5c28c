"""How far an operator has read their notifications. The notifications themselves are a read
model built from dialog events; only "seen up to here" is the operator's own act."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.ids import natural_id


def notification_cursor_id(operator_id: UUID) -> UUID:
    return natural_id("notification-cursor", str(operator_id))


class NotificationCursor(Aggregate):
    class Created(Aggregate.Created):
        operator_id: UUID
        actor: str

    class Seen(Aggregate.Event):
        operator_id: UUID
        up_to: int
        actor: str

    @staticmethod
    def create_id(operator_id: UUID) -> UUID:
        return notification_cursor_id(operator_id)

    @event(Created)
    def __init__(self, operator_id: UUID, actor: str) -> None:
        self.operator_id = operator_id
        self.up_to = 0

    def see(self, up_to: int, actor: str) -> bool:
        if up_to <= self.up_to:
            return False
        self._see(operator_id=self.operator_id, up_to=up_to, actor=actor)
        return True

    @event(Seen)
    def _see(self, operator_id: UUID, up_to: int, actor: str) -> None:
        self.up_to = up_to
