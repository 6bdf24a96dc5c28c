"""The event store: one eventsourcing application, one notification log for every aggregate."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.application import Application
from eventsourcing.persistence import Mapper, Transcoder
from eventsourcing.sqlite import SQLiteApplicationRecorder
from eventsourcing.utils import Environment, EnvType
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Identifier

from domain.dialogs import Dialog
from domain.quick_replies import QuickReplies
from domain.setup import Installation
from infra.settings import Settings
from infra.transcoding import FastJSONTranscoder, FastMapper

APP_NAME = "Switchboard"
EVENTS_SCHEMA = "events"
EVENTS_CHANNEL = "switchboard_events"


class EventStore(Application[UUID]):
    """Events of every aggregate in one total order; handlers are modules over it."""

    name = APP_NAME
    snapshotting_intervals = {Dialog: 200, Installation: 200, QuickReplies: 200}

    def originators_since(self, position: int, limit: int = 5000) -> list[tuple[int, UUID]]:
        """(notification id, aggregate id) of the events stored after `position`, oldest first:
        how a writer learns which of its cached aggregates other processes changed."""
        recorder: Any = self.recorder
        if isinstance(recorder, SQLiteApplicationRecorder):
            with recorder.datastore.transaction(commit=False) as cursor:
                cursor.execute(
                    f"SELECT rowid, originator_id FROM {recorder.events_table_name} "
                    "WHERE rowid > ? ORDER BY rowid LIMIT ?", (position, limit))
                return [(row[0], UUID(row[1])) for row in cursor.fetchall()]
        with recorder.datastore.get_connection() as conn, conn.cursor() as cursor:
            cursor.execute(
                SQL("SELECT notification_id, originator_id FROM {}.{} WHERE notification_id > %s "
                    "ORDER BY notification_id LIMIT %s").format(
                    Identifier(recorder.datastore.schema), Identifier(recorder.events_table_name)),
                (position, limit))
            return [(row["notification_id"], row["originator_id"]) for row in cursor.fetchall()]

    def read_events(self, start: int, stop: int, limit: int,
                    topics: Sequence[str]) -> list[tuple[int, Any]]:
        """(notification id, domain event) of up to `limit` events of these topics after
        `start` up to `stop`, oldest first: the log as projections read it. On PostgreSQL the
        rows come as plain tuples of the columns needed, straight into the mapper (no
        dictionary and stored-event object per row: a fifth of the reading)."""
        recorder: Any = self.recorder
        mapper: Any = self.mapper
        if isinstance(recorder, SQLiteApplicationRecorder) or not isinstance(mapper, FastMapper):
            return [(n.id, mapper.to_domain_event(n)) for n in recorder.select_notifications(
                start=start, limit=limit, stop=stop, topics=list(topics),
                inclusive_of_start=False)]
        with recorder.datastore.get_connection() as conn, conn.cursor(
                row_factory=tuple_row) as cursor:
            cursor.execute(SQL(
                "SELECT notification_id, topic, state, originator_id, originator_version "
                "FROM {}.{} WHERE notification_id > %s AND notification_id <= %s "
                "AND topic = ANY(%s) ORDER BY notification_id LIMIT %s").format(
                Identifier(recorder.datastore.schema), Identifier(recorder.events_table_name)),
                (start, stop, list(topics), limit), prepare=True)
            event = mapper.event
            return [(row[0], event(row[1], row[2], row[3], row[4]))
                    for row in cursor.fetchall()]

    def analyse(self) -> None:
        """Refreshes PostgreSQL's statistics of the log when they are missing or stale (a
        tenth of it written since): without them, reading a stretch of the log by topic is
        planned as a sort of the whole stretch for every batch. Autovacuum does this in time
        where it runs; a rebuild reading the whole log asks first."""
        recorder: Any = self.recorder
        if isinstance(recorder, SQLiteApplicationRecorder):
            return
        with recorder.datastore.get_connection() as conn, conn.cursor(
                row_factory=tuple_row) as cursor:
            cursor.execute(
                "SELECT n_live_tup, n_mod_since_analyze FROM pg_stat_user_tables "
                "WHERE schemaname = %s AND relname = %s",
                (recorder.datastore.schema, recorder.events_table_name))
            row = cursor.fetchone()
            if row is None or row[1] > max(row[0], 1) // 10:
                cursor.execute(SQL("ANALYZE {}.{}").format(
                    Identifier(recorder.datastore.schema), Identifier(recorder.events_table_name)))

    def construct_transcoder(self) -> Transcoder:
        transcoder = FastJSONTranscoder()
        self.register_transcodings(transcoder)
        return transcoder

    def construct_mapper(self) -> Mapper[UUID]:
        return self.factory.mapper(transcoder=self.construct_transcoder(), mapper_class=FastMapper)

    def construct_env(self, name: str, env: EnvType | None = None) -> Environment:
        # Only what bootstrap passes: never whatever happens to be in os.environ.
        values: dict[str, str] = {"IS_SNAPSHOTTING_ENABLED": "y"}
        values.update(env or {})
        return Environment(name, values)


def event_store_env(settings: Settings) -> dict[str, str]:
    if settings.is_sqlite:
        path = settings.sqlite_events_path
        path.parent.mkdir(parents=True, exist_ok=True)
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(path),
            "SQLITE_LOCK_TIMEOUT": "15",
        }
    pg = settings.postgres_parts
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": pg["dbname"],
        "POSTGRES_HOST": pg["host"],
        "POSTGRES_PORT": pg["port"],
        "POSTGRES_USER": pg["user"],
        "POSTGRES_PASSWORD": pg["password"],
        "POSTGRES_SCHEMA": EVENTS_SCHEMA,
        "POSTGRES_POOL_SIZE": "10",
        "POSTGRES_MAX_OVERFLOW": "20",
        "POSTGRES_LOCK_TIMEOUT": "10",
        "POSTGRES_ENABLE_DB_FUNCTIONS": "n",
    }


def postgres_conninfo(settings: Settings) -> dict[str, Any]:
    pg = settings.postgres_parts
    return {
        "host": pg["host"], "port": int(pg["port"]), "user": pg["user"],
        "password": pg["password"], "dbname": pg["dbname"],
    }


# Held while a process creates the store's schema, tables and function: the library creates
# them each time it opens the store (CREATE TABLE IF NOT EXISTS, CREATE OR REPLACE FUNCTION), and
# PostgreSQL refuses two processes doing so at once (a duplicate key in its catalogue, or "tuple
# concurrently updated") — replicas, projection workers and rebuild processes start together.
CREATION_LOCK = zlib.crc32(b"switchboard-event-store-creation")


def open_event_store(settings: Settings) -> EventStore:
    if not settings.is_postgres:
        return EventStore(env=event_store_env(settings))
    with psycopg.connect(**postgres_conninfo(settings), autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (CREATION_LOCK,))
        try:
            conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{EVENTS_SCHEMA}"')  # not the library's
            return EventStore(env=event_store_env(settings))
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (CREATION_LOCK,))
