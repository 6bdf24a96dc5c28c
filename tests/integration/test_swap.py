"""A read model rebuilt aside is put in place by renaming its tables (no row copied): the live
names then hold the rebuilt rows, keep their index and constraint names, privileges, comments and
sequences, and alembic sees no difference; readers see the old table or the new one, never half
of a swap; what a rename cannot carry over is refused before anything changes. PostgreSQL only."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import projections.registry  # noqa: F401  (every projection's tables on the metadata)
from infra.migrations import migrate
from infra.projection.swap import SwapRefused, obstacles, prepare, swap_in
from infra.projection.verify import Scratch
from infra.views import SCHEMAS, ViewsDatabase, open_views
from projections.analytics.messages import AnalyticsMessagesProjection
from projections.base import READ_SCHEMA, Projection, metadata
from projections.inbox import InboxProjection, dialogs
from projections.registry import all_projections
from tests.conftest import PG, make_settings, require_postgres

pytestmark = pytest.mark.postgres


@pytest.fixture
def role() -> Iterator[str]:
    """An analysts' role of this test's own (roles are cluster-wide), dropped after the
    database that grants it something."""
    require_postgres()  # skipped (failed under CI) before there is a role to drop
    name = f"sb_analyst_{uuid.uuid4().hex[:8]}"
    yield name
    with psycopg.connect(" ".join(f"{key}={value}" for key, value in PG.items()),
                         autocommit=True) as conn:
        conn.execute(f'DROP ROLE IF EXISTS "{name}"')


@pytest.fixture
def views(role: str, postgres_url: str) -> Iterator[ViewsDatabase]:
    settings = make_settings(postgres_url, analyst_role=role)
    migrate(settings)
    opened = open_views(settings)
    yield opened
    opened.dispose()


Keys = dict[str, set[tuple[Any, ...]]]


def fake_rows(table: sa.Table, count: int, start: int) -> list[dict[str, Any]]:
    """`count` rows any column type accepts, numbered from `start`."""
    day = datetime(2026, 1, 1, tzinfo=UTC)

    def value(column: sa.Column[Any], i: int) -> Any:
        kind = column.type.python_type
        if kind is uuid.UUID:
            return uuid.uuid4()
        if kind is str:
            return f"r{i}"[:getattr(column.type, "length", None) or 100]
        if kind is bool:
            return i % 2 == 0
        if kind is datetime:
            return day + timedelta(seconds=i)
        if kind is date:
            return day.date() + timedelta(days=i % 30)
        return kind(i)  # int, float

    return [{column.name: value(column, start + i) for column in table.c} for i in range(count)]


def keys(conn: sa.Connection, table: sa.Table) -> set[tuple[Any, ...]]:
    return {tuple(row) for row in conn.execute(sa.select(*table.primary_key.columns))}


def fill(conn: sa.Connection, projection: Projection, count: int, start: int) -> Keys:
    """`count` rows in each of the projection's tables; their primary keys."""
    for table in projection.tables if count else ():
        conn.execute(table.insert(), fake_rows(table, count, start))
    return {table.name: keys(conn, table) for table in projection.tables}


def fill_live(views: ViewsDatabase, projection: Projection, count: int) -> Keys:
    with views.writer.begin() as conn:
        return fill(conn, projection, count, 0)


def rebuilt(views: ViewsDatabase, projection: Projection, count: int) -> tuple[Scratch, Keys]:
    """A scratch space made as `rebuild` makes it, with `count` rows in each table, prepared
    as before a switch."""
    scratch = Scratch(views, projection).__enter__()
    with scratch.begin() as conn:
        new = fill(conn, projection, count, 1000)
    with views.writer.begin() as conn:
        prepare(conn, scratch.name, projection.tables)
    return scratch, new


def live(conn: sa.Connection, projection: Projection) -> Keys:
    return {table.name: keys(conn, table) for table in projection.tables}


def oid(conn: sa.Connection, table: sa.Table) -> int:
    qualified = f'"{table.schema or READ_SCHEMA}"."{table.name}"'
    return int(conn.execute(sa.text("SELECT to_regclass(:t)::oid"), {"t": qualified}).scalar_one())


