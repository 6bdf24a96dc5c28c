"""Operators' presence as panels and the distribution screens read it: online, away or offline,
their open sockets (per replica, so that a dead replica's sockets can be swept), and how many
dialogs each holds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa

from domain.presence import Presence, Status
from projections.base import Changes, Projection, metadata

presence = sa.Table(
    "presence",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),  # the Presence aggregate's id
    sa.Column("operator_id", sa.Uuid, nullable=False, unique=True),
    sa.Column("chosen", sa.String(16), nullable=False),
    sa.Column("connections", sa.Integer, nullable=False),
    sa.Column("holding", sa.Integer, nullable=False),
    sa.Column("last_taken_at", sa.DateTime(timezone=True)),
    sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
)

presence_connections = sa.Table(
    "presence_connections",
    metadata,
    sa.Column("connection_id", sa.Uuid, primary_key=True),
    sa.Column("operator_id", sa.Uuid, nullable=False, index=True),
    sa.Column("replica", sa.String(64), nullable=False, index=True),
    sa.Column("connected_at", sa.DateTime(timezone=True), nullable=False),
)


class PresenceProjection(Projection):
    name = "presence"
    tables = (presence, presence_connections)
    events = (Presence.Created, Presence.Connected, Presence.Disconnected, Presence.StatusChosen,
              Presence.DialogTaken, Presence.DialogReleased)

    def apply(self, conn: sa.Connection, event: Any, position: int, changes: Changes) -> None:
        match event:
            case Presence.Created():
                conn.execute(presence.insert().values(
                    id=event.originator_id, operator_id=event.operator_id,
                    chosen=Status.ONLINE.value, connections=0,
                    holding=0, changed_at=event.timestamp))
                changes.add("presence", event.operator_id, event.operator_id)
                return
            case Presence.Connected():
                conn.execute(presence_connections.insert().values(
                    connection_id=event.connection_id, operator_id=self._operator(conn, event),
                    replica=event.replica, connected_at=event.at))
                self._update(conn, event, connections=presence.c.connections + 1)
            case Presence.Disconnected():
                conn.execute(presence_connections.delete().where(
                    presence_connections.c.connection_id == event.connection_id))
                self._update(conn, event, connections=presence.c.connections - 1)
            case Presence.StatusChosen():
                self._update(conn, event, chosen=event.status)
            case Presence.DialogTaken():
                self._update(conn, event, holding=presence.c.holding + 1,
                             last_taken_at=event.at)
            case Presence.DialogReleased():
                self._update(conn, event, holding=presence.c.holding - 1)
        operator = self._operator(conn, event)
        changes.add("presence", operator, operator)

    @staticmethod
    def _operator(conn: sa.Connection, event: Any) -> UUID:
        """The operator whose presence aggregate this event belongs to."""
        oid: UUID = conn.execute(sa.select(presence.c.operator_id).where(
            presence.c.id == event.originator_id)).scalar_one()
        return oid

    def _update(self, conn: sa.Connection, event: Any, **values: Any) -> None:
        conn.execute(presence.update().where(presence.c.id == event.originator_id).values(
            changed_at=event.timestamp, **values))


# -- queries -------------------------------------------------------------------------------
@dataclass(frozen=True)
class PresenceRow:
    operator_id: UUID
    status: Status
    chosen: Status
    holding: int
    last_taken_at: datetime | None
    changed_at: datetime | None


def _row(operator_id: UUID, row: Any) -> PresenceRow:
    if row is None:
        return PresenceRow(operator_id, Status.OFFLINE, Status.ONLINE, 0, None, None)
    chosen = Status(row.chosen)
    return PresenceRow(operator_id, chosen if row.connections > 0 else Status.OFFLINE, chosen,
                       row.holding, row.last_taken_at, row.changed_at)


def presence_of(conn: sa.Connection, operator_id: UUID) -> PresenceRow:
    row = conn.execute(sa.select(presence).where(presence.c.operator_id == operator_id)).first()
    return _row(operator_id, row)


def presences(conn: sa.Connection) -> dict[UUID, PresenceRow]:
    return {row.operator_id: _row(row.operator_id, row)
            for row in conn.execute(sa.select(presence))}


def connections_of_replicas_other_than(conn: sa.Connection,
                                       alive: set[str]) -> list[tuple[UUID, UUID, str]]:
    """(operator, connection, replica) for every socket recorded by a replica not in `alive`."""
    return [(row.operator_id, row.connection_id, row.replica) for row in conn.execute(
        sa.select(presence_connections).where(presence_connections.c.replica.not_in(alive)))]
