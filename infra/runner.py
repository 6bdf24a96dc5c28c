"""The one runner of reactions and timers: every piece of background work of a replica that runs
on a clock or when an event wakes it runs here, in one APScheduler 3.11 `BackgroundScheduler`
(in-memory job store, UTC, one thread pool).

A reaction is a function with no arguments that reads read models and submits commands (what
follows an event: send what waits, download a file, forward a lapsed offer, rotate a QR code);
it registers under a name, runs at its times, and can be woken to run at once. The container
(infra/bootstrap.py) registers, each behind its setting:

- `routing`, every `routing_tick_seconds` (1 s): lapsed offers, the heartbeat, sweeping other
  replicas' sockets, retries (infra/routing_jobs.py);
- `whatsapp-supervisor`, every second: QR rotation, polling, reconnecting (infra/whatsapp.py);
- `sync-watch`, every `sync_watch_seconds` (1 s): follows the sync schedule and logs health;
  `sync`, on the schedule (an interval or a cron): sends outgoing messages under the sync lock;
  `sync-now-…`, once, at once: "send now" (infra/sync_job.py);
- `media-downloads`, every `media_poll_seconds` (1 s) and when a webhook wakes it: clients'
  files (infra/media_jobs.py);
- `client-receipts`, every second and when an operator reads or types: read receipts and
  "typing…" at the gateways (infra/receipts.py).

Periodic jobs run once at start, then at their cadence (a fixed rate, not a pause after each
run). Every job runs wrapped: an exception is logged with the job's name and the job runs again
at its next time; nothing a job does stops the scheduler. One run of a job at a time
(`max_instances=1`, `coalesce=True`): a job still running when its next time comes skips that
time (logged at DEBUG, counted in `skipped`), and missed times run once, not once each. `wake`
runs a job now; woken while it runs, it runs again as soon as it finishes. `stop` waits for the
running jobs; afterwards what they use (connections, pools, gateways) can be closed safely.

Jobs that need the scheduler while they run (the sync watch reschedules the sync job) go through
the runner's methods, which do nothing once `stop` began: APScheduler's shutdown holds the job
store's lock while it waits for the running jobs, and a job reaching for the scheduler itself
then would wait for ever. The runner's own lock is never held while it calls the scheduler (a
job's end is reported under the scheduler's lock, and the runner takes its own then)."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, NamedTuple

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    JobExecutionEvent,
    JobSubmissionEvent,
)
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.job import Job
from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger

log = logging.getLogger(__name__)
__all__ = ["Runner", "ScheduledJob"]

WORKERS = 8  # the five periodic jobs, "send now" and a slow run of one of them, with room
MISFIRE_GRACE_SECONDS = 30  # a time missed by more (the process stood still) is skipped
_SKIPPED = "maximum number of running instances reached"


class ScheduledJob(NamedTuple):
    name: str
    next_run_at: datetime | None  # None: paused


class _QuietSkips(logging.Filter):
    """APScheduler warns each time a job still running skips its time: here that is the rule,
    not a problem (the runner logs it at DEBUG)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return _SKIPPED not in str(record.msg)


