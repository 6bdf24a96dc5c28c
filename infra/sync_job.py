"""The scheduled sync job: reactions of the runner (infra/runner.py, the replica's one APScheduler
3.11 scheduler with an in-memory job store) in every replica.

The schedule itself is events (`SyncSchedule`). The runner's job "sync-watch" reads its read
model at once and then every `sync_watch_seconds`, and adds, reschedules or removes the job
"sync" (the schedule's interval or cron trigger) when it changes, so a change applies in every
running replica without a restart; "send now" is a one-off job "sync-now-…". A run takes a lock
first — a PostgreSQL advisory lock (a file lock on SQLite) — so two replicas never send at once;
inside, every send is claimed by an event before the gateway is called (application/sync.py),
which alone already makes a double send impossible.

Health: the runner's scheduler not running (or the watch not run for a while), the lock held too
long (by this replica's run, or by another replica's connection on PostgreSQL), sync off while
messages wait, and the oldest due message older than the schedule allows — in GraphQL `health`,
`/readyz`, `/metrics` and the logs."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
import time
import uuid
import zlib
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

import psycopg
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from application import outbox as ob
from application.ports import BlobStore, Clock, DeliveryReport
from application.services import EffectiveSchedule as EffectiveSchedule  # re-exported
from application.services import HealthWarning as HealthWarning  # re-exported
from application.sync import Due, Gateways, OutboxSender, Page, RunReport, SendPolicy
from domain.errors import InvalidValue
from domain.failures import RetryPolicy
from domain.sync import read_cron
from infra.eventstore import postgres_conninfo
from infra.metrics import (
    DELIVERY_REPORTS,
    HEALTH_WARNINGS,
    OUTBOX_FAILED,
    OUTBOX_OLDEST_DUE,
    OUTBOX_SENDS,
    OUTBOX_WAITING,
    SYNC_ENABLED,
    SYNC_LOCK_HELD,
    SYNC_RUN_SECONDS,
    SYNC_RUNS,
    SYNC_SCHEDULER_RUNNING,
)
from infra.runner import Runner
from infra.settings import Settings
from infra.views import ViewsDatabase
from infra.writer import GroupCommitWriter
from projections import outbox as outbox_view
from projections import sync as sync_view

log = logging.getLogger(__name__)
JOB_ID = "sync"
WATCH_ID = "sync-watch"
NOW_ID = "sync-now"
HEALTH_LOG_SECONDS = 10.0
WARNING_CODES = ("SCHEDULER_NOT_RUNNING", "LOCK_HELD_TOO_LONG", "SYNC_OFF_WHILE_QUEUED",
                 "QUEUED_TOO_LONG")


# -- the lock --------------------------------------------------------------------------------
class SyncLock:
    """Held by one replica at a time while it runs the job: a session advisory lock on
    PostgreSQL on a connection kept open (a crashed holder's lock goes with its connection), a
    file lock beside the SQLite database."""

    def __init__(self, settings: Settings, replica: str) -> None:
        self._settings = settings
        self._replica = replica
        self._key = zlib.crc32(b"switchboard-sync-job")
        self._conn: psycopg.Connection[Any] | None = None
        self._file: IO[str] | None = None
        self._held = False

    def try_acquire(self) -> bool:
        if self._settings.is_postgres:
            try:
                conn = self._connection()
                row = conn.execute("SELECT pg_try_advisory_lock(%s)", (self._key,)).fetchone()
            except psycopg.Error:
                self._drop()
                raise
            self._held = bool(row and row[0])
            return self._held
        if self._file is None:
            path = self._settings.sqlite_views_path.with_suffix(".sync-job.lock")
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file = Path(path).open("a")  # noqa: SIM115 - held open as the lock
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        self._held = True
        return True

    def release(self) -> None:
        if not self._held:
            return
        self._held = False
        if self._conn is not None:
            try:
                self._conn.execute("SELECT pg_advisory_unlock(%s)", (self._key,))
            except psycopg.Error:
                self._drop()  # closing the connection releases it
        elif self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)

    def held_elsewhere(self) -> tuple[datetime, float] | None:
        """On PostgreSQL: since when, and for how many seconds by the database's clock, another
        connection holds the lock (its last statement was taking it: the lock connection does
        nothing else); None when nobody else does."""
        if not self._settings.is_postgres:
            return None
        try:
            row = self._connection().execute(
                "SELECT a.state_change, EXTRACT(EPOCH FROM clock_timestamp() - a.state_change)"
                " FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
                " WHERE l.locktype = 'advisory' AND l.granted AND l.objid = %s"
                " AND l.pid <> pg_backend_pid() AND l.database = (SELECT oid FROM pg_database"
                " WHERE datname = current_database())",
                (self._key & 0xFFFFFFFF,)).fetchone()
        except psycopg.Error:
            self._drop()
            return None
        return (row[0], float(row[1])) if row and row[0] is not None else None

    def close(self) -> None:
        self.release()
        self._drop()
        if self._file is not None:
            self._file.close()
            self._file = None

    def _connection(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(**postgres_conninfo(self._settings), autocommit=True,
                                         application_name=f"sb-sync:{self._replica}"[:63])
        return self._conn

    def _drop(self) -> None:
        self._held = False
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):
                self._conn.close()
            self._conn = None


# -- reading the read models -------------------------------------------------------------------
class ViewsDueOutgoing:
    """The job's candidates, from the outbox read model."""

    def __init__(self, views: ViewsDatabase) -> None:
        self._views = views

    def due(self, now: datetime, limit: int, after: Page | None = None) -> list[Due]:
        with self._views.reader.connect() as conn:
            rows = outbox_view.due_messages(conn, now, limit, after)
        return [Due(message_id, (wake_at, position)) for message_id, wake_at, position in rows]


def default_schedule(settings: Settings) -> ob.ScheduleState:
    return ob.ScheduleState(enabled=settings.sync_enabled_by_default,
                            mode=ob.ScheduleMode.INTERVAL,
                            interval_seconds=settings.sync_interval_by_default, cron="")


def read_schedule(settings: Settings, views: ViewsDatabase) -> EffectiveSchedule:
    with views.reader.connect() as conn:
        row = sync_view.sync_row(conn)
    if row is None:
        return EffectiveSchedule(state=default_schedule(settings), is_default=True, version=0)
    return EffectiveSchedule(
        state=ob.ScheduleState(enabled=bool(row.enabled), mode=ob.ScheduleMode(row.mode),
                               interval_seconds=int(row.interval_seconds), cron=row.cron),
        is_default=False, version=int(row.version), changed_at=outbox_view._aware(row.changed_at),
        changed_by=row.changed_by, run_requested_at=outbox_view._aware(row.run_requested_at),
        run_requested_by=row.run_requested_by or "")


_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # cron's numbers: Sunday is 0


def cron_trigger(expression: str, zone: ZoneInfo) -> BaseTrigger:
    """A standard cron expression as APScheduler runs it, every field's values spelled out (its
    `from_crontab` counts days of the week from Monday = 0, refuses 7, Sunday-first name ranges
    and steps over names or past a range's end): days of the week by name; a day matching
    either the day of the month or of the week when both are restricted (APScheduler asks for
    both). Raises InvalidValue for what `check_cron` refuses."""
    fields = read_cron(expression)

    def spelled(values: tuple[int, ...] | None) -> str:
        return "*" if values is None else ",".join(str(value) for value in values)

    weekday = ("*" if fields.weekday is None
               else ",".join(_DAY_NAMES[day] for day in fields.weekday))
    common: dict[str, Any] = {"second": 0, "minute": spelled(fields.minute),
                              "hour": spelled(fields.hour), "month": spelled(fields.month),
                              "timezone": zone}
    if fields.either_day:
        return OrTrigger([CronTrigger(day=spelled(fields.day), **common),
                          CronTrigger(day_of_week=weekday, **common)])
    return CronTrigger(day=spelled(fields.day), day_of_week=weekday, **common)


def trigger_of(state: ob.ScheduleState, timezone: str) -> BaseTrigger:
    if state.mode == ob.ScheduleMode.CRON:
        return cron_trigger(state.cron, ZoneInfo(timezone))
    return IntervalTrigger(seconds=state.interval_seconds, timezone=ZoneInfo(timezone))


def send_deadline(state: ob.ScheduleState, timezone: str, due: datetime, *,
                  since: datetime | None = None, grace: float = 0.0) -> datetime | None:
    """When a message due at `due` should have left at the latest under this schedule, followed
    since `since` (nothing runs on it before): one interval after both; or, for a cron
    schedule, the first fire time from `grace` after both (a run just then may not see a
    message queued a moment before it: the next fire sends it) — then `grace` for the run.
    None when the schedule never fires."""
    start = max(due, since) if since is not None else due
    if state.mode == ob.ScheduleMode.INTERVAL:
        return start + timedelta(seconds=state.interval_seconds + grace)
    try:
        fire: datetime | None = trigger_of(state, timezone).get_next_fire_time(
            None, start + timedelta(seconds=grace))
    except (ValueError, InvalidValue):
        return None
    return fire + timedelta(seconds=grace) if fire is not None else None


# -- health ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class SyncHealth:
    replica: str
    checked_at: datetime
    warnings: list[HealthWarning]
    scheduler_running: bool
    runs_here: bool
    schedule: EffectiveSchedule
    next_run_at: datetime | None
    last_run_at: datetime | None
    last_report: dict[str, Any] | None
    running_since: datetime | None
    lock_held_elsewhere_since: datetime | None
    stats: outbox_view.OutboxStats

    @property
    def ok(self) -> bool:
        return not self.warnings

    def as_dict(self) -> dict[str, Any]:
        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "ok": self.ok, "replica": self.replica,
            "warnings": [{"code": w.code, "message": w.message, "since": iso(w.since)}
                         for w in self.warnings],
            "scheduler_running": self.scheduler_running, "enabled": self.schedule.state.enabled,
            "next_run_at": iso(self.next_run_at), "last_run_at": iso(self.last_run_at),
            "queued": self.stats.queued, "sending": self.stats.sending,
            "failed": self.stats.failed, "oldest_due_at": iso(self.stats.oldest_due_at),
        }


