"""Sign-in sessions: a token is honoured only while its session has not ended."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa

from domain.sessions import Session
from projections.base import Changes, Projection, metadata

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("operator_id", sa.Uuid, nullable=False, index=True),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("ended_at", sa.DateTime(timezone=True)),
    sa.Column("address", sa.String(64), nullable=False),
)


class SessionsProjection(Projection):
    name = "sessions"
    tables = (sessions,)
    events = (Session.Started, Session.Ended)

    def apply(self, conn: sa.Connection, event: Any, position: int, changes: Changes) -> None:
        match event:
            case Session.Started():
                conn.execute(sessions.insert().values(
                    id=event.originator_id, operator_id=event.operator_id,
                    started_at=event.timestamp, expires_at=event.expires_at,
                    address=event.address[:64],
                ))
            case Session.Ended():
                conn.execute(sessions.update().where(sessions.c.id == event.originator_id)
                             .values(ended_at=event.timestamp))
                changes.add("sessions", event.originator_id, "ended")


def is_ended(conn: sa.Connection, session_id: UUID) -> bool:
    ended: datetime | None = conn.execute(
        sa.select(sessions.c.ended_at).where(sessions.c.id == session_id)
    ).scalar()
    return ended is not None
