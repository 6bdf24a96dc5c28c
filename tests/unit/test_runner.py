"""The one runner of reactions and timers: a job that raises is logged and runs again; `wake`
runs a job now, and again once it finishes when woken while it runs; a time that comes while
the job still runs is skipped; `stop` waits for the job that runs; `jobs()` lists names and next
runs. Waits are bounded and wait for events, never for a number of seconds."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.triggers.cron import CronTrigger

from infra.runner import Runner
from tests.conftest import wait_for

SOON = 5.0  # seconds: the bound of every wait, never a timing the test expects
HOUR = 3600.0


@pytest.fixture
def runner() -> Iterator[Runner]:
    built = Runner(workers=4)
    built.start()
    try:
        yield built
    finally:
        built.stop()


def test_a_job_that_raises_is_logged_with_its_name_and_runs_again_next_time(
        runner: Runner, caplog: pytest.LogCaptureFixture) -> None:
    calls: queue.Queue[int] = queue.Queue()
    count = 0

    def flaky() -> None:
        nonlocal count
        count += 1
        calls.put(count)
        if count == 1:
            raise RuntimeError("the gateway is down")

    with caplog.at_level("ERROR", logger="infra.runner"):
        runner.every("flaky", 0.01, flaky)
        assert calls.get(timeout=SOON) == 1
        assert calls.get(timeout=SOON) == 2  # the scheduler lives on, and so does the job
    (record,) = [r for r in caplog.records if r.name == "infra.runner"]
    assert "flaky failed" in record.getMessage()
    assert record.exc_info is not None and "gateway is down" in str(record.exc_info[1])
    assert runner.running


def test_wake_runs_a_job_now_whatever_its_schedule(runner: Runner) -> None:
    ran = threading.Event()
    runner.every("hourly", HOUR, ran.set, at_once=False)
    (job,) = runner.jobs()
    assert job.next_run_at is not None
    assert job.next_run_at > datetime.now(UTC) + timedelta(minutes=59)
    assert runner.wake("hourly")
    assert ran.wait(SOON)
    later = runner.next_run("hourly")
    assert later is not None and later > datetime.now(UTC) + timedelta(minutes=59)
    assert not runner.wake("nothing-of-that-name")


def test_a_job_woken_while_it_runs_runs_again_as_soon_as_it_finishes(runner: Runner) -> None:
    started: queue.Queue[int] = queue.Queue()
    release = threading.Event()
    runs = 0

    def job() -> None:
        nonlocal runs
        runs += 1
        started.put(runs)
        if runs == 1:
            assert release.wait(SOON)

    runner.every("downloads", HOUR, job)
    assert started.get(timeout=SOON) == 1
    assert runner.wake("downloads")  # a file arrived meanwhile
    release.set()
    assert started.get(timeout=SOON) == 2  # not an hour later


def test_a_time_that_comes_while_the_job_still_runs_is_skipped(runner: Runner) -> None:
    release = threading.Event()
    started: queue.Queue[int] = queue.Queue()
    lock = threading.Lock()
    running = most = runs = 0

    def slow() -> None:
        nonlocal running, most, runs
        with lock:
            running += 1
            runs += 1
            most = max(most, running)
            started.put(runs)
        try:
            if runs == 1:
                assert release.wait(SOON)
        finally:
            with lock:
                running -= 1

    runner.every("slow", 0.01, slow)
    assert started.get(timeout=SOON) == 1
    wait_for(lambda: runner.skipped["slow"] >= 3, timeout=SOON)  # times came, and went
    assert started.empty()  # none of them started a second run beside the first
    release.set()
    assert started.get(timeout=SOON) == 2  # the next time after it ended runs
    assert most == 1


def test_stop_waits_for_a_job_that_runs_and_then_nothing_runs(runner: Runner) -> None:
    entered = threading.Event()
    release = threading.Event()
    order: list[str] = []

    def job() -> None:
        if order:
            order.append("ran after stop")
            return
        entered.set()
        assert release.wait(SOON)
        order.append("job finished")

    runner.every("long", 0.01, job)
    assert entered.wait(SOON)
    def stop() -> None:
        runner.stop()
        order.append("stopped")

    stopping = threading.Thread(target=stop)
    stopping.start()
    wait_for(lambda: not runner.running, timeout=SOON)  # stop has begun...
    assert stopping.is_alive() and order == []  # ...and waits for the job
    release.set()
    stopping.join(SOON)
    assert not stopping.is_alive()
    assert order == ["job finished", "stopped"]
    assert not runner.wake("long")  # a stopped runner runs nothing more


def test_jobs_lists_every_job_with_its_next_run_soonest_first() -> None:
    runner = Runner(workers=2)
    runner.every("poll", HOUR, lambda: None, at_once=False)
    runner.at("nightly", CronTrigger(hour=3, minute=0, timezone=UTC), lambda: None)
    runner.start()
    try:
        jobs = runner.jobs()
        assert [job.name for job in jobs] == sorted(
            ["poll", "nightly"], key=lambda name: runner.next_run(name) or datetime.max)
        nightly = runner.next_run("nightly")
        assert nightly is not None and (nightly.hour, nightly.minute) == (3, 0)
        assert {job.name: job.next_run_at for job in jobs} == {
            "poll": runner.next_run("poll"), "nightly": nightly}
        assert runner.at("nightly", CronTrigger(hour=4, minute=30, timezone=UTC), lambda: None)
        moved = runner.next_run("nightly")
        assert moved is not None and (moved.hour, moved.minute) == (4, 30)
        assert runner.remove("poll") and not runner.remove("poll")
        assert [job.name for job in runner.jobs()] == ["nightly"]
    finally:
        runner.stop()
    assert not runner.running


def test_once_runs_a_job_at_once_and_then_forgets_it(runner: Runner) -> None:
    ran = threading.Event()
    assert runner.once("send-now-1", ran.set)
    assert ran.wait(SOON)
    wait_for(lambda: runner.job("send-now-1") is None, timeout=SOON)
    runner.stop()
    assert not runner.once("send-now-2", ran.set)  # the caller runs it some other way
