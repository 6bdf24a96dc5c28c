"""Our batch projector: reads the notification log, applies a batch of events to a projection's
tables, and moves its tracking row in the same transaction, so a crash anywhere loses and doubles
nothing. One runner per projection across processes (an advisory lock on PostgreSQL, a file lock
on SQLite); another process takes over when the holder dies."""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import threading
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import psycopg
import sqlalchemy as sa

from infra.eventstore import EVENTS_CHANNEL, EventStore, postgres_conninfo
from infra.metrics import PROJECTION_EVENTS, PROJECTION_LAG, PROJECTION_POSITION
from infra.settings import Settings
from infra.views import ViewsDatabase
from projections.base import Changes, Projection, projection_tracking, view_changes

log = logging.getLogger(__name__)
VIEWS_CHANNEL = "switchboard_views"
CHANGES_KEPT = timedelta(minutes=10)


@dataclass(frozen=True)
class ProjectionStatus:
    name: str
    position: int
    head: int

    @property
    def lag(self) -> int:
        return max(self.head - self.position, 0)


class ProjectionLocks:
    """One lock per projection, each held by at most one process at a time and released when
    that process dies: advisory locks all on one PostgreSQL session of this process (one
    connection, however many projections), or file locks beside the SQLite views."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._conn: psycopg.Connection[Any] | None = None
        self._held: set[str] = set()
        self._files: dict[str, IO[str]] = {}

    def held(self, name: str) -> bool:
        return name in self._held

    def try_acquire(self, name: str) -> bool:
        if name in self._held:
            return True
        if self._settings.is_postgres:
            if self._conn is None:
                self._conn = psycopg.connect(
                    **postgres_conninfo(self._settings), autocommit=True,
                    application_name=f"sb-projector:{os.getpid()}")
            key = zlib.crc32(f"switchboard-projection:{name}".encode())
            row = self._conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
            if not (row and row[0]):
                return False
        else:
            path = self._settings.sqlite_views_path.with_suffix(f".{name}.lock")
            handle = Path(path).open("a")  # noqa: SIM115 - held open as the lock
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.close()
                return False
            self._files[name] = handle
        self._held.add(name)
        return True

    def check(self) -> None:
        """Forgets every lock when the session holding them is gone (they went with it)."""
        if self._conn is None:
            return
        try:
            self._conn.execute("SELECT 1")
        except psycopg.Error:
            log.warning("the projection locks' session was lost; trying again")
            self.release_all()

    def release(self, name: str) -> None:
        self._held.discard(name)
        handle = self._files.pop(name, None)
        if handle is not None:
            handle.close()
        if self._conn is not None:
            key = zlib.crc32(f"switchboard-projection:{name}".encode())
            with contextlib.suppress(psycopg.Error):
                self._conn.execute("SELECT pg_advisory_unlock(%s)", (key,))

    def release_all(self) -> None:
        for name in list(self._held):
            handle = self._files.pop(name, None)
            if handle is not None:
                handle.close()
        self._held.clear()
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):
                # Unlocked now: closing alone frees them only once the server's backend exits.
                self._conn.execute("SELECT pg_advisory_unlock_all()")
            with contextlib.suppress(psycopg.Error):
                self._conn.close()
            self._conn = None


class RunnerLock:
    """One projection's lock on a session of its own (for a command that runs one projection
    while no live runner does)."""

    def __init__(self, settings: Settings, name: str) -> None:
        self._locks = ProjectionLocks(settings)
        self._name = name

    @property
    def held(self) -> bool:
        return self._locks.held(self._name)

    def try_acquire(self) -> bool:
        return self._locks.try_acquire(self._name)

    def release(self) -> None:
        self._locks.release_all()


class ProjectionRunner:
    def __init__(
        self, store: EventStore, views: ViewsDatabase, projection: Projection, *,
        batch_size: int = 500, catchup_batch_size: int | None = None, postgres: bool = False,
    ) -> None:
        self.store = store
        self.views = views
        self.projection = projection
        self.batch_size = batch_size
        # Far behind (more than this many events), batches this large: fewer statements and
        # round trips per event, and each row a run of events touches written once.
        self.catchup_batch_size = max(batch_size, catchup_batch_size or batch_size)
        self.postgres = postgres
        self.topics = projection.topics()
        self.event_types = tuple(projection.events)

    @property
    def name(self) -> str:
        return self.projection.name

    def run_batch(self) -> int:
        """Applies the next batch; returns how far the position moved (0: caught up)."""
        return run_together([self])

    def run_until_caught_up(
        self, progress: Callable[[int, int], None] | None = None, max_batches: int | None = None
    ) -> int:
        moved_total = 0
        batches = 0
        while max_batches is None or batches < max_batches:
            moved = self.run_batch()
            batches += 1
            if moved == 0:
                break
            moved_total += moved
            if progress:
                progress(moved, self.status().head)
        return moved_total

    def lock_position(self, conn: sa.Connection) -> int:
        """The position, with the tracking row held until `conn`'s transaction ends."""
        return self._position(conn, lock=True)

    def _position(self, conn: sa.Connection, *, lock: bool) -> int:
        query = sa.select(projection_tracking.c.position).where(
            projection_tracking.c.name == self.name)
        if lock and self.postgres:
            query = query.with_for_update()
        position = conn.execute(query).scalar()
        if position is None:
            conn.execute(projection_tracking.insert().values(
                name=self.name, position=0, updated_at=datetime.now(UTC)))
            return 0
        return int(position)

    def status(self) -> ProjectionStatus:
        with self.views.reader.connect() as conn:
            position = conn.execute(
                sa.select(projection_tracking.c.position)
                .where(projection_tracking.c.name == self.name)
            ).scalar() or 0
        head = self.store.recorder.max_notification_id() or 0
        return ProjectionStatus(self.name, int(position), int(head))

    def reset(self) -> None:
        """Empties the projection's tables and rewinds it, in one transaction."""
        with self.views.writer.begin() as conn:
            self._position(conn, lock=True)
            if self.postgres:  # no dead rows left behind for the rebuild to wade through
                names = ", ".join(f'"{t.schema}"."{t.name}"' if t.schema else f'"{t.name}"'
                                  for t in self.projection.tables)
                conn.execute(sa.text(f"TRUNCATE {names}"))
            else:
                for table in reversed(self.projection.tables):
                    conn.execute(table.delete())
            conn.execute(
                projection_tracking.update().where(projection_tracking.c.name == self.name)
                .values(position=0, updated_at=datetime.now(UTC))
            )


