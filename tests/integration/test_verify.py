"""Every read model can be verified against a rebuild from history, and rebuilt aside and switched
while it keeps serving."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa

from infra.bootstrap import Container
from infra.projection.verify import (
    balanced,
    rebuild_aside,
    rebuild_in_processes,
    verify,
    verify_together,
)
from projections.inbox import dialogs, messages
from projections.rows import Kept
from tests.conftest import caught_up, wait_for
from tests.integration.test_projections import ingest, snapshot


def runner_named(container: Container, name: str):  # type: ignore[no-untyped-def]
    return next(r for r in container.projector.runners if r.name == name)


def test_every_projection_verifies_against_a_rebuild(container: Container) -> None:
    ingest(container, 150, clients=9)
    wait_for(lambda: caught_up(container))
    for runner in container.projector.runners:
        result = verify(container.store, container.views, runner)
        assert result.ok, (runner.name, result.differences)
        assert result.position == runner.status().position


def test_verify_reports_a_row_that_history_does_not_explain(container: Container) -> None:
    ingest(container, 20)
    wait_for(lambda: caught_up(container))
    container.projector.stop()
    with container.views.writer.begin() as conn:
        conn.execute(dialogs.update().values(client_name="Tampered"))
    result = verify(container.store, container.views, runner_named(container, "inbox"))
    assert not result.ok
    difference = next(d for d in result.differences if d.table == "dialogs")
    assert any("Tampered" in row for row in difference.only_live)
    assert all("Tampered" not in row for row in difference.only_rebuilt)


def test_all_projections_verify_together_and_only_the_tampered_one_differs(
        container: Container) -> None:
    ingest(container, 40, clients=5)
    wait_for(lambda: caught_up(container))
    container.projector.stop()
    with container.views.writer.begin() as conn:
        conn.execute(dialogs.update().values(client_name="Tampered"))
    runners = container.projector.runners
    results = verify_together(container.store, container.views, runners)
    assert [r.projection for r in results] == [r.name for r in runners]
    assert [r.projection for r in results if not r.ok] == ["inbox"]
    assert all(r.position == runner.status().position
               for r, runner in zip(results, runners, strict=True))


def test_rebuilding_aside_restores_the_rows_and_moves_the_position(container: Container) -> None:
    ingest(container, 60, clients=5)
    wait_for(lambda: caught_up(container))
    container.projector.stop()
    runner = runner_named(container, "inbox")
    expected = snapshot(container, runner.projection)
    with container.views.writer.begin() as conn:
        conn.execute(messages.delete().where(messages.c.seq > 3))
    position = rebuild_aside(container.store, container.views, runner)
    assert position == runner.status().position == runner.status().head
    assert snapshot(container, runner.projection) == expected
    with container.views.reader.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(messages)).scalar() == 60


def test_every_projection_rebuilds_in_two_processes_to_the_same_rows(
        container: Container) -> None:
    ingest(container, 80, clients=6)
    wait_for(lambda: caught_up(container))
    container.projector.stop()
    runners = container.projector.runners
    expected = {r.name: snapshot(container, r.projection) for r in runners}
    with container.views.writer.begin() as conn:
        conn.execute(messages.delete().where(messages.c.seq > 2))
        conn.execute(dialogs.update().values(client_name="Tampered"))
    positions = rebuild_in_processes(container.settings, runners, 2)
    head = container.store.recorder.max_notification_id()
    assert positions == {r.name: head for r in runners}
    assert {r.name: snapshot(container, r.projection) for r in runners} == expected
    assert all(r.status().position == head for r in runners)


def test_the_projections_are_shared_out_by_the_events_each_reads() -> None:
    def runner(name: str, *topics: str) -> Any:
        return SimpleNamespace(name=name, topics=list(topics))

    heavy, middle = runner("heavy", "a", "b"), runner("middle", "c")
    light = [runner(f"light{i}", "d") for i in range(3)]
    weights = {"a": 600, "b": 400, "c": 500, "d": 100}
    groups = balanced([*light, middle, heavy], 2, weights)
    assert [[r.name for r in group] for group in groups] == [
        ["heavy"], ["middle", "light0", "light1", "light2"]]
    assert balanced([heavy], 4, weights) == [[heavy]]


def test_a_rebuild_whose_process_fails_says_so_instead_of_waiting(
        container: Container, tmp_path: Path) -> None:
    unreachable = container.settings.model_copy(update={
        "database_url": f"sqlite:///{tmp_path}/missing/dir/that/is/a/file.db"
        if container.settings.is_sqlite else
        "postgresql://postgres@127.0.0.1:5432/sb_no_such_database"})
    if unreachable.is_sqlite:
        (tmp_path / "missing").write_text("not a folder")
    with pytest.raises(RuntimeError, match="rebuilding failed"):
        rebuild_in_processes(unreachable, container.projector.runners, 2)


def _dialogs_table_oid(container: Container) -> int:
    with container.views.reader.connect() as conn:
        return int(conn.execute(sa.text("SELECT 'read.dialogs'::regclass::oid")).scalar_one())


def _inbox_of_four_dialogs(container: Container) -> tuple[Any, Any]:
    """The inbox's runner, stopped, and its rows, on PostgreSQL (SQLite copies the rows: it
    has no schemas to swap tables between)."""
    if container.settings.is_sqlite:
        pytest.skip("SQLite copies the rows: it has no schemas to swap between")
    ingest(container, 30, clients=4)
    wait_for(lambda: caught_up(container))
    container.projector.stop()
    runner = runner_named(container, "inbox")
    return runner, snapshot(container, runner.projection)


def test_a_rebuild_on_postgresql_swaps_the_tables_in_instead_of_copying_rows(
        container: Container) -> None:
    runner, expected = _inbox_of_four_dialogs(container)
    before = _dialogs_table_oid(container)
    rebuild_aside(container.store, container.views, runner)
    assert _dialogs_table_oid(container) != before
    assert snapshot(container, runner.projection) == expected


def test_a_reader_holding_the_tables_through_the_switch_gets_the_rows_copied_instead(
        container: Container) -> None:
    runner, expected = _inbox_of_four_dialogs(container)
    with container.views.writer.begin() as conn:
        conn.execute(dialogs.update().values(client_name="Tampered"))
    before = _dialogs_table_oid(container)
    reader = container.views.reader.connect()
    try:
        reader.begin()
        count = sa.select(sa.func.count()).select_from(dialogs)
        held = reader.execute(count).scalar()  # the table held until the reader's transaction ends
        rebuild_aside(container.store, container.views, runner)
        assert reader.execute(count).scalar() == held == 4
    finally:
        reader.close()
    assert _dialogs_table_oid(container) == before
    assert snapshot(container, runner.projection) == expected


def test_a_build_that_outgrows_the_rows_it_may_keep_reads_them_back_and_still_verifies(
        container: Container, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Kept, "LIMIT", 3)  # forgotten every few rows: read back from the table
    ingest(container, 60, clients=6)
    wait_for(lambda: caught_up(container))
    forgotten: list[int] = []
    original = Kept.forget
    monkeypatch.setattr(Kept, "forget", lambda kept: (forgotten.append(1), original(kept)))
    results = verify_together(container.store, container.views, container.projector.runners)
    assert forgotten
    assert [r.projection for r in results if not r.ok] == []
