"""Outgoing messages on both backends: queued, claimed, sent once; the claim race; a crash between
claim and send; the gateway down then up; statuses out of order and twice; the schedule changed at
runtime in every replica; two replicas against one PostgreSQL. The job runs by hand on the test's
clock unless a test is about the scheduler itself."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
import sqlalchemy as sa
from apscheduler.triggers.cron import CronTrigger

from application import commands as c
from application import outbox as ob
from application.ports import Clock, DeliveryReport
from domain.ids import operator_id
from domain.outbox import OutgoingMessage
from infra.bootstrap import Container, bootstrap, ensure_first_admin
from infra.clock import SystemClock
from infra.migrations import migrate
from infra.security import Argon2PasswordHasher
from projections import outbox as outbox_view
from projections.inbox import messages
from tests.conftest import PRODUCTION, caught_up, make_settings, wait_for
from tests.fakes.gateway import CountingGateway
from tests.unit.routing_desk import FakeClock

ADMIN = operator_id("admin")


@contextlib.contextmanager
def installation(database_url: str, *, clock: Clock | None = None,
                 gateway: CountingGateway | None = None, projections: bool = True,
                 **overrides: Any) -> Iterator[Container]:
    """A container whose sync job the test runs by hand (unless `run_sync_job=True`)."""
    values: dict[str, Any] = {"run_routing_jobs": False, "run_sync_job": False,
                              "outbox_max_attempts": 3, "outbox_retry_first_seconds": 2,
                              "outbox_lease_seconds": 60}
    values.update(overrides)
    settings = make_settings(database_url, **values)
    migrate(settings)
    container = bootstrap(settings, hasher=Argon2PasswordHasher(fast=True),
                          clock=clock or FakeClock(datetime.now(UTC)),
                          gateway=gateway or CountingGateway())
    container.start(projections=projections)
    try:
        ensure_first_admin(container)
        yield container
    finally:
        container.stop()


def gateway_of(container: Container) -> CountingGateway:
    gateway = container.whatsapp.gateway
    assert isinstance(gateway, CountingGateway)
    return gateway


def client_writes(container: Container, phone: str = "+79161234567", text: str = "Hello") -> UUID:
    received = container.writer.execute_sync(c.ReceiveClientMessage(
        channel="simulator", external_id=f"in-{uuid.uuid4().hex}", phone=phone, name="Ivan",
        text=text, sent_at=container.clock.now()))
    assert received.dialog_id is not None
    return UUID(str(received.dialog_id))


def reply(container: Container, dialog_id: UUID, text: str = "Good morning",
          key: str | None = None) -> UUID:
    queued: ob.Queued = container.writer.execute_sync(ob.SendMessage(
        dialog_id=dialog_id, operator_id=ADMIN, text=text, key=key or uuid.uuid4().hex,
        at=container.clock.now(), actor="operator:admin"))
    return queued.message_id


def run_job(container: Container) -> Any:
    wait_for(lambda: caught_up(container))
    report = container.sync.run()
    wait_for(lambda: caught_up(container))
    return report


def row(container: Container, message_id: UUID) -> Any:
    with container.views.reader.connect() as conn:
        return outbox_view.outgoing_message(conn, message_id)


def bubble(container: Container, message_id: UUID) -> Any:
    with container.views.reader.connect() as conn:
        return conn.execute(sa.select(messages).where(messages.c.id == message_id)).one()


def event_names(container: Container, message_id: UUID) -> list[str]:
    return [e.topic.rsplit(".", 1)[-1]
            for e in container.store.recorder.select_events(message_id)]


def report(container: Container, *reports: DeliveryReport) -> None:
    asyncio.run(container.whatsapp.delivery_reports.report(list(reports)))


def status(external_id: str, value: str, **extra: Any) -> DeliveryReport:
    return DeliveryReport(channel="simulator", external_id=external_id, status=value,
                          at=datetime.now(UTC), **extra)


# -- the path of a reply ---------------------------------------------------------------------
def test_a_reply_is_queued_at_once_then_sent_once_and_shows_in_the_dialog(
        database_url: str) -> None:
    with installation(database_url) as container:
        dialog_id = client_writes(container)
        key = uuid.uuid4().hex
        message_id = reply(container, dialog_id, "Good morning, Ivan", key=key)
        assert reply(container, dialog_id, "Good morning, Ivan", key=key) == message_id
        wait_for(lambda: caught_up(container))
        assert bubble(container, message_id).status == "queued"
        done = run_job(container)
        assert (done.claimed, done.sent) == (1, 1)
        gateway = gateway_of(container)
        assert gateway.texts == [("+79161234567", "Good morning, Ivan")]
        assert row(container, message_id).status == "sent"
        shown = bubble(container, message_id)
        assert (shown.direction, shown.status, shown.seq) == ("out", "sent", 2)
        client_writes(container, text="Thanks")
        wait_for(lambda: caught_up(container))
        with container.views.reader.connect() as conn:
            seqs = conn.execute(sa.select(messages.c.direction, messages.c.seq).where(
                messages.c.dialog_id == dialog_id).order_by(messages.c.seq)).all()
        assert [tuple(r) for r in seqs] == [("in", 1), ("out", 2), ("in", 3)]
        assert run_job(container).claimed == 0


def test_send_now_right_after_a_reply_is_queued_sends_it_though_the_read_model_lags(
        database_url: str) -> None:
    with installation(database_url) as container:
        dialog_id = client_writes(container)
        wait_for(lambda: caught_up(container))
        container.projector.stop()  # the outbox read model does not have the reply yet
        reply(container, dialog_id, "Sent at once")
        running = container.sync.run_now()
        container.projector.start()
        report = running.result(timeout=30)
        assert report is not None and (report.claimed, report.sent) == (1, 1)
        assert gateway_of(container).texts == [("+79161234567", "Sent at once")]


# -- the claim race ------------------------------------------------------------------------------
def test_two_workers_claiming_the_same_message_exactly_one_gets_it(database_url: str) -> None:
    gateway = CountingGateway()
    with installation(database_url, gateway=gateway) as one, \
            installation(database_url, gateway=gateway, projections=False) as two:
        dialog_id = client_writes(one)
        ids = [reply(one, dialog_id, f"Answer {i}") for i in range(12)]
        wait_for(lambda: caught_up(one))
        won: list[tuple[str, UUID]] = []
        for message_id in ids:
            start = threading.Barrier(2)

            def claim(container: Container, worker: str, mid: UUID = message_id,
                      start: threading.Barrier = start) -> None:
                start.wait()
                batch = container.writer.execute_sync(ob.ClaimOutgoing(
                    message_ids=(mid,), worker=worker, now=one.clock.now(), lease_seconds=60,
                    idempotent=True))
                won.extend((worker, claim.message_id) for claim in batch.claims)

            threads = [threading.Thread(target=claim, args=(one, "one")),
                       threading.Thread(target=claim, args=(two, "two"))]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        assert sorted(mid for _, mid in won) == sorted(ids)  # each once, by one worker


def test_two_senders_racing_without_the_lock_still_send_each_message_once(
        database_url: str) -> None:
    gateway = CountingGateway(latency=0.05)  # both are still at work when the other claims
    with installation(database_url, gateway=gateway, outbox_claim_batch=5) as one, \
            installation(database_url, gateway=gateway, projections=False,
                         outbox_claim_batch=5) as two:
        ids = [reply(one, client_writes(one, f"+7916000{i:04d}"), f"Hi {i}")
               for i in range(30)]
        wait_for(lambda: caught_up(one))
        start = threading.Barrier(2)

        def drain(container: Container) -> None:
            start.wait()
            deadline = time.monotonic() + 30
            while sum(gateway.sends.values()) < 30 and time.monotonic() < deadline:
                container.sync.sender.run_once()  # the senders, not the job: no lock

        threads = [threading.Thread(target=drain, args=(x,)) for x in (one, two)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wait_for(lambda: caught_up(one))
        # raw calls, one per message: the fake itself merges a repeat under the same key
        assert gateway.repeated_calls == {} and len(gateway.calls) == 30
        assert {row(one, mid).status for mid in ids} == {"sent"}


# -- a crash between claim and send ------------------------------------------------------------
@pytest.mark.parametrize("went_out", [False, True], ids=["before-the-call", "after-the-call"])
def test_a_claim_interrupted_by_a_crash_is_recovered_without_a_double_send(
        database_url: str, went_out: bool) -> None:
    clock = FakeClock(datetime.now(UTC))
    with installation(database_url, clock=clock) as container:
        gateway = gateway_of(container)
        message_id = reply(container, client_writes(container))
        wait_for(lambda: caught_up(container))
        batch = container.writer.execute_sync(ob.ClaimOutgoing(
            message_ids=(message_id,), worker="crashed", now=clock.now(), lease_seconds=60,
            idempotent=True))
        (claim,) = batch.claims
        if went_out:  # the gateway sent it, then the worker died before recording it
            gateway.send_text(claim.to, claim.text, claim.key)
        assert run_job(container).claimed == 0  # within the lease: nobody touches it
        clock.advance(61)
        done = run_job(container)
        assert (done.claimed, done.sent) == (1, 1)
        assert gateway.sends[claim.key] == 1
        assert row(container, message_id).status == "sent"
        assert event_names(container, message_id) == [
            "Queued", "Claimed", "Claimed", "Sent"]


def test_without_idempotency_keys_an_interrupted_claim_fails_as_uncertain_never_twice(
        database_url: str) -> None:
    clock = FakeClock(datetime.now(UTC))
    gateway = CountingGateway(idempotent=False)
    with installation(database_url, clock=clock, gateway=gateway) as container:
        message_id = reply(container, client_writes(container))
        wait_for(lambda: caught_up(container))
        (claim,) = container.writer.execute_sync(ob.ClaimOutgoing(
            message_ids=(message_id,), worker="crashed", now=clock.now(), lease_seconds=60,
            idempotent=False)).claims
        gateway.send_text(claim.to, claim.text, claim.key)
        clock.advance(61)
        done = run_job(container)
        assert (done.uncertain, done.sent) == (1, 0)
        assert sum(gateway.sends.values()) == 1
        shown = row(container, message_id)
        assert (shown.status, shown.failure_code) == ("failed", "DELIVERY_UNCERTAIN")
        container.writer.execute_sync(ob.RetryMessage(  # the operator decides to send again
            message_id=message_id, operator_id=ADMIN, at=clock.now(), actor="operator:admin"))
        assert run_job(container).sent == 1


# -- the gateway down, then up ---------------------------------------------------------------------
def test_a_gateway_that_is_down_is_retried_with_backoff_then_failed_then_retried_by_hand(
        database_url: str) -> None:
    clock = FakeClock(datetime.now(UTC))
    with installation(database_url, clock=clock) as container:
        gateway = gateway_of(container)
        gateway.fail_with("NOT_CONNECTED", "The simulated WhatsApp is not connected.")
        message_id = reply(container, client_writes(container))
        queued_at = clock.now()
        assert run_job(container).retrying == 1
        assert row(container, message_id).wake_at.replace(tzinfo=UTC) == \
            queued_at + timedelta(seconds=2)
        assert run_job(container).claimed == 0  # not due yet
        clock.advance(2)
        assert run_job(container).retrying == 1
        clock.advance(3.9)
        assert run_job(container).claimed == 0  # the second wait is 4 s
        clock.advance(0.1)
        assert run_job(container).failed == 1
        assert len(gateway.calls) == 3
        failed = bubble(container, message_id)
        assert (failed.status, failed.failure_code) == ("failed", "NOT_CONNECTED")
        assert "gave up after 3 attempts" in failed.failure_reason
        gateway.recover()
        clock.advance(600)
        assert run_job(container).claimed == 0  # failed stays failed until someone retries
        container.writer.execute_sync(ob.RetryMessage(
            message_id=message_id, operator_id=ADMIN, at=clock.now(), actor="operator:admin"))
        assert run_job(container).sent == 1
        assert len(gateway.calls) == 4 and sum(gateway.sends.values()) == 1
        assert bubble(container, message_id).status == "sent"


def test_a_refusal_for_the_24_hour_rule_fails_at_once_as_a_status_or_an_http_400(
        database_url: str) -> None:
    with installation(database_url) as container:
        gateway = gateway_of(container)
        dialog_id = client_writes(container)
        first = reply(container, dialog_id, "Sent, then failed by WhatsApp")
        run_job(container)
        report(container, status(row(container, first).external_id, "failed",
                                 error_code="131047", error="OUTSIDE_REPLY_WINDOW"))
        gateway.fail_with("OUTSIDE_REPLY_WINDOW", "24 hours", retryable=False)
        second = reply(container, dialog_id, "Refused by the API at once")
        assert run_job(container).failed == 1
        wait_for(lambda: caught_up(container))
        for message_id in (first, second):
            shown = bubble(container, message_id)
            assert (shown.status, shown.failure_code) == ("failed", "OUTSIDE_REPLY_WINDOW")
            assert "24 hours" in shown.failure_reason


# -- statuses out of order and twice ---------------------------------------------------------------
def test_statuses_out_of_order_and_repeated_only_ever_move_forwards(database_url: str) -> None:
    with installation(database_url) as container:
        message_id = reply(container, client_writes(container))
        run_job(container)
        external_id = row(container, message_id).external_id
        report(container, status(external_id, "read"), status(external_id, "delivered"))
        report(container, status(external_id, "read"), status(external_id, "sent"))
        report(container, status(external_id, "failed", error="late"))
        wait_for(lambda: caught_up(container))
        assert bubble(container, message_id).status == "read"
        shown = row(container, message_id)
        assert shown.read_at is not None and shown.delivered_at is not None
        assert event_names(container, message_id).count("StatusReported") == 1


def test_reports_that_arrive_before_the_send_is_recorded_are_kept_and_applied(
        database_url: str) -> None:
    with installation(database_url) as container:
        gateway = gateway_of(container)
        message_id = reply(container, client_writes(container))
        wait_for(lambda: caught_up(container))
        (claim,) = container.writer.execute_sync(ob.ClaimOutgoing(
            message_ids=(message_id,), worker="w", now=container.clock.now(), lease_seconds=60,
            idempotent=True)).claims
        external_id = gateway.send_text(claim.to, claim.text, claim.key)
        report(container, status(external_id, "delivered"), status(external_id, "delivered"))
        container.writer.execute_sync(ob.RecordSent(
            message_id=message_id, channel="simulator", external_id=external_id, worker="w",
            at=container.clock.now()))
        wait_for(lambda: caught_up(container))
        assert bubble(container, message_id).status == "delivered"
        report(container, status("never-sent-by-us", "read"))  # kept, harms nothing


# -- the schedule, in every running replica -----------------------------------------------------
def test_a_schedule_change_applies_in_every_running_replica_without_a_restart(
        database_url: str) -> None:
    live = {"run_sync_job": True, "sync_watch_seconds": 0.05, "clock": SystemClock()}
    with installation(database_url, **live) as one, \
            installation(database_url, projections=False, **live) as two:
        replicas = (one, two)

        def applied(state: ob.ScheduleState) -> bool:
            return all(r.sync.applied == state for r in replicas)

        default = ob.ScheduleState(True, ob.ScheduleMode.INTERVAL, 1, "")
        wait_for(lambda: applied(default))
        one.writer.execute_sync(ob.ConfigureSync(enabled=True, mode="interval",
                                                 interval_seconds=7, cron="",
                                                 actor="operator:admin"))
        wait_for(lambda: applied(ob.ScheduleState(True, ob.ScheduleMode.INTERVAL, 7, "")))
        for replica in replicas:
            job = replica.sync.scheduler.get_job("sync")  # type: ignore[union-attr]
            assert job.trigger.interval == timedelta(seconds=7)
        two.writer.execute_sync(ob.ConfigureSync(enabled=True, mode="cron", interval_seconds=7,
                                                 cron="*/5 * * * *", actor="operator:admin"))
        wait_for(lambda: applied(ob.ScheduleState(True, ob.ScheduleMode.CRON, 7,
                                                  "*/5 * * * *")))
        for replica in replicas:
            job = replica.sync.scheduler.get_job("sync")  # type: ignore[union-attr]
            assert isinstance(job.trigger, CronTrigger)
        one.writer.execute_sync(ob.ConfigureSync(enabled=False, mode="cron", interval_seconds=7,
                                                 cron="*/5 * * * *", actor="operator:admin"))
        wait_for(lambda: all(r.sync.scheduler.get_job("sync") is None  # type: ignore[union-attr]
                             for r in replicas))
        health = one.sync.health()
        assert health.scheduler_running and not health.schedule.state.enabled


@pytest.mark.parametrize(("env", "enabled", "interval"),
                         [("production", False, 60), ("development", True, 1)])
def test_sync_is_off_in_production_until_an_admin_sets_it_and_on_every_second_in_development(
        database_url: str, env: str, enabled: bool, interval: int,
        monkeypatch: pytest.MonkeyPatch) -> None:
    live: dict[str, Any] = {"run_sync_job": True, "clock": SystemClock(), "env": env,
                            "secret_key": "a-real-secret-1", "simulator_secret": "a-real-secret-2"}
    if env == "production":  # which refuses the simulator: the test's gateway stands in
        monkeypatch.setenv("SWITCHBOARD_GATEWAY", "cloud")
        live.update(PRODUCTION)
    with installation(database_url, **live) as container:
        wait_for(lambda: container.sync.applied is not None)
        schedule = container.sync.schedule()
        assert schedule.is_default
        assert (schedule.state.enabled, schedule.state.interval_seconds) == (enabled, interval)
        job = container.sync.scheduler.get_job("sync")  # type: ignore[union-attr]
        assert (job is not None) == enabled


def test_health_reports_sync_off_while_messages_wait_and_messages_older_than_allowed(
        database_url: str, caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock(datetime.now(UTC))
    with installation(database_url, clock=clock, sync_grace_seconds=5) as container:
        container.writer.execute_sync(ob.ConfigureSync(enabled=False, mode="interval",
                                                       interval_seconds=10, cron="",
                                                       actor="operator:admin"))
        reply(container, client_writes(container))
        wait_for(lambda: caught_up(container))
        health = container.sync.health()
        codes = {w.code for w in health.warnings}
        assert "SYNC_OFF_WHILE_QUEUED" in codes
        assert "SCHEDULER_NOT_RUNNING" not in codes  # this replica does not run it
        with caplog.at_level("INFO", logger="infra.sync_job"):
            container.sync.log_health(health)
            container.sync.log_health(health)  # logged when it appears, not every time
            container.sync.log_health(container.sync.health().__class__(
                **{**health.__dict__, "warnings": []}))
        said = [r.getMessage() for r in caplog.records if r.name == "infra.sync_job"]
        assert said == ["sync health: Synchronisation is off and 1 outgoing message waits.",
                        "sync health: SYNC_OFF_WHILE_QUEUED cleared"]
        container.writer.execute_sync(ob.ConfigureSync(enabled=True, mode="interval",
                                                       interval_seconds=10, cron="",
                                                       actor="operator:admin"))
        wait_for(lambda: caught_up(container))
        clock.current = max(clock.current, datetime.now(UTC))  # switched on (stored) by now
        assert container.sync.health().warnings == []
        clock.advance(14)  # the message waited while sync was off: it counts from now
        assert container.sync.health().warnings == []
        clock.advance(2)
        assert [w.code for w in container.sync.health().warnings] == ["QUEUED_TOO_LONG"]
        run_job(container)
        assert container.sync.health().ok


def test_health_finds_a_message_late_only_after_the_cron_fire_time_that_should_have_sent_it(
        database_url: str) -> None:
    friday_evening = datetime(2030, 1, 4, 17, 0, tzinfo=UTC)
    clock = FakeClock(friday_evening)
    with installation(database_url, clock=clock, sync_grace_seconds=30) as container:
        container.writer.execute_sync(ob.ConfigureSync(enabled=True, mode="cron",
                                                       interval_seconds=60, cron="0 9 * * 1-5",
                                                       actor="operator:admin"))
        reply(container, client_writes(container))
        wait_for(lambda: caught_up(container))

        def late_on(day: int, hour: int, minute: int) -> bool:
            clock.current = datetime(2030, 1, day, hour, minute, tzinfo=UTC)
            return "QUEUED_TOO_LONG" in {w.code for w in container.sync.health().warnings}

        assert not late_on(5, 12, 0)  # Saturday: weekdays 1-5 are Monday to Friday
        assert not late_on(6, 12, 0)
        assert not late_on(7, 9, 0)  # Monday's run is due now
        assert late_on(7, 9, 1)


# -- two replicas against one PostgreSQL -------------------------------------------------------
@pytest.mark.postgres
def test_two_replicas_on_one_postgresql_never_send_a_message_twice(postgres_url: str) -> None:
    gateway = CountingGateway(latency=0.02)  # a run lasts: the other replica's comes meanwhile
    live = {"run_sync_job": True, "clock": SystemClock(), "gateway": gateway,
            "outbox_claim_batch": 10, "sync_watch_seconds": 0.1}
    with installation(postgres_url, **live) as one, \
            installation(postgres_url, projections=False, **live) as two:
        ids = []
        for i in range(20):
            dialog_id = client_writes(one, f"+7916111{i:04d}")
            ids += [reply(one if n % 2 else two, dialog_id, f"Reply {n} to {i}")
                    for n in range(5)]

        def all_sent() -> bool:
            with one.views.reader.connect() as conn:
                return bool(conn.execute(sa.select(sa.func.count()).select_from(
                    outbox_view.outbox).where(outbox_view.outbox.c.status == "sent")
                ).scalar_one() == len(ids))

        wait_for(all_sent, timeout=60)
        time.sleep(0.5)  # a late second sender would call now
        assert gateway.repeated_calls == {} and len(gateway.calls) == 100
        # Order kept per client: each client's replies went out as they were written.
        for i in range(20):
            texts = [t for to, t in gateway.texts if to == f"+7916111{i:04d}"]
            assert texts == [f"Reply {n} to {i}" for n in range(5)]
        assert OutgoingMessage  # the aggregate the events belong to


@pytest.mark.postgres
def test_a_lock_held_too_long_by_another_replica_is_reported(postgres_url: str) -> None:
    warn = {"sync_lock_warn_seconds": 0.5}
    with installation(postgres_url, **warn) as one, \
            installation(postgres_url, projections=False, **warn) as two:
        assert one.sync.lock.try_acquire()  # a run that hangs in the gateway
        try:
            assert two.sync.run() is None  # the other replica does not send meanwhile
            (warning,) = wait_for(lambda: two.sync.health().warnings)
            assert warning.code == "LOCK_HELD_TOO_LONG" and "Another replica" in warning.message
        finally:
            one.sync.lock.release()
        assert two.sync.health().ok


def test_the_audit_keeps_the_sync_schedule_as_it_stood_at_any_instant(database_url: str) -> None:
    from projections.audit import trail as audit

    with installation(database_url) as container:
        wait_for(lambda: caught_up(container))
        with container.views.reader.connect() as conn:
            assert audit.current_configuration(conn).readable["sync"] == {
                "Synchronise messages": "not set (the installation's default)"}
            before = audit.current_configuration(conn).position
        for enabled, mode, cron in ((True, "interval", ""), (False, "cron", "0 9 * * *")):
            container.writer.execute_sync(ob.ConfigureSync(
                enabled=enabled, mode=mode, interval_seconds=30, cron=cron,
                actor="operator:admin"))
        wait_for(lambda: caught_up(container))
        with container.views.reader.connect() as conn:
            now = audit.current_configuration(conn).readable["sync"]
            then = audit.sections().describe(audit.configuration_at_position(conn, before))
            entries = [e.summary for e in audit.history(conn, actor="operator:admin")]
        assert now == {"Synchronise messages": "off", "Sync schedule": "cron 0 9 * * *"}
        assert then["sync"] == {"Synchronise messages": "not set (the installation's default)"}
        assert {"Synchronisation on, every 30 s", "Synchronisation switched off"} <= set(entries)


class BlockingGateway(CountingGateway):
    """Hangs in send_text until released: a run that holds the lock."""

    def __init__(self) -> None:
        super().__init__()
        self.entered = threading.Event()
        self.release = threading.Event()

    def send_text(self, to: str, text: str, idempotency_key: str) -> str:
        self.entered.set()
        self.release.wait(30)
        return super().send_text(to, text, idempotency_key)


def test_health_reports_a_stopped_scheduler_and_a_run_holding_the_lock_too_long(
        database_url: str) -> None:
    gateway = BlockingGateway()
    live = {"run_sync_job": True, "clock": SystemClock(), "gateway": gateway,
            "sync_lock_warn_seconds": 0.2, "sync_default_enabled": False}
    with installation(database_url, **live) as container:
        wait_for(lambda: container.sync.applied is not None)
        assert container.sync.health().ok
        reply(container, client_writes(container))
        wait_for(lambda: caught_up(container))
        running = container.sync.run_now()
        assert gateway.entered.wait(10)
        wait_for(lambda: any(w.code == "LOCK_HELD_TOO_LONG"
                             for w in container.sync.health().warnings))
        gateway.release.set()
        assert running.result(timeout=10).sent == 1  # type: ignore[union-attr]
        wait_for(lambda: container.sync.health().ok)  # once the read model has it sent
        container.sync.scheduler.shutdown()  # type: ignore[union-attr]
        codes = [w.code for w in container.sync.health().warnings]
        assert codes == ["SCHEDULER_NOT_RUNNING"]