WINDOW = 10  # batches' worth of the log one batch reads from at most


def run_together(runners: Sequence[ProjectionRunner], *, catch_up: bool = True) -> int:
    """Applies the next batch to the runners at the lowest position among them, in one
    transaction, reading and decoding the log once for all; returns how far they moved (0: all
    caught up). Runners ahead wait until the others reach them, then move together. Far
    behind, the batch is a catch-up batch, unless `catch_up` is false (someone waits behind
    this batch)."""
    first = runners[0]
    store = first.store
    with first.views.writer.begin() as conn:
        positions = lock_positions(conn, runners)
        start = min(positions)
        group = [runner for runner, at in zip(runners, positions, strict=True) if at == start]
        head = store.recorder.max_notification_id() or 0
        if head <= start:
            for runner in group:
                PROJECTION_LAG.labels(runner.name).set(0)
            return 0
        topics = sorted({topic for runner in group for topic in runner.topics})
        limit = first.batch_size
        if catch_up and head - start > first.catchup_batch_size:
            limit = first.catchup_batch_size
        # A window of the log at a time: over the whole rest of a long log, a topic filter may
        # be planned as a scan and sort of all of it for every batch.
        stop = min(head, start + limit * WINDOW)
        events = store.read_events(start, stop, limit, topics)
        wanted = share(events, [runner.event_types for runner in group])
        changes = Changes()
        for runner, own in zip(group, wanted, strict=True):
            runner.projection.apply_batch(conn, own, changes)
        full = len(events) == limit
        new_position = events[-1][0] if full else stop
        conn.execute(
            projection_tracking.update()
            .where(projection_tracking.c.name.in_([runner.name for runner in group]))
            .values(position=new_position, updated_at=datetime.now(UTC))
        )
        if changes:
            publish_changes(conn, changes, postgres=first.postgres)
    for runner, own in zip(group, wanted, strict=True):
        PROJECTION_EVENTS.labels(runner.name).inc(len(own))
        PROJECTION_POSITION.labels(runner.name).set(new_position)
        PROJECTION_LAG.labels(runner.name).set(max(head - new_position, 0))
    return new_position - start


def share(events: list[tuple[int, Any]],
          takers: Sequence[tuple[type, ...]]) -> list[list[tuple[int, Any]]]:
    """Each taker's events of the batch (those of the event classes it takes), in order: which
    takers take an event is decided once per event class, not once per event and taker."""
    shares: list[list[tuple[int, Any]]] = [[] for _ in takers]
    by_class: dict[type, list[list[tuple[int, Any]]]] = {}
    for item in events:
        kind = type(item[1])
        lists = by_class.get(kind)
        if lists is None:
            lists = by_class[kind] = [own for types, own in zip(takers, shares, strict=True)
                                      if issubclass(kind, types)]
        for own in lists:
            own.append(item)
    return shares


def lock_positions(conn: sa.Connection, runners: Sequence[ProjectionRunner]) -> list[int]:
    """Each runner's position, their tracking rows held until `conn`'s transaction ends: one
    statement for all of them (rows locked in name order, as every process locks them)."""
    names = [runner.name for runner in runners]
    query = (sa.select(projection_tracking.c.name, projection_tracking.c.position)
             .where(projection_tracking.c.name.in_(names)).order_by(projection_tracking.c.name))
    if runners[0].postgres:
        query = query.with_for_update()
    found = {name: int(position) for name, position in conn.execute(query)}
    return [found[runner.name] if runner.name in found else runner.lock_position(conn)
            for runner in runners]


