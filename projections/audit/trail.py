"""The audit: every configuration event with who, when and a readable before/after, and the
whole configuration as it stood at any instant.

Tables:
* `config_events` — one row per configuration event (its log position, time, actor, section,
  event name, a summary, its redacted data, and the readable labels it changed, before/after);
* `config_current` — each section's state now;
* `config_snapshots` — every section's state after every `SNAPSHOT_EVERY`-th configuration event.

`configuration_at(instant)` takes the last configuration event at or before the instant, the
snapshot at or before it, and folds at most `SNAPSHOT_EVERY - 1` recorded changes over it: a
prefix of the log, answered in a few milliseconds however long the history grows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

import sqlalchemy as sa
from eventsourcing.utils import get_topic

from projections.audit.configuration import (
    ConfigChange,
    Sections,
    State,
    change_of,
    diff,
    dump,
    wording,
)
from projections.audit.sections import all_sections
from projections.base import Changes, Projection, metadata

SNAPSHOT_EVERY = 64

config_events = sa.Table(
    "config_events",
    metadata,
    sa.Column("position", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("actor", sa.String(120), nullable=False),
    sa.Column("section", sa.String(32), nullable=False),
    sa.Column("topic", sa.String(255), nullable=False),
    sa.Column("aggregate_id", sa.String(36), nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("data", sa.Text, nullable=False),
    sa.Column("before", sa.Text, nullable=False),
    sa.Column("after", sa.Text, nullable=False),
    # How the panel says the summary, the labels and the values in the reader's language
    # (`wording`): {"summary", "labels": {label: …}, "before": {…}, "after": {…}}; null in rows
    # recorded before it existed, which show their English text.
    sa.Column("codes", sa.Text, nullable=True),
    sa.Index("ix_read_config_events_recorded_at", "recorded_at"),
    sa.Index("ix_read_config_events_actor", "actor"),
)

config_current = sa.Table(
    "config_current",
    metadata,
    sa.Column("section", sa.String(32), primary_key=True),
    sa.Column("position", sa.BigInteger, nullable=False),
    sa.Column("state", sa.Text, nullable=False),
)

config_snapshots = sa.Table(
    "config_snapshots",
    metadata,
    sa.Column("position", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("state", sa.Text, nullable=False),
)


@cache
def sections() -> Sections:
    return all_sections()


def _current(conn: sa.Connection, registry: Sections) -> dict[str, State]:
    states = registry.initial()
    for row in conn.execute(sa.select(config_current.c.section, config_current.c.state)):
        if row.section in states:
            states[row.section] = json.loads(row.state)
    return states


class AuditProjection(Projection):
    name = "audit"
    tables = (config_events, config_current, config_snapshots)
    events = sections().events

    def __init__(self, registry: Sections | None = None) -> None:
        self.registry = registry or sections()
        # What this batch's transaction has read and written, so that each event costs an
        # insert and an update. A new connection (the next batch, or a retry after a failure)
        # reads it all again.
        self._conn: sa.Connection | None = None
        self._states: dict[str, State] = {}
        self._since_snapshot = 0

    @classmethod
    def topics(cls) -> list[str]:
        return [get_topic(e) for e in sections().events]

    def _load(self, conn: sa.Connection) -> None:
        if conn is self._conn:
            return
        self._states = _current(conn, self.registry)
        last = conn.execute(sa.select(sa.func.max(config_snapshots.c.position))).scalar() or 0
        self._since_snapshot = conn.execute(
            sa.select(sa.func.count()).select_from(config_events)
            .where(config_events.c.position > last)).scalar_one()
        self._conn = conn

    def apply(self, conn: sa.Connection, event: Any, position: int, changes: Changes) -> None:
        section = self.registry.by_topic.get(get_topic(type(event)))
        if section is None:
            return
        self._load(conn)
        states = self._states
        change = change_of(event, position)
        before_state = states[section.name]
        after_state = section.apply(before_state, change)
        described_before = section.describe(before_state, states)
        states[section.name] = after_state
        before, after = diff(described_before, section.describe(after_state, states))
        summary = section.summarize(change)
        codes = {"summary": wording(summary), "labels": {k: wording(k) for k in after},
                 "before": {k: wording(v) for k, v in before.items()},
                 "after": {k: wording(v) for k, v in after.items()}}
        conn.execute(config_events.insert().values(
            position=position, recorded_at=change.at, actor=change.actor[:120],
            section=section.name, topic=change.topic, aggregate_id=change.aggregate_id,
            summary=str(summary), data=dump(change.data), before=dump(before),
            after=dump(after), codes=dump(codes),
        ))
        updated = conn.execute(
            config_current.update().where(config_current.c.section == section.name)
            .values(position=position, state=dump(after_state))).rowcount
        if not updated:
            conn.execute(config_current.insert().values(
                section=section.name, position=position, state=dump(after_state)))
        self._since_snapshot += 1
        if self._since_snapshot >= SNAPSHOT_EVERY:
            conn.execute(config_snapshots.insert().values(
                position=position, recorded_at=change.at, state=dump(states)))
            self._since_snapshot = 0
        changes.add("configuration", section.name, position)


# -- queries -------------------------------------------------------------------------------
@dataclass(frozen=True)
class HistoryEntry:
    position: int
    at: datetime
    actor: str
    section: str
    event: str
    summary: str
    before: dict[str, str]
    after: dict[str, str]
    codes: dict[str, Any] | None = None  # `wording` of the summary, labels and values


@dataclass(frozen=True)
class ConfigurationView:
    """The configuration after the event at `position` (0: before any), with readable values."""

    position: int
    at: datetime | None
    states: dict[str, State]
    readable: dict[str, dict[str, str]]


def history(
    conn: sa.Connection, *, since: datetime | None = None, until: datetime | None = None,
    actor: str | None = None, section: str | None = None, first: int = 100,
    before_position: int | None = None,
) -> list[HistoryEntry]:
    """Newest first."""
    query = sa.select(config_events)
    if since is not None:
        query = query.where(config_events.c.recorded_at >= since)
    if until is not None:
        query = query.where(config_events.c.recorded_at <= until)
    if actor:
        query = query.where(config_events.c.actor == actor)
    if section:
        query = query.where(config_events.c.section == section)
    if before_position is not None:
        query = query.where(config_events.c.position < before_position)
    rows = conn.execute(query.order_by(config_events.c.position.desc()).limit(first))
    return [HistoryEntry(
        position=r.position, at=r.recorded_at, actor=r.actor, section=r.section,
        event=r.topic.rpartition(":")[2], summary=r.summary, before=json.loads(r.before),
        after=json.loads(r.after), codes=json.loads(r.codes) if r.codes else None)
        for r in rows]


def position_at(conn: sa.Connection, instant: datetime) -> tuple[int, datetime | None]:
    row = conn.execute(
        sa.select(config_events.c.position, config_events.c.recorded_at)
        .where(config_events.c.recorded_at <= instant)
        .order_by(config_events.c.recorded_at.desc(), config_events.c.position.desc()).limit(1)
    ).first()
    return (int(row.position), row.recorded_at) if row else (0, None)


def configuration_at_position(conn: sa.Connection, position: int,
                              registry: Sections | None = None) -> dict[str, State]:
    registry = registry or sections()
    states = registry.initial()
    start = 0
    snapshot = conn.execute(
        sa.select(config_snapshots.c.position, config_snapshots.c.state)
        .where(config_snapshots.c.position <= position)
        .order_by(config_snapshots.c.position.desc()).limit(1)
    ).first()
    if snapshot is not None:
        start = int(snapshot.position)
        states.update(json.loads(snapshot.state))
    rows = conn.execute(
        sa.select(config_events.c.position, config_events.c.recorded_at, config_events.c.actor,
                  config_events.c.topic, config_events.c.aggregate_id, config_events.c.data,
                  config_events.c.section)
        .where(config_events.c.position > start, config_events.c.position <= position)
        .order_by(config_events.c.position))
    for row in rows:
        section = registry.by_name.get(row.section)
        if section is None:
            continue
        change = ConfigChange(position=row.position, at=row.recorded_at, actor=row.actor,
                              topic=row.topic, aggregate_id=row.aggregate_id,
                              data=json.loads(row.data))
        states[section.name] = section.fold(states[section.name], change)
    return states


def configuration_at(conn: sa.Connection, instant: datetime,
                     registry: Sections | None = None) -> ConfigurationView:
    registry = registry or sections()
    position, at = position_at(conn, instant)
    states = configuration_at_position(conn, position, registry)
    return ConfigurationView(position, at, states, registry.describe(states))


def current_configuration(conn: sa.Connection,
                          registry: Sections | None = None) -> ConfigurationView:
    registry = registry or sections()
    states = _current(conn, registry)
    row = conn.execute(sa.select(config_events.c.position, config_events.c.recorded_at)
                       .order_by(config_events.c.position.desc()).limit(1)).first()
    return ConfigurationView(int(row.position) if row else 0, row.recorded_at if row else None,
                             states, registry.describe(states))


def replay_configuration(conn: sa.Connection, position: int,
                         registry: Sections | None = None) -> dict[str, State]:
    """The naive way, for the benchmark's baseline and the tests: fold every change from the
    first, ignoring the snapshots."""
    registry = registry or sections()
    states = registry.initial()
    for row in conn.execute(sa.select(config_events).where(config_events.c.position <= position)
                            .order_by(config_events.c.position)):
        section = registry.by_name[row.section]
        change = ConfigChange(row.position, row.recorded_at, row.actor, row.topic,
                              row.aggregate_id, json.loads(row.data))
        states[section.name] = section.fold(states[section.name], change)
    return states
