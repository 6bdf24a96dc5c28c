"""Verifying and rebuilding read models beside the live ones.

`verify` replays the whole log into a scratch space (a scratch schema on PostgreSQL, a scratch
file on SQLite) and compares it row for row with the live tables at the same position. `rebuild`
builds aside the same way, then switches: one short transaction holds the projection's tracking row
(so its live runner waits), catches the scratch copy up to the head, replaces the live rows and
moves the position. Readers are never blocked: they see the old rows until that commit, then the
new ones.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from infra.eventstore import EventStore
from infra.projector import WINDOW, ProjectionRunner
from infra.views import ANALYTICS_SCHEMA, SQLITE_SCHEMA_MAP, ViewsDatabase, _sqlite_engine
from projections.base import READ_SCHEMA, Changes, Projection, projection_tracking

Progress = Callable[[int, int], None]


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

    def __init__(self, views: ViewsDatabase, projection: Projection) -> None:
        self.views = views
        self.projection = projection
        self.name = f"scratch_{projection.name}_{uuid.uuid4().hex[:8]}"
        self.engine: sa.Engine

    def __enter__(self) -> Scratch:
        tables = list(self.projection.tables)
        if self.views.is_sqlite:
            path = str(self.views.writer.url.database) + f".{self.name}"
            self.path = path
            self.engine = _sqlite_engine(f"sqlite:///{path}", immediate=True)
            for table in tables:  # the engine translates the schema away, as for the live file
                table.create(self.engine)
            return self
        with self.views.writer.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{self.name}"'))
            for table in tables:
                conn.execute(sa.text(
                    f'CREATE TABLE "{self.name}"."{table.name}" '
                    f'(LIKE "{table.schema or READ_SCHEMA}"."{table.name}" INCLUDING ALL)'))
        self.engine = self.views.writer.execution_options(
            schema_translate_map={READ_SCHEMA: self.name, ANALYTICS_SCHEMA: self.name})
        return self

    @contextlib.contextmanager
    def begin(self) -> Iterator[sa.Connection]:
        with self.engine.begin() as conn:
            if not self.views.is_sqlite:
                conn.execute(sa.text(f'SET LOCAL search_path TO "{self.name}"'))
            yield conn

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
    topics = projection.topics()
    position = start
    while position < stop:
        window = min(stop, position + batch_size * WINDOW)  # as the projector reads the log
        with scratch.begin() as conn:
            notifications = store.recorder.select_notifications(
                start=position, limit=batch_size, stop=window, topics=topics,
                inclusive_of_start=False)
            events = [(n.id, store.mapper.to_domain_event(n)) for n in notifications]
            projection.apply_batch(conn, events, Changes())
        moved_to = notifications[-1].id if len(notifications) == batch_size else window
        if progress:
            progress(moved_to - position, stop)
        position = moved_to
    return position


def _rows(conn: sa.Connection, table: sa.Table) -> Counter[tuple[Any, ...]]:
    return Counter(tuple(row) for row in conn.execute(sa.select(*table.c)))


def _live(conn: sa.Connection, views: ViewsDatabase) -> sa.Connection:
    if views.is_sqlite:
        return conn.execution_options(schema_translate_map=SQLITE_SCHEMA_MAP)
    return conn


def verify(store: EventStore, views: ViewsDatabase, runner: ProjectionRunner,
           progress: Progress | None = None, sample: int = 5) -> Verification:
    projection = runner.projection
    with Scratch(views, projection) as scratch:
        position = build(store, scratch, projection, 0, runner.status().position,
                         runner.batch_size, progress)
        with views.writer.begin() as live:  # holds the tracking row: the live runner waits
            live_position = runner.lock_position(live)
            position = build(store, scratch, projection, position, live_position,
                             runner.batch_size, progress)
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
    projection = runner.projection
    with Scratch(views, projection) as scratch:
        head = store.recorder.max_notification_id() or 0
        position = build(store, scratch, projection, 0, head, runner.batch_size, progress)
        with views.writer.begin() as live:
            runner.lock_position(live)
            head = store.recorder.max_notification_id() or 0
            position = build(store, scratch, projection, position, head, runner.batch_size,
                             progress)
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
            target.execute(
                projection_tracking.update()
                .where(projection_tracking.c.name == projection.name)
                .values(position=position))
    return position