def publish_changes(conn: sa.Connection, changes: Changes, *, postgres: bool) -> None:
    conn.execute(view_changes.insert().values(
        created_at=datetime.now(UTC), payload=json.dumps(changes.as_dict())))
    if postgres:
        conn.execute(sa.text("SELECT pg_notify(:channel, '')"), {"channel": VIEWS_CHANNEL})


class Projector:
    """Runs every projection whose lock this process holds, following the log live."""

    def __init__(
        self, settings: Settings, store: EventStore, views: ViewsDatabase,
        projections: Sequence[Projection],
    ) -> None:
        self.settings = settings
        self.runners = [
            ProjectionRunner(store, views, p, batch_size=settings.projection_batch_size,
                             catchup_batch_size=settings.projection_catchup_batch_size,
                             postgres=settings.is_postgres)
            for p in projections
        ]
        self.locks = ProjectionLocks(settings)
        self.views = views
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        self._stop.clear()
        self._threads = [threading.Thread(target=self._run, name="projector", daemon=True)]
        if self.settings.is_postgres:
            self._threads.append(
                threading.Thread(target=self._listen, name="projector-listen", daemon=True))
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout=10)
        self.locks.release_all()

    def wake(self) -> None:
        self._wake.set()

    def held(self) -> list[str]:
        return [r.name for r in self.runners if self.locks.held(r.name)]

    def waiter(self, name: str, seconds: float = 5.0) -> Callable[[], bool]:
        """A blocking wait (at most `seconds`) until the read model `name` holds every event
        stored before the call, whichever replica projects it; answers whether it does."""

        def wait() -> bool:
            runner = next((r for r in self.runners if r.name == name), None)
            if runner is None:
                return False
            head = runner.status().head
            deadline = time.monotonic() + seconds
            while runner.status().position < head:
                if time.monotonic() > deadline:
                    return False
                self.wake()
                time.sleep(0.01)
            return True

        return wait

    def _run(self) -> None:
        next_lock_try = 0.0
        next_prune = time.monotonic() + 60
        idle_wait = self.settings.projection_poll_seconds if self.views.is_sqlite else 1.0
        while not self._stop.is_set():
            now = time.monotonic()
            if now >= next_lock_try:
                try:
                    self.locks.check()
                    for runner in self.runners:
                        self.locks.try_acquire(runner.name)
                except Exception:
                    self.locks.release_all()
                    log.warning("projection lock check failed", exc_info=True)
                next_lock_try = now + 1.0
            self._wake.clear()
            held = [r for r in self.runners if self.locks.held(r.name)]
            moved = self._catch_up(held) if held else 0
            if now >= next_prune:
                self._prune()
                next_prune = now + 60
            if moved == 0:
                self._wake.wait(idle_wait)

    def _catch_up(self, held: list[ProjectionRunner]) -> int:
        """The held projections move in two groups, each together in its own transactions:
        what panels and jobs wait on first, then the background ones (analytics), a batch of
        each in turn, so that a message reaches the inbox without waiting for the analysts'
        tables. When that fails, each alone, so that one failing projection holds back only
        itself."""
        moved = 0
        live = [r for r in held if not r.projection.background]
        background = [r for r in held if r.projection.background]
        try:
            for _ in range(20):
                if self._stop.is_set():
                    break
                step = run_together(live) if live else 0
                # The background ones take catch-up batches only while the live ones are far
                # behind too: else a message would wait for the inbox behind a long batch.
                far_behind = not live or step > live[0].batch_size
                step += run_together(background, catch_up=far_behind) if background else 0
                if step == 0:
                    break
                moved += step
            return moved
        except Exception:
            log.warning("projections failed together; running each alone", exc_info=True)
        for runner in held:
            try:
                moved += runner.run_until_caught_up(max_batches=20)
            except Exception:
                log.exception("projection %s failed; it will retry", runner.name)
                self._stop.wait(1.0)
        return moved

    def _prune(self) -> None:
        if not self.held():
            return
        try:
            with self.views.writer.begin() as conn:
                conn.execute(view_changes.delete().where(
                    view_changes.c.created_at < datetime.now(UTC) - CHANGES_KEPT))
        except Exception:
            log.warning("pruning view changes failed", exc_info=True)

    def _listen(self) -> None:
        while not self._stop.is_set():
            try:
                with psycopg.connect(**postgres_conninfo(self.settings), autocommit=True) as conn:
                    conn.execute(f"LISTEN {EVENTS_CHANNEL}")
                    while not self._stop.is_set():
                        for _ in conn.notifies(timeout=0.5, stop_after=1):
                            self._wake.set()
            except psycopg.Error:
                log.warning("LISTEN connection lost; reconnecting", exc_info=True)
                self._stop.wait(1.0)
