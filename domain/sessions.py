"""Sign-in sessions: each bearer token belongs to one; ending it revokes the token."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event


class Session(Aggregate):
    class Started(Aggregate.Created):
        session_id: UUID
        operator_id: UUID
        expires_at: datetime
        address: str
        actor: str

    class Ended(Aggregate.Event):
        actor: str

    @staticmethod
    def create_id(session_id: UUID) -> UUID:
        return session_id

    @event(Started)
    def __init__(
        self, session_id: UUID, operator_id: UUID, expires_at: datetime, address: str, actor: str
    ) -> None:
        self.operator_id = operator_id
        self.ended = False

    def end(self, actor: str) -> bool:
        if self.ended:
            return False
        self._end(actor=actor)
        return True

    @event(Ended)
    def _end(self, actor: str) -> None:
        self.ended = True