class Runner:
    """One scheduler for every reaction and timer of this replica."""

    def __init__(self, *, workers: int = WORKERS) -> None:
        # A run every second would log two lines a second at INFO: the jobs log their own.
        logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)
        scheduler_log = logging.getLogger(f"{__name__}.scheduler")
        scheduler_log.setLevel(logging.WARNING)  # "Added job …" for each registration, each run
        if not any(isinstance(f, _QuietSkips) for f in scheduler_log.filters):
            scheduler_log.addFilter(_QuietSkips())
        self._store = MemoryJobStore()
        self._scheduler = BackgroundScheduler(
            jobstores={"default": self._store},
            executors={"default": ThreadPoolExecutor(
                workers, pool_kwargs={"thread_name_prefix": "runner"})},
            job_defaults={"coalesce": True, "max_instances": 1,
                          "misfire_grace_time": MISFIRE_GRACE_SECONDS},
            timezone=UTC, logger=scheduler_log)
        self._scheduler.add_listener(self._finished,
                                     EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED)
        self._scheduler.add_listener(self._skipped, EVENT_JOB_MAX_INSTANCES)
        # Guards the sets below and is never held while calling the scheduler (whose listeners
        # may run under its own lock and take this one).
        self._lock = threading.Condition()
        self._running: set[str] = set()  # jobs whose function runs now
        self._woken: set[str] = set()  # jobs woken and not started since
        self._calls = 0  # calls into the scheduler going on (stop waits for them)
        self._stopping = False
        self.skipped: Counter[str] = Counter()  # times skipped because a run was still going

    # -- the scheduler -------------------------------------------------------------------------
    @property
    def scheduler(self) -> BackgroundScheduler:
        """The APScheduler instance itself (tests look at its jobs and triggers)."""
        return self._scheduler

    @property
    def running(self) -> bool:
        """Whether the scheduler runs (started, and neither stopped nor shut down)."""
        return bool(self._scheduler.running)

    def start(self) -> None:
        with self._lock:
            self._stopping = False
        if not self._enter():
            return
        try:
            if not self._scheduler.running:
                self._scheduler.start()
        finally:
            self._leave()

    def stop(self, wait: bool = True) -> None:
        """Stops the scheduler; with `wait`, returns once the running jobs finished. A job
        woken meanwhile does not run again."""
        with self._lock:
            self._stopping = True
            self._woken.clear()
            self._lock.wait_for(lambda: self._calls == 0)
        with contextlib.suppress(SchedulerNotRunningError):
            self._scheduler.shutdown(wait=wait)

    # -- registering -----------------------------------------------------------------------------
    def every(self, name: str, seconds: float, func: Callable[[], Any], *,
              jitter: float | None = None, at_once: bool = True) -> bool:
        """Runs `func` every `seconds` (at a fixed rate, `jitter` seconds either way) — and
        once at once, unless `at_once` is False. Replaces a job of that name. False when the
        runner stops."""
        trigger = IntervalTrigger(seconds=seconds, jitter=jitter, timezone=UTC)
        first = {"next_run_time": datetime.now(UTC)} if at_once else {}
        if not self._enter():
            return False
        try:
            self._scheduler.add_job(self._guarded(name, func), trigger, id=name, name=name,
                                    replace_existing=True, **first)
            return True
        finally:
            self._leave()

    def at(self, name: str, trigger: BaseTrigger, func: Callable[[], Any]) -> bool:
        """Runs `func` at the fire times of an APScheduler trigger (a cron, an interval, or
        several): adds the job, or gives the job of that name this trigger (and function).
        False when the runner stops."""
        if not self._enter():
            return False
        try:
            if self._scheduler.get_job(name) is None:
                self._scheduler.add_job(self._guarded(name, func), trigger, id=name, name=name)
            else:
                self._scheduler.modify_job(name, func=self._guarded(name, func))
                self._scheduler.reschedule_job(name, trigger=trigger)
            return True
        finally:
            self._leave()

    cron = at  # the sync job's schedule reads better so

    def once(self, name: str, func: Callable[[], Any]) -> bool:
        """Runs `func` once, at once; False when the runner does not run (or stops)."""
        if not self._enter():
            return False
        try:
            if not self._scheduler.running:
                return False
            self._scheduler.add_job(self._guarded(name, func), id=name, name=name)
            return True
        finally:
            self._leave()

    def remove(self, name: str) -> bool:
        """Removes the job (a run going on finishes); False when there was none."""
        with self._lock:
            self._woken.discard(name)
        if not self._enter():  # the scheduler is (being) shut down: its store, directly
            try:
                self._store.remove_job(name)
            except JobLookupError:
                return False
            return True
        try:
            self._scheduler.remove_job(name)
            return True
        except JobLookupError:
            return False
        finally:
            self._leave()

    # -- running -----------------------------------------------------------------------------------
    def wake(self, name: str) -> bool:
        """Runs the job now (`modify_job(next_run_time=now)`); running already, it runs again
        once this run finishes. False when there is no such job or the runner stops."""
        with self._lock:
            if self._stopping:
                return False
            self._woken.add(name)
            if name in self._running:
                return True
        if not self._now(name):
            with self._lock:
                self._woken.discard(name)
            return False
        return True

    def job(self, name: str) -> Job | None:
        """The APScheduler job of that name, if there is one (None once the runner stops)."""
        if not self._enter():
            return None
        try:
            job: Job | None = self._scheduler.get_job(name)
            return job
        finally:
            self._leave()

    def next_run(self, name: str) -> datetime | None:
        job = self.job(name)
        when: datetime | None = getattr(job, "next_run_time", None) if job else None
        return when

    def jobs(self) -> list[ScheduledJob]:
        """Every job's name and next run, soonest first (for health and diagnostics)."""
        if not self._enter():
            return []
        try:
            jobs = [ScheduledJob(job.id, getattr(job, "next_run_time", None))
                    for job in self._scheduler.get_jobs()]
        finally:
            self._leave()
        far = datetime.max.replace(tzinfo=UTC)
        return sorted(jobs, key=lambda j: (j.next_run_at or far, j.name))

    # -- inside ------------------------------------------------------------------------------------
    def _enter(self) -> bool:
        """Before a call into the scheduler: False once `stop` began (APScheduler's shutdown
        holds its job store's lock while it waits for the jobs that run: a job calling in
        then would wait for ever)."""
        with self._lock:
            if self._stopping:
                return False
            self._calls += 1
            return True

    def _leave(self) -> None:
        with self._lock:
            self._calls -= 1
            self._lock.notify_all()

    def _now(self, name: str) -> bool:
        if not self._enter():
            return False
        try:
            self._scheduler.modify_job(name, next_run_time=datetime.now(UTC))
            return True
        except JobLookupError:
            return False
        finally:
            self._leave()

    def _guarded(self, name: str, func: Callable[[], Any]) -> Callable[[], None]:
        def run() -> None:
            with self._lock:
                self._running.add(name)
                self._woken.discard(name)  # this run serves every wake until now
            again = True
            try:
                while again:
                    try:
                        func()
                    except Exception:
                        log.exception("%s failed; it runs again at its next time", name,
                                      extra={"job": name})
                    with self._lock:  # woken while it ran: once more, now
                        again = name in self._woken and not self._stopping
                        if again:
                            self._woken.discard(name)
                        else:
                            self._running.discard(name)
            finally:
                with self._lock:
                    self._running.discard(name)

        return run

    def _finished(self, event: JobExecutionEvent) -> None:
        """A wake that came as a run was ending found it no longer running but still counted by
        the executor, and was skipped: the run it asked for starts now."""
        with self._lock:
            again = (event.job_id in self._woken and event.job_id not in self._running
                     and not self._stopping)
        if again:
            self._now(event.job_id)

    def _skipped(self, event: JobSubmissionEvent) -> None:
        with self._lock:
            self.skipped[event.job_id] += 1
        log.debug("%s is still running: this time is skipped", event.job_id,
                  extra={"job": event.job_id})
