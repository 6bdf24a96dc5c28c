"""The sync schedule as it stands: one row, which every replica's scheduler follows (a change is
applied without a restart) and the admin area shows. No row: nothing was set, the defaults of the
settings apply."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from domain.sync import SyncSchedule
from projections.base import Changes, Projection, metadata

sync_settings = sa.Table(
    "sync_settings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("enabled", sa.Boolean, nullable=False),
    sa.Column("mode", sa.String(16), nullable=False),
    sa.Column("interval_seconds", sa.Integer, nullable=False),
    sa.Column("cron", sa.String(120), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("changed_by", sa.String(160), nullable=False),
    sa.Column("run_requested_at", sa.DateTime(timezone=True)),
    sa.Column("run_requested_by", sa.String(160)),
)


class SyncProjection(Projection):
    name = "sync"
    tables = (sync_settings,)
    events = (SyncSchedule.Created, SyncSchedule.Configured, SyncSchedule.RunRequested)

    def apply(self, conn: sa.Connection, event: Any, position: int, changes: Changes) -> None:
        where = sync_settings.c.id == 1
        match event:
            case SyncSchedule.Created():
                conn.execute(sync_settings.insert().values(
                    id=1, enabled=event.enabled, mode=event.mode,
                    interval_seconds=event.interval_seconds, cron=event.cron,
                    version=event.originator_version, changed_at=event.timestamp,
                    changed_by=event.actor))
            case SyncSchedule.Configured():
                conn.execute(sync_settings.update().where(where).values(
                    enabled=event.enabled, mode=event.mode,
                    interval_seconds=event.interval_seconds, cron=event.cron,
                    version=event.originator_version, changed_at=event.timestamp,
                    changed_by=event.actor))
            case SyncSchedule.RunRequested():
                conn.execute(sync_settings.update().where(where).values(
                    version=event.originator_version, run_requested_at=event.at,
                    run_requested_by=event.actor))
        changes.add("sync", "settings", 1)


def sync_row(conn: sa.Connection) -> sa.Row[Any] | None:
    return conn.execute(sa.select(sync_settings).where(sync_settings.c.id == 1)).first()
