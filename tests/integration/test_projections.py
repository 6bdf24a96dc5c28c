"""The projection runtime on both backends: exact after a failure mid-batch, rebuildable to the
same rows, reporting its lag, and held by one runner at a time."""

from __future__ import annotations

import signal
import threading
import time
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from application import commands as c
from domain.operators import Role
from infra.bootstrap import Container, all_projections
from infra.projection.projector import WINDOW, ProjectionRunner, Projector, RunnerLock
from projections.analytics.messages import AnalyticsMessagesProjection
from projections.base import Projection
from projections.inbox import InboxProjection, dialog_recipients, dialogs, messages
from projections.operators import OperatorsProjection, operators
from tests.conftest import (
    caught_up,
    cli,
    cli_env,
    cli_process,
    make_settings,
    running_container,
    wait_for,
)


def ingest(container: Container, n: int, *, clients: int = 7, prefix: str = "m") -> None:
    futures = [container.writer.submit(c.ReceiveClientMessage(
        channel="simulator", external_id=f"{prefix}{i}", phone=f"+7916{i % clients:07d}",
        name=f"Client {i % clients}", text=f"message {i}", sent_at=datetime.now(UTC)))
        for i in range(n)]
    for future in futures:
        future.result(timeout=60)


def snapshot(container: Container, projection: Projection) -> dict[str, list[tuple[Any, ...]]]:
    with container.views.reader.connect() as conn:
        return {
            table.name: sorted(tuple(str(v) for v in row) for row in conn.execute(
                sa.select(table)))
            for table in projection.tables
        }


class FailingOnce(InboxProjection):
    """Raises in the middle of its first batch, after having written part of it."""

    def __init__(self, after: int) -> None:
        self.after = after
        self.failed = False

    def apply_batch(self, conn: Any, events: Any, changes: Any) -> None:
        if self.failed:
            super().apply_batch(conn, events, changes)
            return
        self.failed = True
        super().apply_batch(conn, events[: self.after], changes)
        raise RuntimeError("crash in the middle of a batch")


def test_a_failure_mid_batch_leaves_neither_a_half_batch_nor_a_gap(database_url: str) -> None:
    settings = make_settings(database_url)
    with running_container(settings, projections=False) as container:
        ingest(container, 120)
        runner = ProjectionRunner(container.store, container.views, FailingOnce(after=40),
                                  batch_size=100, postgres=settings.is_postgres)
        with pytest.raises(RuntimeError):
            runner.run_batch()
        assert runner.status().position == 0
        assert snapshot(container, InboxProjection())["messages"] == []
        runner.run_until_caught_up()
        rows = snapshot(container, InboxProjection())
        assert len(rows["messages"]) == 120
        fresh = ProjectionRunner(container.store, container.views, InboxProjection(),
                                 batch_size=7, postgres=settings.is_postgres)
        fresh.reset()
        fresh.run_until_caught_up()
        assert snapshot(container, InboxProjection()) == rows


def test_every_projection_rebuilds_to_the_same_rows(container: Container) -> None:
    ingest(container, 200)
    wait_for(lambda: caught_up(container))
    container.projector.stop()
    for projection in all_projections():
        runner = next(r for r in container.projector.runners if r.name == projection.name)
        before = snapshot(container, projection)
        runner.reset()
        assert runner.status().position == 0
        runner.run_until_caught_up()
        assert snapshot(container, projection) == before, projection.name


def test_a_projection_whose_events_lie_far_apart_reads_the_log_window_by_window(
    database_url: str,
) -> None:
    """Batches of one read at most WINDOW events of the log each; between the first admin and
    the next operator lie far more events than that (clients' messages): the operators
    projection still reaches the later operator, and the head."""
    settings = make_settings(database_url)
    with running_container(settings, projections=False) as container:
        ingest(container, 30, clients=30)
        container.writer.execute_sync(c.RegisterOperator(
            login="late", display_name="Late", role=Role.OPERATOR, password_hash="h",
            actor="test"))
        head = container.store.recorder.max_notification_id() or 0
        runner = ProjectionRunner(container.store, container.views, OperatorsProjection(),
                                  batch_size=1, postgres=settings.is_postgres)
        runner.reset()
        assert head > 10 * WINDOW
        assert runner.run_until_caught_up() == head
        assert runner.status().position == head
        with container.views.reader.connect() as conn:
            logins = set(conn.execute(sa.select(operators.c.login)).scalars())
        assert "late" in logins


