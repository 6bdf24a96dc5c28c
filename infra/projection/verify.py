"""Verifying and rebuilding read models beside the live ones.

`verify` replays the whole log into a scratch space (a scratch schema on PostgreSQL, a scratch
file on SQLite) and compares it row for row with the live tables at the same position. `rebuild`
builds aside the same way, then switches: one short transaction holds the projection's tracking row
(so its live runner waits), catches the scratch copy up to the head, replaces the live rows and
moves the position. Readers are never blocked: they see the old rows until that commit, then the
new ones. Several projections rebuild together from one reading of the log (`rebuild_together`),
and all of them in several processes at once (`rebuild_in_processes`), each with its share.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import queue
import sys
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
import sqlalchemy as sa
from eventsourcing.sqlite import SQLiteApplicationRecorder

from infra.eventstore import EventStore
from infra.projection.projector import WINDOW, ProjectionRunner, share
from infra.projection.swap import SwapRefused, prepare, swap_in
from infra.settings import Settings
from infra.views import ANALYTICS_SCHEMA, SQLITE_SCHEMA_MAP, ViewsDatabase, _sqlite_engine
from projections.base import READ_SCHEMA, Projection, Unwatched, projection_tracking
from projections.rows import Kept

Progress = Callable[[float, int], None]


@dataclass
class TableDifference:
    table: str
    only_live: list[tuple[Any, ...]] = field(default_factory=list)
    only_rebuilt: list[tuple[Any, ...]] = field(default_factory=list)


@dataclass
class Verification:
    projection: str
    position: int
    rows: dict[str, int]
    differences: list[TableDifference]

    @property
    def ok(self) -> bool:
        return not self.differences


class Scratch:
    """A place shaped like the projection's live tables, dropped afterwards."""

    def __init__(self, views: ViewsDatabase, projection: Projection, *,
                 logged: bool = False) -> None:
        self.views = views
        self.projection = projection
        # Unlogged (no write-ahead log: faster to fill, lost in a crash) unless the tables are
        # to become live ones: making them logged later rewrites them.
        self.logged = logged
        self.name = f"scratch_{projection.name}_{uuid.uuid4().hex[:8]}"
        self.engine: sa.Engine
        # The rows built so far, kept between batches: the tables start empty and only this
        # build writes them, so nothing need be read back (`projections.rows.Kept`).
        self.kept: dict[str, Kept] = {}
        self.position = 0  # how far in the log the scratch tables are built

    def __enter__(self) -> Scratch:
        tables = list(self.projection.tables)
        if self.views.is_sqlite:
            path = str(self.views.writer.url.database) + f".{self.name}"
            self.path = path
            self.engine = _sqlite_engine(f"sqlite:///{path}", immediate=True)
            for table in tables:  # the engine translates the schema away, as for the live file
                table.create(self.engine)
            return self
        kind = "TABLE" if self.logged else "UNLOGGED TABLE"
        with self.views.writer.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{self.name}"'))
            for table in tables:
                conn.execute(sa.text(
                    f'CREATE {kind} "{self.name}"."{table.name}" '
                    f'(LIKE "{table.schema or READ_SCHEMA}"."{table.name}" INCLUDING ALL)'))
        self.engine = self.views.writer.execution_options(
            schema_translate_map={READ_SCHEMA: self.name, ANALYTICS_SCHEMA: self.name})
        return self

    @contextlib.contextmanager
    def begin(self) -> Iterator[sa.Connection]:
        with self.engine.begin() as conn:
            yield self.within(conn) if not self.views.is_sqlite else conn.execution_options(
                kept=self.kept)

    def within(self, conn: sa.Connection) -> sa.Connection:
        """A PostgreSQL connection of the views database, pointed at this scratch schema for
        the rest of its transaction (until another scratch points it elsewhere)."""
        conn.execute(sa.text(f'SET LOCAL search_path TO "{self.name}"'))
        return conn.execution_options(
            schema_translate_map={READ_SCHEMA: self.name, ANALYTICS_SCHEMA: self.name},
            kept=self.kept)

    def __exit__(self, *exc: object) -> None:
        if self.views.is_sqlite:
            self.engine.dispose()
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    os.remove(self.path + suffix)
            return
        with self.views.writer.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{self.name}" CASCADE'))


