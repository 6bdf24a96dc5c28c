"""Every read model can be verified against a rebuild from history, and rebuilt aside and switched
while it keeps serving."""

from __future__ import annotations

import sqlalchemy as sa

from infra.bootstrap import Container
from infra.verify import rebuild_aside, verify
from projections.inbox import dialogs, messages
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