class HeldAnalytics(AnalyticsMessagesProjection):
    """An analysts' projection that takes as long as the test wants."""

    def __init__(self) -> None:
        super().__init__()
        self.go = threading.Event()

    def apply_batch(self, conn: Any, events: Any, changes: Any) -> None:
        if events:
            self.go.wait(timeout=30)
        super().apply_batch(conn, events, changes)


def test_a_message_reaches_the_inbox_without_waiting_for_the_analysts_tables(
    database_url: str,
) -> None:
    settings = make_settings(database_url)
    with running_container(settings, projections=False) as container:
        held = HeldAnalytics()
        projector = Projector(settings, container.store, container.views,
                              [InboxProjection(), held])
        ingest(container, 1)  # before the projector starts: both see it in their first batch
        projector.start()
        try:
            wait_for(lambda: inbox_totals(container)[0] == 1)
            analytics = next(r for r in projector.runners if r.name == held.name)
            assert analytics.status().lag > 0
            held.go.set()
            wait_for(lambda: analytics.status().lag == 0)
        finally:
            held.go.set()
            projector.stop()


class CountingBatches(AnalyticsMessagesProjection):
    """Notes the size of every batch it is given."""

    def __init__(self) -> None:
        super().__init__()
        self.sizes: list[int] = []

    def apply_batch(self, conn: Any, events: Any, changes: Any) -> None:
        self.sizes.append(len(events))
        super().apply_batch(conn, events, changes)


def test_far_behind_projections_catch_up_in_large_batches_unless_a_live_one_waits_behind(
    database_url: str,
) -> None:
    settings = make_settings(database_url, projection_batch_size=4,
                             projection_catchup_batch_size=40)
    with running_container(settings, projections=False) as container:
        ingest(container, 60)  # each message at least two events the analytics read
        counted = CountingBatches()
        projector = Projector(settings, container.store, container.views,
                              [InboxProjection(), counted])
        projector._catch_up(projector.runners)  # both far behind: nobody waits on either
        assert counted.sizes[0] == 40

        live, background = projector.runners
        live.run_until_caught_up()
        background.reset()
        counted.sizes.clear()
        projector._catch_up(projector.runners)  # the inbox is live: a message would wait
        assert counted.sizes and max(counted.sizes) <= 4


def test_lag_is_the_distance_to_the_head_of_the_log(database_url: str) -> None:
    with running_container(make_settings(database_url), projections=False) as container:
        runner = container.projector.runners[-1]
        before = runner.status()
        ingest(container, 10)
        after = runner.status()
        assert after.head > before.head
        assert after.lag == after.head - after.position > 0
        runner.run_until_caught_up()
        assert runner.status().lag == 0


def test_only_one_process_holds_a_projection_at_a_time(database_url: str) -> None:
    settings = make_settings(database_url)
    first, second = RunnerLock(settings, "inbox"), RunnerLock(settings, "inbox")
    try:
        assert first.try_acquire()
        assert not second.try_acquire()
        first.release()
        assert second.try_acquire()
    finally:
        first.release()
        second.release()


def inbox_totals(container: Container) -> tuple[int, int, int]:
    with container.views.reader.connect() as conn:
        return (
            conn.execute(sa.select(sa.func.count()).select_from(messages)).scalar_one(),
            conn.execute(sa.select(sa.func.sum(dialogs.c.message_count))).scalar() or 0,
            conn.execute(sa.select(sa.func.sum(dialog_recipients.c.unread))).scalar() or 0,
        )


def test_a_projection_process_killed_mid_batch_resumes_exactly(database_url: str) -> None:
    settings = make_settings(database_url)
    env = cli_env(database_url, SWITCHBOARD_PROJECTION_BATCH_SIZE="13")
    with running_container(settings, projections=False) as container:
        ingest(container, 1500, clients=50)
        head = container.store.recorder.max_notification_id()
        for _ in range(3):  # kill it three times, somewhere in the middle
            worker = cli_process("projections", "run", env=env)
            inbox = next(r for r in container.projector.runners if r.name == "inbox")
            wait_for(lambda r=inbox: r.status().position > 0, timeout=30)
            time.sleep(0.15)
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=10)
            if inbox.status().position >= head:
                break
        worker = cli_process("projections", "run", env=env)
        try:
            wait_for(lambda: caught_up(container), timeout=60)
        finally:
            worker.terminate()
            worker.wait(timeout=10)
        assert inbox_totals(container) == (1500, 1500, 1500)