def build(store: EventStore, scratch: Scratch, projection: Projection, start: int, stop: int,
          batch_size: int, progress: Progress | None = None) -> int:
    """Applies the events after `start` up to `stop` to the scratch tables; returns the position."""
    return build_together(store, [(scratch, projection)], start, stop, batch_size, progress)


def build_together(store: EventStore, targets: Sequence[tuple[Scratch, Projection]], start: int,
                   stop: int, batch_size: int, progress: Progress | None = None) -> int:
    """`build` for several projections at once: the log is read and decoded once per batch for
    all of them, and each gets its own events in a transaction of its own scratch space."""
    views = targets[0][0].views
    topics = sorted({topic for _, projection in targets for topic in projection.topics()})
    takers = [tuple(projection.events) for _, projection in targets]
    position = start
    try:
        while position < stop:
            # What exists before each batch (the rows kept so far, most of all) is set aside
            # from the cyclic garbage collector until the build ends: its full collections would
            # walk all of it again and again as it grows (a sixth of a rebuild's time). What a
            # batch leaves behind is freed by reference counting, or collected afterwards.
            gc.freeze()
            position = _build_batch(store, views, targets, topics, takers, position, stop,
                                    batch_size, progress)
    finally:
        gc.unfreeze()
    for scratch, _ in targets:
        scratch.position = position
    return position


def _build_batch(store: EventStore, views: ViewsDatabase,
                 targets: Sequence[tuple[Scratch, Projection]], topics: list[str],
                 takers: list[tuple[type, ...]], position: int, stop: int, batch_size: int,
                 progress: Progress | None) -> int:
    """Applies the next batch of the log to the scratch tables; returns the new position."""
    window = min(stop, position + batch_size * WINDOW)  # as the projector reads the log
    events = store.read_events(position, window, batch_size, topics)
    work = [(scratch, projection, own) for (scratch, projection), own
            in zip(targets, share(events, takers), strict=True) if own]
    if views.is_sqlite:  # a scratch file each
        for scratch, projection, own in work:
            with scratch.begin() as conn:
                projection.apply_batch(conn, own, Unwatched())
    else:  # one transaction (one commit) for all the scratch schemas
        with views.writer.begin() as conn:
            # A crash loses a scratch build whatever: no need to wait for the disk.
            conn.execute(sa.text("SET LOCAL synchronous_commit = off"))
            for scratch, projection, own in work:
                projection.apply_batch(scratch.within(conn), own, Unwatched())
    moved_to = events[-1][0] if len(events) == batch_size else window
    if progress:
        progress(moved_to - position, stop)
    return moved_to


def _rows(conn: sa.Connection, table: sa.Table) -> Counter[tuple[Any, ...]]:
    return Counter(tuple(row) for row in conn.execute(sa.select(*table.c)))


def _live(conn: sa.Connection, views: ViewsDatabase) -> sa.Connection:
    if views.is_sqlite:
        return conn.execution_options(schema_translate_map=SQLITE_SCHEMA_MAP)
    return conn


def verify(store: EventStore, views: ViewsDatabase, runner: ProjectionRunner,
           progress: Progress | None = None, sample: int = 5) -> Verification:
    return verify_together(store, views, [runner], progress, sample)[0]


def verify_together(store: EventStore, views: ViewsDatabase,
                    runners: Sequence[ProjectionRunner], progress: Progress | None = None,
                    sample: int = 5) -> list[Verification]:
    """`verify` for several projections from one reading of the log: built aside together up
    to the live position of the one furthest behind, then each compared at its own."""
    batch_size = max(runner.catchup_batch_size for runner in runners)
    store.analyse()
    with contextlib.ExitStack() as stack:
        targets = [(stack.enter_context(Scratch(views, runner.projection)), runner.projection)
                   for runner in runners]
        lowest = min(runner.status().position for runner in runners)
        position = build_together(store, targets, 0, lowest, batch_size, progress)
        return [_compare(store, views, scratch, runner, position, sample)
                for (scratch, _), runner in zip(targets, runners, strict=True)]


