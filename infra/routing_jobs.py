"""Routing's background work, in every replica, driven by an injectable clock: one reaction of
the runner (infra/runner.py), the job "routing", calls `tick()` at once and then every
`routing_tick_seconds`; each tick does what is due of these:

- presence: each panel socket is recorded as a connection of this replica (online while
  connected); the replica writes a heartbeat, and connections of replicas whose heartbeat has
  stopped (a crash) are disconnected by whichever replica notices;
- idle timeouts: an unanswered "strictly in order" offer whose time is up moves to the next
  operator (ForwardLapsedOffer);
- retries: every `routing_retry_seconds`, waiting dialogs are offered again (as peers retry
  undistributed chats), in case something other than presence or capacity changed.

The job only reads read models and submits commands; the handlers decide."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import sqlalchemy as sa

from application import routing as r
from application.ports import Clock
from infra.runner import Runner
from infra.settings import Settings
from infra.views import ViewsDatabase
from infra.writer import GroupCommitWriter
from projections import inbox as inbox_view
from projections import presence as presence_view
from projections.base import metadata

log = logging.getLogger(__name__)
JOB = "routing"

replica_heartbeats = sa.Table(
    "replica_heartbeats",
    metadata,
    sa.Column("replica", sa.String(64), primary_key=True),
    sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
)


class RoutingJobs:
    def __init__(
        self, settings: Settings, writer: GroupCommitWriter, views: ViewsDatabase, clock: Clock,
        *, replica: str | None = None,
    ) -> None:
        self.settings = settings
        self.writer = writer
        self.views = views
        self.clock = clock
        self.replica = replica or f"r-{uuid.uuid4().hex[:12]}"
        self._connections: dict[UUID, UUID] = {}  # connection -> operator, in this replica
        self._tried: dict[UUID, datetime] = {}  # lapsed offers that found nobody, when tried
        self._next_heartbeat: datetime | None = None
        self._next_retry: datetime | None = None
        self._runner: Runner | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self, runner: Runner) -> None:
        """Registers `tick` with the runner: at once, then every `routing_tick_seconds`."""
        if self._runner is None:
            self._runner = runner
            runner.every(JOB, self.settings.routing_tick_seconds, self.tick)

    def stop(self) -> None:
        """Removes the job (stop the runner first: a tick going on then is over) and
        disconnects this replica's sockets (their panels reconnect elsewhere)."""
        runner, self._runner = self._runner, None
        if runner is not None:
            runner.remove(JOB)
        for connection, operator in list(self._connections.items()):
            with contextlib.suppress(Exception):
                self.writer.execute_sync(r.DisconnectPanel(
                    operator_id=operator, connection_id=connection, at=self.clock.now(),
                    actor="system:presence"))
        self._connections.clear()

    # -- presence ------------------------------------------------------------------------------
    @contextlib.asynccontextmanager
    async def connected(self, operator_id: UUID, actor: str) -> AsyncIterator[None]:
        """The operator is connected (online, unless they chose away) while this is entered."""
        connection = uuid.uuid4()
        await self.writer.execute(r.ConnectPanel(
            operator_id=operator_id, connection_id=connection, replica=self.replica,
            at=self.clock.now(), actor=actor))
        self._connections[connection] = operator_id
        try:
            yield
        finally:
            self._connections.pop(connection, None)
            command = r.DisconnectPanel(operator_id=operator_id, connection_id=connection,
                                        at=self.clock.now(), actor=actor)
            # Shielded: a cancelled subscription must still record that the socket went away.
            await asyncio.shield(self.writer.execute(command))

    # -- one round -----------------------------------------------------------------------------
    def tick(self) -> dict[str, int]:
        """One round of every job that is due; returns what it did (for tests and logs)."""
        now = self.clock.now()
        done = {"forwarded": 0, "assigned": 0, "swept": 0}
        if self._next_heartbeat is None or now >= self._next_heartbeat:
            self._heartbeat(now)
            done["swept"] = self._sweep(now)
            self._next_heartbeat = now + timedelta(seconds=self.settings.presence_heartbeat_seconds)
        done["forwarded"] = self._forward_lapsed(now)
        if self._next_retry is None or now >= self._next_retry:
            done["assigned"] = int(self.writer.execute_sync(r.AssignWaitingDialogs(at=now)))
            self._next_retry = now + timedelta(seconds=self.settings.routing_retry_seconds)
        return done

    def _forward_lapsed(self, now: datetime) -> int:
        retry = timedelta(seconds=self.settings.routing_retry_seconds)
        with self.views.reader.connect() as conn:
            lapsed = inbox_view.lapsed_offers(conn, now)
        forwarded = 0
        for dialog_id, operator_id in lapsed:
            tried = self._tried.get(dialog_id)
            if tried is not None and now - tried < retry:
                continue  # nobody else could take it a moment ago: wait for the retry period
            try:
                moved = self.writer.execute_sync(r.ForwardLapsedOffer(
                    dialog_id=dialog_id, operator_id=operator_id, at=now))
            except Exception:
                log.warning("forwarding %s failed", dialog_id, exc_info=True)
                continue
            if moved is None:
                self._tried[dialog_id] = now
            else:
                self._tried.pop(dialog_id, None)
                forwarded += 1
        live = {d for d, _ in lapsed}
        for dialog_id in [d for d in self._tried if d not in live]:
            del self._tried[dialog_id]
        return forwarded

    def _heartbeat(self, now: datetime) -> None:
        with self.views.writer.begin() as conn:
            updated = conn.execute(replica_heartbeats.update().where(
                replica_heartbeats.c.replica == self.replica).values(seen_at=now)).rowcount
            if not updated:
                conn.execute(replica_heartbeats.insert().values(replica=self.replica,
                                                                seen_at=now))

    def _sweep(self, now: datetime) -> int:
        """Disconnects the sockets of replicas that stopped beating (three beats missed)."""
        stale = now - timedelta(seconds=3 * self.settings.presence_heartbeat_seconds)
        with self.views.reader.connect() as conn:
            alive = set(conn.execute(sa.select(replica_heartbeats.c.replica).where(
                replica_heartbeats.c.seen_at >= stale)).scalars())
            alive.add(self.replica)
            orphans = presence_view.connections_of_replicas_other_than(conn, alive)
        swept = 0
        for operator_id, connection_id, _replica in orphans:
            self.writer.execute_sync(r.DisconnectPanel(
                operator_id=operator_id, connection_id=connection_id, at=now,
                actor="system:presence"))
            swept += 1
        return swept

    def status(self) -> dict[str, Any]:
        return {"replica": self.replica, "connections": len(self._connections)}