@pytest.mark.postgres
def test_a_standby_projection_worker_takes_over_when_the_holder_dies(postgres_url: str) -> None:
    settings = make_settings(postgres_url)
    env = cli_env(postgres_url)
    with running_container(settings, projections=False) as container:
        assert cli("migrate", env=env).returncode == 0
        holder = cli_process("projections", "run", env=env)
        wait_for(lambda: container.projector.runners[0].status().position > 0, timeout=30)
        standby = cli_process("projections", "run", env=env)
        try:
            ingest(container, 50, prefix="a")
            wait_for(lambda: caught_up(container), timeout=30)
            holders = lock_holders(settings)
            assert len(holders) == 1 and holders != {standby.pid}
            holder.send_signal(signal.SIGKILL)
            holder.wait(timeout=10)
            ingest(container, 50, prefix="b")
            wait_for(lambda: caught_up(container), timeout=30)
            assert inbox_totals(container)[0] == 100
            assert lock_holders(settings) == {standby.pid}
        finally:
            for process in (holder, standby):
                process.kill()
                process.wait(timeout=10)


def lock_holders(settings: Any) -> set[int]:
    """The client processes holding projection advisory locks (by application_name)."""
    import psycopg

    from infra.eventstore import postgres_conninfo

    with psycopg.connect(**postgres_conninfo(settings)) as conn:
        names = conn.execute(
            "SELECT DISTINCT a.application_name FROM pg_locks l "
            "JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.database = "
            "(SELECT oid FROM pg_database WHERE datname = current_database())").fetchall()
    return {int(name.rsplit(":", 1)[1]) for (name,) in names if name.startswith("sb-projector:")}


class OneByOne(InboxProjection):
    """The inbox folding each event as a batch of its own."""

    def apply_batch(self, conn: Any, events: Any, changes: Any) -> None:
        for event in events:
            super().apply_batch(conn, [event], changes)


def test_the_bulk_path_writes_the_same_rows_as_one_event_at_a_time(database_url: str) -> None:
    settings = make_settings(database_url)
    with running_container(settings, projections=False) as container:
        ingest(container, 300, clients=11)
        bulk = ProjectionRunner(container.store, container.views, InboxProjection(),
                                batch_size=500, postgres=settings.is_postgres)
        bulk.run_until_caught_up()
        rows = snapshot(container, InboxProjection())
        single = ProjectionRunner(container.store, container.views, OneByOne(),
                                  batch_size=500, postgres=settings.is_postgres)
        single.reset()
        single.run_until_caught_up()
        assert snapshot(container, InboxProjection()) == rows
        assert len(rows["messages"]) == 300


def test_projections_at_different_positions_converge_when_run_together(
    database_url: str,
) -> None:
    from infra.projection.projector import run_together

    settings = make_settings(database_url)
    with running_container(settings, projections=False) as container:
        ingest(container, 80, clients=6)
        runners = container.projector.runners
        while run_together(runners):
            pass
        inbox = next(r for r in runners if r.name == "inbox")
        expected = snapshot(container, inbox.projection)
        inbox.reset()
        ingest(container, 20, clients=6, prefix="late")
        moved = [run_together(runners) for _ in range(1000)]
        assert moved[-1] == 0
        head = container.store.recorder.max_notification_id()
        assert {r.status().position for r in runners} == {head}
        rows = snapshot(container, inbox.projection)
        assert len(rows["messages"]) == 100
        assert set(expected["messages"]) <= set(rows["messages"])


def test_a_failing_projection_holds_back_only_itself(database_url: str) -> None:
    settings = make_settings(database_url)
    with running_container(settings, projections=False) as container:
        ingest(container, 30)
        projector = container.projector
        broken = next(r for r in projector.runners if r.name == "inbox")

        def always_fail(conn: Any, events: Any, changes: Any) -> None:
            raise RuntimeError("broken projection")

        broken.projection.apply_batch = always_fail  # type: ignore[method-assign]
        projector._catch_up(projector.runners)
        head = container.store.recorder.max_notification_id()
        positions = {r.name: r.status().position for r in projector.runners}
        assert positions.pop("inbox") == 0
        assert set(positions.values()) == {head}
