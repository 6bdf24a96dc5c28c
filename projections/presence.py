"""Operators' presence as panels and the distribution screens read it: online, away or offline,
their open sockets (per replica, so that a dead replica's sockets can be swept), and how many
dialogs each holds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa

from domain.presence import Presence, Status
from projections.base import BatchProjection, Changes, metadata
from projections.rows import CHUNK, RowSet, upsert, utc

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


class PresenceProjection(BatchProjection):
    name = "presence"
    tables = (presence, presence_connections)
    events = (Presence.Created, Presence.Connected, Presence.Disconnected, Presence.StatusChosen,
              Presence.DialogTaken, Presence.DialogReleased)

    def apply_batch(
        self, conn: sa.Connection, events: Sequence[tuple[int, Any]], changes: Changes
    ) -> None:
        """The whole batch folds in memory: the presence rows it touches are read in one query
        and written back in one upsert; the sockets opened and closed are written at the end
        (a delete of those closed, an upsert of those open)."""
        rows = RowSet(presence)
        rows.load(conn, [(event.originator_id,) for _, event in events
                         if not isinstance(event, Presence.Created)])
        sockets: dict[UUID, dict[str, Any] | None] = {}  # None: closed
        for _, event in events:
            key = (event.originator_id,)
            if isinstance(event, Presence.Created):
                rows.new(key, operator_id=event.operator_id, chosen=Status.ONLINE.value,
                         connections=0, holding=0, last_taken_at=None,
                         changed_at=event.timestamp)
                changes.add("presence", event.operator_id, event.operator_id)
                continue
            row = rows.change(key, changed_at=event.timestamp)
            if row is None:
                raise sa.exc.NoResultFound(f"No presence {event.originator_id} for {event!r}")
            match event:
                case Presence.Connected():
                    sockets[event.connection_id] = {
                        "connection_id": event.connection_id, "operator_id": row["operator_id"],
                        "replica": event.replica, "connected_at": event.at}
                    row["connections"] += 1
                case Presence.Disconnected():
                    sockets[event.connection_id] = None
                    row["connections"] -= 1
                case Presence.StatusChosen():
                    row["chosen"] = event.status
                case Presence.DialogTaken():
                    row["holding"] += 1
                    row["last_taken_at"] = event.at
                case Presence.DialogReleased():
                    row["holding"] -= 1
            changes.add("presence", row["operator_id"], row["operator_id"])
        rows.flush(conn)
        closed = sorted((cid for cid, socket in sockets.items() if socket is None), key=str)
        for i in range(0, len(closed), CHUNK):
            conn.execute(presence_connections.delete().where(
                presence_connections.c.connection_id.in_(closed[i:i + CHUNK])))
        upsert(conn, presence_connections,
               [{**socket, "connected_at": utc(socket["connected_at"])}
                for socket in sockets.values() if socket is not None])


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