CATALOGUE = {
    "indexes": "SELECT schemaname, tablename, indexname, indexdef FROM pg_indexes "
               "WHERE schemaname IN ('read', 'analytics')",
    "constraints": "SELECT n.nspname, c.relname, k.conname, k.contype, "
                   "pg_get_constraintdef(k.oid) FROM pg_constraint k "
                   "JOIN pg_class c ON c.oid = k.conrelid "
                   "JOIN pg_namespace n ON n.oid = c.relnamespace "
                   "WHERE n.nspname IN ('read', 'analytics')",
    "tables": "SELECT n.nspname, c.relname, c.relkind, c.relacl::text, "
              "pg_get_userbyid(c.relowner) FROM pg_class c "
              "JOIN pg_namespace n ON n.oid = c.relnamespace "
              "WHERE n.nspname IN ('read', 'analytics') AND c.relkind <> 'i'",
    "columns": "SELECT table_schema, table_name, column_name, ordinal_position, data_type, "
               "is_nullable, column_default FROM information_schema.columns "
               "WHERE table_schema IN ('read', 'analytics')",
}


def catalogue(conn: sa.Connection) -> dict[str, set[tuple[Any, ...]]]:
    return {part: {tuple(row) for row in conn.execute(sa.text(query))}
            for part, query in CATALOGUE.items()}


def drift(views: ViewsDatabase, names: set[str]) -> list[Any]:
    """What `alembic revision --autogenerate` would write for these tables (nothing, ideally);
    seen from the database's default search path, where `read` is a schema like any other."""
    engine = sa.create_engine(views.writer.url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={
                "include_schemas": True, "version_table_schema": READ_SCHEMA,
                "include_name": lambda name, kind, _: kind != "schema" or name in SCHEMAS,
                "include_object": lambda obj, name, kind, *_: kind != "table" or name in names})
            return list(compare_metadata(context, metadata))
    finally:
        engine.dispose()


def test_the_live_names_hold_the_rebuilt_rows_and_the_old_tables_go_with_the_scratch(
        views: ViewsDatabase) -> None:
    projection = InboxProjection()
    old = fill_live(views, projection, 5)
    scratch, new = rebuilt(views, projection, 7)
    with views.writer.connect() as conn:
        before = {table.name: oid(conn, table) for table in projection.tables}
    with views.writer.begin() as conn:
        swap_in(conn, scratch.name, projection.tables)
    with views.writer.connect() as conn:
        assert live(conn, projection) == new
        assert all(oid(conn, table) != before[table.name] for table in projection.tables)
        in_scratch = conn.execute(sa.text(
            "SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = :s AND c.relkind = 'r'"), {"s": scratch.name}).scalars().all()
        assert sorted(in_scratch) == sorted(before.values())  # the old tables, till the drop
        moved = conn.execute(sa.text("SELECT CAST(:oid AS regclass)::text"),
                             {"oid": before["dialogs"]}).scalar_one()
        assert moved.startswith(f"{scratch.name}.dialogs_old_")
        assert conn.execute(sa.text(f"SELECT count(*) FROM {moved}")).scalar() == 5 == len(
            old["dialogs"])
    scratch.__exit__(None, None, None)
    with views.writer.connect() as conn:
        left = conn.execute(sa.text("SELECT count(*) FROM pg_class WHERE oid = ANY(:oids)"),
                            {"oids": list(before.values())}).scalar()
        assert left == 0
        assert live(conn, projection) == new


