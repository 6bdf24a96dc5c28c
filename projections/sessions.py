"""Sign-in sessions: a token is honoured only while its session has not ended."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa

from domain.operators import Operator
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
    events = (Session.Started, Session.Ended, Operator.Deactivated)

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
            case Operator.Deactivated():  # signed out everywhere at once: every socket closes
                open_ones = list(conn.execute(sa.select(sessions.c.id).where(
                    sessions.c.operator_id == event.originator_id,
                    sessions.c.ended_at.is_(None))).scalars())
                if open_ones:
                    conn.execute(sessions.update().where(sessions.c.id.in_(open_ones))
                                 .values(ended_at=event.timestamp))
                for session_id in open_ones:
                    changes.add("sessions", session_id, "ended")


def is_ended(conn: sa.Connection, session_id: UUID) -> bool:
    ended: datetime | None = conn.execute(
        sa.select(sessions.c.ended_at).where(sessions.c.id == session_id)
    ).scalar()
    return ended is not None


def last_sign_ins(conn: sa.Connection) -> dict[UUID, datetime]:
    """Each operator's latest sign-in."""
    return {row.operator_id: row.at for row in conn.execute(
        sa.select(sessions.c.operator_id, sa.func.max(sessions.c.started_at).label("at"))
        .group_by(sessions.c.operator_id))}
