"""The sync schedule (everyone signed in: operators see whether their replies wait) and the
job's health (admins and auditors)."""

from __future__ import annotations

import strawberry
from anyio import to_thread

from api.graphql.context import Info
from api.graphql.outbox.types import (
    Health,
    HealthWarning,
    SyncMode,
    SyncRunReport,
    SyncSettings,
)
from api.graphql.permissions import CanAudit, IsAuthenticated
from api.graphql.time import utc
from application.services import EffectiveSchedule, Services
from projections import outbox as outbox_view


def settings_of(app: Services, schedule: EffectiveSchedule) -> SyncSettings:
    """The schedule with this replica's next run and the outbox's counts (blocking)."""
    state = schedule.state
    with app.reads.connect() as conn:
        stats = outbox_view.outbox_stats(conn, app.clock.now())
    next_run = app.sync.next_run_at()
    return SyncSettings(
        enabled=state.enabled, mode=SyncMode(state.mode.value),
        interval_seconds=state.interval_seconds, cron=state.cron,
        timezone=app.settings.sync_timezone, is_default=schedule.is_default,
        changed_at=utc(schedule.changed_at) if schedule.changed_at else None,
        changed_by=schedule.changed_by or None,
        next_run_at=utc(next_run) if next_run and state.enabled else None,
        waiting=stats.queued + stats.sending, failed=stats.failed)


def read_settings(app: Services) -> SyncSettings:
    return settings_of(app, app.sync.schedule())


def read_health(app: Services) -> Health:
    health = app.sync.health()
    report = health.last_report
    stats = health.stats
    held = health.running_since or health.lock_held_elsewhere_since

    return Health(
        ok=health.ok, replica=health.replica, checked_at=utc(health.checked_at),
        warnings=[HealthWarning(code=w.code, message=w.message,
                                since=utc(w.since) if w.since else None)
                  for w in health.warnings],
        scheduler_running=health.scheduler_running, runs_here=health.runs_here,
        sync_enabled=health.schedule.state.enabled,
        next_run_at=utc(health.next_run_at) if health.next_run_at else None,
        last_run_at=utc(health.last_run_at) if health.last_run_at else None,
        last_run=SyncRunReport.of(report) if report else None,
        queued=stats.queued, sending=stats.sending, failed=stats.failed,
        oldest_due_at=utc(stats.oldest_due_at) if stats.oldest_due_at else None,
        lock_held_since=utc(held) if held else None)


@strawberry.type
class OutboxQuery:
    @strawberry.field(permission_classes=[IsAuthenticated],
                      description="\"Synchronise messages\": whether the sync job runs, how "
                                  "often, and how many outgoing messages wait.")
    async def sync_settings(self, info: Info) -> SyncSettings:
        return await to_thread.run_sync(read_settings, info.context.app)

    @strawberry.field(permission_classes=[CanAudit],
                      description="The sync job's health: scheduler not running, lock held too "
                                  "long, sync off while messages wait, messages older than the "
                                  "schedule allows.")
    async def health(self, info: Info) -> Health:
        return await to_thread.run_sync(read_health, info.context.app)