def test_every_projection_swaps_keeping_its_names_privileges_and_sequences(
        views: ViewsDatabase) -> None:
    projections = all_projections()
    tables = [table for projection in projections for table in projection.tables]
    names = {table.name for table in tables}
    with views.writer.connect() as conn:
        assert obstacles(conn, tables) == []
        catalogue_before = catalogue(conn)
        indexes_before = {(t.schema, t.name): sa.inspect(conn).get_indexes(t.name, t.schema)
                          for t in tables}
        assert drift(views, names) == []
    scratches = [rebuilt(views, projection, 0)[0] for projection in projections]
    with views.writer.begin() as conn:
        for scratch, projection in zip(scratches, projections, strict=True):
            assert obstacles(conn, projection.tables, scratch.name) == []
            swap_in(conn, scratch.name, projection.tables)
    for scratch in scratches:
        scratch.__exit__(None, None, None)
    with views.writer.begin() as conn:
        assert catalogue(conn) == catalogue_before
        assert {(t.schema, t.name): sa.inspect(conn).get_indexes(t.name, t.schema)
                for t in tables} == indexes_before
        assert drift(views, names) == []
        # a serial column's sequence now belongs to the new table: it outlived the old one
        assert conn.execute(sa.text(
            "SELECT pg_get_serial_sequence('read.routing_settings', 'id')")).scalar()
        conn.execute(sa.text(
            "INSERT INTO read.routing_settings (mode, idle_timeout_seconds, capacity, "
            "reopen_window_hours, updated_at) VALUES ('auto', 1, 1, 1, now())"))