@dataclass
class _Status:
    started: bool = False
    last_watch_at: datetime | None = None
    last_watch_tick: float | None = None  # time.monotonic(): the scheduler runs on wall time
    last_run_at: datetime | None = None
    last_report: RunReport | None = None
    running_since: datetime | None = None
    running_tick: float | None = None
    last_error: str = ""
    warned: set[str] = field(default_factory=set)
    refused: ob.ScheduleState | None = None  # a schedule the scheduler could not follow
    next_health_log: datetime | None = None


# -- the job ---------------------------------------------------------------------------------
class SyncJob:
    def __init__(
        self, settings: Settings, writer: GroupCommitWriter, views: ViewsDatabase,
        gateways: Gateways, clock: Clock, *, replica: str | None = None,
        blobs: BlobStore | None = None, caught_up: Callable[[], bool] | None = None,
    ) -> None:
        self.settings = settings
        self.caught_up = caught_up  # waits until the outbox read model has what is stored
        self.writer = writer
        self.views = views
        self.clock = clock
        self.replica = replica or f"sync-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.sender = OutboxSender(
            bus=writer, gateways=gateways, clock=clock, due=ViewsDueOutgoing(views),
            worker=self.replica, policy=send_policy(settings), blobs=blobs)
        self.sender.on_outcome = _count_outcome
        self.lock = SyncLock(settings, self.replica)
        self.applied: ob.ScheduleState | None = None
        self._runner: Runner | None = None  # while started
        self._guard = threading.Lock()  # one run at a time in this process
        self._watching = threading.Lock()
        self._status = _Status()

    @property
    def scheduler(self) -> BackgroundScheduler | None:
        """The runner's scheduler while the job is started here (tests look at its jobs)."""
        return self._runner.scheduler if self._runner is not None else None

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self, runner: Runner) -> None:
        """Registers the watch with the runner: at once, then every `sync_watch_seconds`; the
        watch adds the job itself."""
        if self._runner is not None:
            return
        self._runner = runner
        self._status.started = True
        runner.every(WATCH_ID, self.settings.sync_watch_seconds, self.watch)

    def stop(self) -> None:
        """Removes the jobs and closes the sender and the lock (stop the runner first: a run
        going on then is over; else this waits for it a while)."""
        runner, self._runner = self._runner, None
        if runner is not None:
            runner.remove(WATCH_ID)
            runner.remove(JOB_ID)
        waited = self._guard.acquire(timeout=30)
        try:
            self.applied = None
            self.sender.close()
            self.lock.close()
        finally:
            if waited:
                self._guard.release()

    # -- the schedule --------------------------------------------------------------------------
    def schedule(self) -> EffectiveSchedule:
        return read_schedule(self.settings, self.views)

    def watch(self) -> None:
        """Applies the schedule if it changed; now and then, logs what health finds."""
        with self._watching:
            now = self.clock.now()
            self._status.last_watch_at = now
            self._status.last_watch_tick = time.monotonic()
            try:
                self.apply(self.schedule().state)
            except Exception:
                log.warning("the sync schedule could not be read or applied", exc_info=True)
                return
            if self._status.next_health_log is None or now >= self._status.next_health_log:
                self._status.next_health_log = now + timedelta(seconds=HEALTH_LOG_SECONDS)
                with contextlib.suppress(Exception):
                    self.log_health(self.health())

    def apply(self, state: ob.ScheduleState) -> bool:
        """Makes the runner's job follow `state`; False when nothing had to change."""
        runner = self._runner
        if runner is None:
            return False
        job = runner.job(JOB_ID)
        if state == self.applied and (job is not None) == state.enabled:
            return False
        SYNC_ENABLED.set(1 if state.enabled else 0)
        if not state.enabled:
            if job is not None:
                runner.remove(JOB_ID)
            self.applied = state
            log.info("sync is off: outgoing messages wait", extra={"replica": self.replica})
            return True
        try:
            trigger = trigger_of(state, self.settings.sync_timezone)
        except (ValueError, InvalidValue) as error:  # only a schedule recorded before its check
            if state != self._status.refused:
                self._status.refused = state
                log.warning("the sync schedule is not valid here: %s", error)
            return False
        if not runner.at(JOB_ID, trigger, self.scheduled_run):  # added, or rescheduled
            return False  # the runner stops
        self.applied = state
        log.info("sync schedule applied", extra={
            "replica": self.replica, "mode": state.mode.value,
            "interval_seconds": state.interval_seconds, "cron": state.cron})
        return True

    def next_run_at(self) -> datetime | None:
        runner = self._runner
        return runner.next_run(JOB_ID) if runner is not None else None

    # -- running ---------------------------------------------------------------------------
    def scheduled_run(self) -> None:
        with contextlib.suppress(Exception):
            self.run("schedule")

    def run(self, reason: str = "manual") -> RunReport | None:
        """One run under the lock; None when a run is going on already (here or in another
        replica)."""
        if not self._guard.acquire(blocking=False):
            SYNC_RUNS.labels("busy").inc()
            return None
        try:
            try:
                acquired = self.lock.try_acquire()
            except Exception as error:
                self._status.last_error = f"lock: {type(error).__name__}"
                SYNC_RUNS.labels("error").inc()
                log.warning("the sync lock could not be taken", exc_info=True)
                return None
            if not acquired:
                SYNC_RUNS.labels("locked").inc()
                return None
            started = self.clock.now()
            self._status.running_since = started
            self._status.running_tick = time.monotonic()
            try:
                with SYNC_RUN_SECONDS.time():
                    report = self.sender.run_once()
            except Exception as error:
                self._status.last_error = f"{type(error).__name__}: {error}"[:300]
                SYNC_RUNS.labels("error").inc()
                log.warning("the sync run failed; it runs again on schedule", exc_info=True)
                return None
            finally:
                self._status.running_since = None
                self._status.running_tick = None
                self.lock.release()
            self._status.last_run_at = started
            self._status.last_report = report
            self._status.last_error = ""
            SYNC_RUNS.labels("ran").inc()
            if report.claimed or report.uncertain:
                log.info("sync run", extra={"replica": self.replica, "reason": reason,
                                            **report.as_dict()})
            return report
        finally:
            self._guard.release()

    def run_now(self) -> Future[RunReport | None]:
        """"Send now": a run at once, whatever the schedule says (a one-off job of the runner
        when the job is started here and the runner runs, else in a thread of its own). The run
        finds its work in the outbox read model: it first waits (a little) until that holds
        every reply queued before it was asked for."""
        done: Future[RunReport | None] = Future()

        def job() -> None:
            try:
                if self.caught_up is not None and not self.caught_up():
                    log.warning("send now: the outbox read model is behind; sending what it has")
                done.set_result(self.run("now"))
            except Exception as error:  # pragma: no cover - run() answers None on errors
                done.set_exception(error)

        runner = self._runner
        if runner is None or not runner.once(f"{NOW_ID}-{uuid.uuid4().hex[:8]}", job):
            threading.Thread(target=job, name="sync-now", daemon=True).start()
        return done

    # -- health --------------------------------------------------------------------------------
    def health(self) -> SyncHealth:
        now = self.clock.now()
        schedule = self.schedule()
        state = schedule.state
        with self.views.reader.connect() as conn:
            stats = outbox_view.outbox_stats(conn, now)
        warnings: list[HealthWarning] = []
        status = self._status
        runs_here = self.settings.run_sync_job
        runner = self._runner
        stale = max(3 * self.settings.sync_watch_seconds, 5.0)
        tick = time.monotonic()
        running = runner is not None and runner.running and (
            status.last_watch_tick is None or tick - status.last_watch_tick <= stale)
        if runs_here and not running:
            warnings.append(HealthWarning(
                "SCHEDULER_NOT_RUNNING",
                "The scheduler of this replica is not running (or is blocked): it sends "
                "nothing.", status.last_watch_at))
        warn_after = timedelta(seconds=self.settings.sync_lock_warn_seconds)
        other = self.lock.held_elsewhere() if state.enabled else None
        elsewhere = other[0] if other else None
        held = tick - status.running_tick if status.running_tick is not None else 0.0
        if held > warn_after.total_seconds():
            warnings.append(HealthWarning(
                "LOCK_HELD_TOO_LONG",
                f"A sync run of this replica has held the lock for {int(held)} s.",
                status.running_since))
        elif other is not None and other[1] > warn_after.total_seconds():
            warnings.append(HealthWarning(
                "LOCK_HELD_TOO_LONG",
                f"Another replica has held the sync lock for {int(other[1])} s: nothing else "
                f"can send.", elsewhere))
        waiting = stats.queued + stats.sending
        if not state.enabled and waiting:
            warnings.append(HealthWarning(
                "SYNC_OFF_WHILE_QUEUED",
                f"Synchronisation is off and {waiting} outgoing "
                f"{'message waits' if waiting == 1 else 'messages wait'}.",
                stats.oldest_queued_at))
        elif state.enabled and stats.oldest_due_at is not None:
            latest = send_deadline(state, self.settings.sync_timezone, stats.oldest_due_at,
                                   since=schedule.changed_at,
                                   grace=self.settings.sync_grace_seconds)
            if latest is not None and now > latest:
                warnings.append(HealthWarning(
                    "QUEUED_TOO_LONG",
                    f"The oldest waiting message has been due for "
                    f"{int((now - stats.oldest_due_at).total_seconds())} s, longer than the "
                    f"schedule allows.", stats.oldest_due_at))
        health = SyncHealth(
            replica=self.replica, checked_at=now, warnings=warnings,
            scheduler_running=running, runs_here=runs_here, schedule=schedule,
            next_run_at=self.next_run_at(), last_run_at=status.last_run_at,
            last_report=status.last_report.as_dict() if status.last_report else None,
            running_since=status.running_since, lock_held_elsewhere_since=elsewhere,
            stats=stats)
        _export(health, now)
        return health

    def log_health(self, health: SyncHealth) -> None:
        """Logs each warning when it appears, and when it clears."""
        codes = {w.code for w in health.warnings}
        for warning in health.warnings:
            if warning.code not in self._status.warned:
                log.warning("sync health: %s", warning.message,
                            extra={"code": warning.code, "replica": self.replica})
        for code in self._status.warned - codes:
            log.info("sync health: %s cleared", code, extra={"code": code,
                                                             "replica": self.replica})
        self._status.warned = codes


