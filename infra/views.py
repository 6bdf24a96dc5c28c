"""The read-model database: one engine for the projector's writes, one for queries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

from infra.settings import Settings
from projections.base import READ_SCHEMA

ANALYTICS_SCHEMA = "analytics"
SCHEMAS = (READ_SCHEMA, ANALYTICS_SCHEMA)
SQLITE_SCHEMA_MAP: dict[str | None, str | None] = {READ_SCHEMA: None, ANALYTICS_SCHEMA: None}


@dataclass
class ViewsDatabase:
    writer: sa.Engine
    reader: sa.Engine
    is_sqlite: bool

    def dispose(self) -> None:
        self.writer.dispose()
        if self.reader is not self.writer:
            self.reader.dispose()


def _sqlite_engine(url: str, *, immediate: bool) -> sa.Engine:
    engine = sa.create_engine(
        url,
        connect_args={"timeout": 15, "check_same_thread": False},
        execution_options={"schema_translate_map": SQLITE_SCHEMA_MAP},
        pool_size=8,
        max_overflow=16,
    )

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: sa.Connection) -> None:
        # A deferred read-then-write fails at once when another writer commits: writers
        # take the lock up front. Readers need no lock in WAL mode.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def open_views(settings: Settings) -> ViewsDatabase:
    if settings.is_sqlite:
        settings.sqlite_views_path.parent.mkdir(parents=True, exist_ok=True)
        url = settings.views_url
        return ViewsDatabase(
            writer=_sqlite_engine(url, immediate=True),
            reader=_sqlite_engine(url, immediate=False),
            is_sqlite=True,
        )
    engine = sa.create_engine(settings.views_url, pool_size=10, max_overflow=20,
                              pool_pre_ping=True,
                              connect_args={"options": f"-c search_path={READ_SCHEMA},public"})
    return ViewsDatabase(writer=engine, reader=engine, is_sqlite=False)