def _compare(store: EventStore, views: ViewsDatabase, scratch: Scratch,
             runner: ProjectionRunner, position: int, sample: int) -> Verification:
    """The scratch copy caught up to the live position, compared row for row with the live
    tables while their tracking row is held (the live runner waits)."""
    projection = runner.projection
    with views.writer.begin() as live:
        live_position = runner.lock_position(live)
        position = build(store, scratch, projection, position, live_position,
                         runner.catchup_batch_size)
        differences: list[TableDifference] = []
        counts: dict[str, int] = {}
        with scratch.begin() as rebuilt:
            for table in projection.tables:
                live_rows = _rows(_live(live, views), table)
                rebuilt_rows = _rows(rebuilt, table)
                counts[table.name] = sum(live_rows.values())
                if live_rows != rebuilt_rows:
                    differences.append(TableDifference(
                        table.name,
                        only_live=list((live_rows - rebuilt_rows).elements())[:sample],
                        only_rebuilt=list((rebuilt_rows - live_rows).elements())[:sample],
                    ))
    return Verification(projection.name, position, counts, differences)


def rebuild_aside(store: EventStore, views: ViewsDatabase, runner: ProjectionRunner,
                  progress: Progress | None = None) -> int:
    """Builds the projection aside and switches the live tables to it; returns the position."""
    return rebuild_together(store, views, [runner], progress)[runner.name]


def rebuild_together(store: EventStore, views: ViewsDatabase,
                     runners: Sequence[ProjectionRunner],
                     progress: Progress | None = None) -> dict[str, int]:
    """Builds several projections aside from one reading of the log, then switches each live;
    returns each one's position."""
    batch_size = max(runner.catchup_batch_size for runner in runners)
    store.analyse()
    with contextlib.ExitStack() as stack:
        targets = [(stack.enter_context(Scratch(views, runner.projection, logged=True)),
                    runner.projection) for runner in runners]
        head = store.recorder.max_notification_id() or 0
        build_together(store, targets, 0, head, batch_size, progress)
        if not views.is_sqlite:  # analysed before they take the live names
            with views.writer.begin() as conn:
                for scratch, projection in targets:
                    prepare(conn, scratch.name, projection.tables)
        return {runner.name: _switch(store, views, scratch, runner)
                for (scratch, _), runner in zip(targets, runners, strict=True)}


# How long the renaming waits for readers to let go of the tables (new readers queue behind
# it meanwhile), and how many times it tries before copying the rows instead.
SWAP_LOCK_TIMEOUT = "250ms"
SWAP_TRIES = 3


def _switch(store: EventStore, views: ViewsDatabase, scratch: Scratch,
            runner: ProjectionRunner) -> int:
    """In one transaction that holds the projection's tracking row (its live runner waits):
    the scratch copy caught up to the head, put in place of the live tables, the position
    moved. On PostgreSQL the tables are swapped by renaming (`infra.projection.swap`: no row
    copied); when readers keep holding them, or they cannot be swapped, the rows are copied
    instead (readers never wait for that)."""
    if not views.is_sqlite:
        for _ in range(SWAP_TRIES):
            try:
                return _switch_by(store, views, scratch, runner, swap=True)
            except SwapRefused:
                break
            except sa.exc.OperationalError as error:  # the lock timeout: try again
                if not isinstance(error.orig, psycopg.errors.LockNotAvailable):
                    raise
    return _switch_by(store, views, scratch, runner, swap=False)


def _switch_by(store: EventStore, views: ViewsDatabase, scratch: Scratch,
               runner: ProjectionRunner, *, swap: bool) -> int:
    projection = runner.projection
    with views.writer.begin() as live:
        runner.lock_position(live)
        head = store.recorder.max_notification_id() or 0
        position = build(store, scratch, projection, scratch.position, head,
                         runner.catchup_batch_size)
        if swap:
            live.execute(sa.text(f"SET LOCAL lock_timeout = '{SWAP_LOCK_TIMEOUT}'"))
            swap_in(live, scratch.name, projection.tables)
        else:
            _copy(views, scratch, live, projection)
        live.execute(
            projection_tracking.update()
            .where(projection_tracking.c.name == projection.name)
            .values(position=position))
    return position


def _copy(views: ViewsDatabase, scratch: Scratch, live: sa.Connection,
          projection: Projection) -> None:
    """The live rows replaced by the scratch copy's."""
    target = _live(live, views)
    for table in reversed(projection.tables):
        target.execute(table.delete())
    for table in projection.tables:
        columns = [column.name for column in table.c]
        if views.is_sqlite:
            with scratch.begin() as rebuilt:
                rows = [dict(row._mapping) for row in rebuilt.execute(sa.select(table))]
            if rows:
                target.execute(table.insert(), rows)
        else:
            names = ", ".join(f'"{c}"' for c in columns)
            target.execute(sa.text(
                f'INSERT INTO "{table.schema or READ_SCHEMA}"."{table.name}" ({names}) '
                f'SELECT {names} FROM "{scratch.name}"."{table.name}"'))