def send_policy(settings: Settings) -> SendPolicy:
    return SendPolicy(
        claim_batch=settings.outbox_claim_batch, concurrency=settings.outbox_send_concurrency,
        lease_seconds=settings.outbox_lease_seconds,
        retry=RetryPolicy(max_attempts=settings.outbox_max_attempts,
                             first_delay_seconds=settings.outbox_retry_first_seconds,
                             max_delay_seconds=settings.outbox_retry_max_seconds))


def _count_outcome(status: str, code: str) -> None:
    OUTBOX_SENDS.labels(status, code or "").inc()


def _export(health: SyncHealth, now: datetime) -> None:
    stats = health.stats
    OUTBOX_WAITING.set(stats.queued + stats.sending)
    OUTBOX_FAILED.set(stats.failed)
    OUTBOX_OLDEST_DUE.set(max((now - stats.oldest_due_at).total_seconds(), 0.0)
                          if stats.oldest_due_at else 0.0)
    SYNC_ENABLED.set(1 if health.schedule.state.enabled else 0)
    SYNC_SCHEDULER_RUNNING.set(1 if health.scheduler_running else 0)
    held = health.running_since or health.lock_held_elsewhere_since
    SYNC_LOCK_HELD.set(max((now - held).total_seconds(), 0.0) if held else 0.0)
    codes = {w.code for w in health.warnings}
    for code in WARNING_CODES:
        HEALTH_WARNINGS.labels(code).set(1 if code in codes else 0)


# -- delivery reports --------------------------------------------------------------------------
class RecordedDeliveryReports:
    """The `DeliveryReports` port: every webhook's reports become events on their messages, in
    one transaction per delivery (statuses out of order and twice change nothing backwards)."""

    def __init__(self, writer: GroupCommitWriter) -> None:
        self._writer = writer
        self.received: list[DeliveryReport] = []  # the last ones, for tests and diagnostics

    async def report(self, reports: list[DeliveryReport]) -> None:
        if not reports:
            return
        for report in reports:
            DELIVERY_REPORTS.labels(report.channel, report.status).inc()
        outcome: ob.ReportOutcome = await self._writer.execute(
            ob.RecordDeliveryReports(reports=tuple(reports)))
        log.debug("delivery reports", extra={"applied": outcome.applied, "kept": outcome.kept,
                                             "ignored": outcome.ignored})
        self.received.extend(reports)
        del self.received[:-1000]