def test_the_analyst_still_reads_a_swapped_analytics_table(views: ViewsDatabase, role: str,
                                                          postgres_url: str) -> None:
    projection = AnalyticsMessagesProjection()
    fill_live(views, projection, 3)
    scratch, _ = rebuilt(views, projection, 4)
    with views.writer.begin() as conn:
        swap_in(conn, scratch.name, projection.tables)
    scratch.__exit__(None, None, None)
    with views.writer.connect() as conn:
        assert conn.execute(sa.text(
            "SELECT has_table_privilege(:role, 'analytics.message_facts', 'SELECT'), "
            "has_table_privilege(:role, 'analytics.message_facts', 'DELETE')"),
            {"role": role}).one() == (True, False)
    with psycopg.connect(postgres_url, autocommit=True) as analyst:
        analyst.execute(f'SET ROLE "{role}"')
        assert analyst.execute("SELECT count(*) FROM analytics.message_facts").fetchone() == (4,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            analyst.execute("SELECT count(*) FROM read.analytics_message_dialogs")


def test_a_reader_in_a_transaction_keeps_the_old_table_and_the_swap_waits_for_it(
        views: ViewsDatabase) -> None:
    projection = InboxProjection()
    old = fill_live(views, projection, 5)
    scratch, new = rebuilt(views, projection, 7)
    with views.reader.connect() as reader:
        reader.begin()
        assert keys(reader, dialogs) == old["dialogs"]
        with pytest.raises(sa.exc.OperationalError, match="lock timeout"), \
                views.writer.begin() as conn:
            conn.execute(sa.text("SET LOCAL lock_timeout = '200ms'"))
            swap_in(conn, scratch.name, projection.tables)
        assert keys(reader, dialogs) == old["dialogs"]
        reader.rollback()
    with views.writer.begin() as conn:  # the reader gone, the same scratch swaps in
        swap_in(conn, scratch.name, projection.tables)
    with views.reader.connect() as reader:
        assert live(reader, projection) == new
    scratch.__exit__(None, None, None)


def test_a_rolled_back_swap_leaves_the_old_tables_in_place_with_their_rows(
        views: ViewsDatabase) -> None:
    projection = InboxProjection()
    old = fill_live(views, projection, 5)
    scratch, new = rebuilt(views, projection, 7)
    with views.writer.connect() as conn:
        before = catalogue(conn), {table.name: oid(conn, table) for table in projection.tables}
        conn.commit()
        swap_in(conn, scratch.name, projection.tables)
        assert live(conn, projection) == new
        conn.rollback()
        assert (catalogue(conn), {t.name: oid(conn, t) for t in projection.tables}) == before
        assert live(conn, projection) == old
    scratch.__exit__(None, None, None)


def test_a_reader_with_a_prepared_statement_reads_the_new_table_after_the_commit(
        views: ViewsDatabase, postgres_url: str) -> None:
    projection = InboxProjection()
    fill_live(views, projection, 5)
    scratch, _ = rebuilt(views, projection, 7)
    query = "SELECT count(*) FROM read.dialogs"
    with psycopg.connect(postgres_url, autocommit=True) as reader:
        assert reader.execute(query, prepare=True).fetchone() == (5,)
        with views.writer.begin() as conn:
            swap_in(conn, scratch.name, projection.tables)
        assert reader.execute(query, prepare=True).fetchone() == (7,)
    scratch.__exit__(None, None, None)


def test_comments_and_granted_privileges_of_the_live_table_carry_over(
        views: ViewsDatabase, role: str) -> None:
    projection = InboxProjection()
    scratch, new = rebuilt(views, projection, 1)  # made before the live table changed
    with views.writer.begin() as conn:
        conn.execute(sa.text("COMMENT ON TABLE read.dialogs IS 'one row per dialog'"))
        conn.execute(sa.text("COMMENT ON COLUMN read.dialogs.rule IS 'the rule''s {name}: 100%'"))
        conn.execute(sa.text(f'GRANT SELECT ON read.dialogs TO "{role}" WITH GRANT OPTION'))
        conn.execute(sa.text("REVOKE TRUNCATE ON read.dialogs FROM CURRENT_USER"))
        before = catalogue(conn)
    with views.writer.begin() as conn:
        swap_in(conn, scratch.name, projection.tables)
    scratch.__exit__(None, None, None)
    with views.writer.connect() as conn:
        assert catalogue(conn) == before
        assert conn.execute(sa.text(
            "SELECT obj_description('read.dialogs'::regclass, 'pg_class'), "
            "col_description('read.dialogs'::regclass, 6)")).one() == (
            "one row per dialog", "the rule's {name}: 100%")
        assert live(conn, projection) == new


def test_a_view_on_a_live_table_is_refused_before_anything_changes(
        views: ViewsDatabase) -> None:
    projection = InboxProjection()
    old = fill_live(views, projection, 2)
    scratch, _ = rebuilt(views, projection, 3)
    with views.writer.begin() as conn:
        conn.execute(sa.text("CREATE VIEW read.open_dialogs AS "
                             "SELECT id FROM read.dialogs WHERE status = 'open'"))
    with views.writer.begin() as conn:
        assert obstacles(conn, projection.tables) == [
            "read.dialogs: view read.open_dialogs reads it"]
        with pytest.raises(SwapRefused, match=r"view read\.open_dialogs reads it"):
            swap_in(conn, scratch.name, projection.tables)
        assert live(conn, projection) == old  # the transaction is still usable: copy instead
    scratch.__exit__(None, None, None)


def test_a_live_table_changed_after_the_scratch_was_made_is_refused(
        views: ViewsDatabase) -> None:
    projection = InboxProjection()
    scratch, _ = rebuilt(views, projection, 3)
    with views.writer.begin() as conn:
        conn.execute(sa.text("ALTER TABLE read.messages ADD COLUMN added_by_hand timestamptz"))
        conn.execute(sa.text("CREATE INDEX ix_dialogs_phone ON read.dialogs (phone)"))
    with views.writer.begin() as conn:
        assert obstacles(conn, projection.tables, scratch.name) == [
            "read.dialogs: indexes differ from the rebuilt table's",
            "read.messages: columns differ from the rebuilt table's"]
        with pytest.raises(SwapRefused):
            swap_in(conn, scratch.name, projection.tables)
    scratch.__exit__(None, None, None)


def test_an_unlogged_rebuilt_table_is_refused_until_it_is_prepared(
        views: ViewsDatabase) -> None:
    projection = InboxProjection()
    scratch, new = rebuilt(views, projection, 3)
    with views.writer.begin() as conn:
        conn.execute(sa.text(f'ALTER TABLE "{scratch.name}".dialogs SET UNLOGGED'))
    with views.writer.begin() as conn:
        assert obstacles(conn, projection.tables, scratch.name) == [
            "read.dialogs: persistence logged, rebuilt UNLOGGED"]
        prepare(conn, scratch.name, projection.tables)
    with views.writer.begin() as conn:
        swap_in(conn, scratch.name, projection.tables)
        assert conn.execute(sa.text(  # logged, and analysed: the planner knows its rows
            "SELECT relpersistence, reltuples FROM pg_class WHERE oid = 'read.dialogs'::regclass")
        ).one() == ("p", 3)
        assert live(conn, projection) == new
    scratch.__exit__(None, None, None)
