"""The analysts' PostgreSQL role: created by `migrate`, it reads the analytics schema (today's
tables and tomorrow's) and nothing in the event store or the other read models; it logs in only
when a password was configured; migrating databases of one cluster at once is fine (the role is
cluster-wide)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import errors

from infra.eventstore import EVENTS_SCHEMA, open_event_store
from infra.migrations import migrate
from projections.analytics.queries import TABLES
from tests.conftest import PG, ROOT, cli_env, cli_process, fresh_postgres_database, make_settings

pytestmark = pytest.mark.postgres


@pytest.fixture
def role() -> Iterator[str]:
    """A role of this test's own (roles are cluster-wide), dropped once the test's databases
    are (tests take it before their database, so it is torn down after)."""
    name = f"sb_analyst_{uuid.uuid4().hex[:8]}"
    yield name
    with psycopg.connect(**PG, autocommit=True) as conn:
        conn.execute(f'DROP ROLE IF EXISTS "{name}"')


def as_role(url: str, role: str) -> psycopg.Connection:
    conn = psycopg.connect(url, autocommit=True)
    conn.execute(f'SET ROLE "{role}"')
    return conn


def test_the_analyst_reads_analytics_and_nothing_else(role: str, postgres_url: str) -> None:
    settings = make_settings(postgres_url, analyst_role=role)
    open_event_store(settings).close()
    migrate(settings)
    with as_role(postgres_url, role) as conn:
        for table in TABLES:
            assert conn.execute(f"SELECT count(*) FROM analytics.{table}").fetchone() == (0,)
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute("SELECT count(*) FROM read.operators")
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute("SELECT count(*) FROM read.analytics_load_dialogs")
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute(f"SELECT count(*) FROM {EVENTS_SCHEMA}.switchboard_events")
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute("DELETE FROM analytics.delivery")
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute("CREATE TABLE analytics.mine (x int)")
    with psycopg.connect(postgres_url, autocommit=True) as owner:  # a later migration's table
        owner.execute("CREATE TABLE analytics.later (x int)")
    with as_role(postgres_url, role) as conn:
        assert conn.execute("SELECT count(*) FROM analytics.later").fetchone() == (0,)


def test_the_role_logs_in_only_with_a_configured_password(role: str,
                                                          postgres_url: str) -> None:
    migrate(make_settings(postgres_url, analyst_role=role))
    dbname = postgres_url.rsplit("/", 1)[1]
    with pytest.raises(psycopg.OperationalError, match="not permitted to log in"):
        psycopg.connect(host=PG["host"], port=PG["port"], user=role, dbname=dbname,
                        password="x", connect_timeout=5).close()
    migrate(make_settings(postgres_url, analyst_role=role, analyst_password="it's-secret"),
            revision="0006")  # already there: nothing to do, the role unchanged
    with pytest.raises(psycopg.OperationalError, match="not permitted to log in"):
        psycopg.connect(host=PG["host"], port=PG["port"], user=role, dbname=dbname,
                        password="it's-secret", connect_timeout=5).close()
    with fresh_postgres_database() as other:  # a new database, migrated with the password
        migrate(make_settings(other, analyst_role=role, analyst_password="it's-secret"))
        with psycopg.connect(host=PG["host"], port=PG["port"], user=role,
                             dbname=other.rsplit("/", 1)[1], password="it's-secret",
                             connect_timeout=5) as conn:
            assert conn.execute("SELECT count(*) FROM analytics.message_facts").fetchone() == (0,)
            with pytest.raises(errors.InsufficientPrivilege):
                conn.execute("SELECT 1 FROM read.dialogs")


def test_databases_of_one_cluster_migrate_at_once(role: str) -> None:
    """Two processes migrate two databases at the same moment: both create the role's grants
    (one of them creates the role), neither fails."""
    with fresh_postgres_database() as first, fresh_postgres_database() as second:
        processes = [cli_process("migrate", env=cli_env(url, SWITCHBOARD_ANALYST_ROLE=role))
                     for url in (first, second)]
        for process in processes:
            output, _ = process.communicate(timeout=120)
            assert process.returncode == 0, output
        for url in (first, second):
            with as_role(url, role) as conn:
                assert conn.execute("SELECT count(*) FROM analytics.delivery").fetchone() == (0,)


def test_the_documented_sample_queries_run_as_the_analyst(role: str, postgres_url: str) -> None:
    text = (ROOT / "docs" / "analytics.md").read_text(encoding="utf-8")
    queries = [q for q in re.findall(r"```sql\n(.*?)```", text, re.S) if "ALTER ROLE" not in q]
    assert len(queries) == len(TABLES)  # one sample query per table
    migrate(make_settings(postgres_url, analyst_role=role))
    with as_role(postgres_url, role) as conn:
        for query in queries:
            conn.execute(query)