# -- rebuilding in several processes ----------------------------------------------------------
def rebuild_in_processes(settings: Settings, runners: Sequence[ProjectionRunner],
                         processes: int, progress: Progress | None = None) -> dict[str, int]:
    """`rebuild_together` with the projections shared out among `processes` processes (each
    reads the log once for its share), balanced by how many events of the log each reads."""
    if processes <= 1 or len(runners) == 1:  # no share to work out
        return rebuild_together(runners[0].store, runners[0].views, runners, progress)
    runners[0].store.analyse()  # once, before the processes read the log
    groups = balanced(runners, processes, _events_per_topic(runners[0].store))
    # Forked where that is safe (Linux): a spawned interpreter would import the whole program
    # again first (a second and a half of two). A worker never touches what it inherits: it
    # opens its own connections, and leaves with os._exit, closing none of the parent's.
    context: Any = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
    reports: Any = context.Queue()
    workers = [context.Process(target=_rebuild_group, name=f"rebuild-{i}",
                               args=(settings, [r.name for r in group], reports))
               for i, group in enumerate(groups)]
    for worker in workers:
        worker.start()
    positions: dict[str, int] = {}
    failures: list[str] = []
    finished: set[str] = set()
    while len(finished) < len(workers):
        try:
            name, kind, *rest = reports.get(timeout=1.0)
        except queue.Empty:  # a worker that died without a word (killed, out of memory)
            for worker in workers:
                if worker.name not in finished and worker.exitcode is not None:
                    finished.add(worker.name)
                    failures.append(f"{worker.name} exited with code {worker.exitcode}")
            continue
        if kind == "progress":
            if progress:  # each group reads the whole log: its share of the bar
                moved, head = rest
                progress(moved / len(groups), head)
            continue
        finished.add(name)
        if kind == "done":
            positions.update(rest[0])
        else:
            failures.append(rest[0])
    for worker in workers:
        worker.join()
    if failures:
        raise RuntimeError("rebuilding failed: " + "; ".join(failures))
    return positions


def balanced(runners: Sequence[ProjectionRunner], parts: int,
             weights: dict[str, int]) -> list[list[ProjectionRunner]]:
    """The runners in at most `parts` groups of about equal weight (the events of the log each
    reads), the heaviest placed first, each into the lightest group so far."""
    def weight(runner: ProjectionRunner) -> int:
        return sum(weights.get(topic, 0) for topic in runner.topics) + 1

    groups: list[list[ProjectionRunner]] = [[] for _ in range(max(1, min(parts, len(runners))))]
    loads = [0] * len(groups)
    for runner in sorted(runners, key=weight, reverse=True):
        lightest = loads.index(min(loads))
        groups[lightest].append(runner)
        loads[lightest] += weight(runner)
    return [group for group in groups if group]


def _events_per_topic(store: EventStore) -> dict[str, int]:
    recorder: Any = store.recorder
    table = recorder.events_table_name
    if isinstance(recorder, SQLiteApplicationRecorder):
        with recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(f"SELECT topic, count(*) FROM {table} GROUP BY topic")
            return {row[0]: int(row[1]) for row in cursor.fetchall()}
    with recorder.datastore.get_connection() as conn, conn.cursor() as cursor:
        cursor.execute(f'SELECT topic, count(*) AS n FROM "{recorder.datastore.schema}".'
                       f'"{table}" GROUP BY topic')
        return {row["topic"]: int(row["n"]) for row in cursor.fetchall()}


def _rebuild_group(settings: Settings, names: list[str], reports: Any) -> None:
    """A process's share: its projections rebuilt together; progress and the outcome reported."""
    from infra.bootstrap import bootstrap

    me = multiprocessing.current_process().name
    try:
        container = bootstrap(settings)
        try:
            runners = [r for r in container.projector.runners if r.name in names]
            positions = rebuild_together(
                container.store, container.views, runners,
                lambda moved, head: reports.put((me, "progress", moved, head)))
        finally:
            container.stop()
        reports.put((me, "done", positions))
    except Exception as error:  # reported to the parent, which fails the command
        reports.put((me, "failed", f"{', '.join(names)}: {error!r}"))
