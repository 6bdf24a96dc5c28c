"""What the analytics read models share: the business time zone's days and hours, and
percentiles. Every analytics projection folds its batch with `projections.rows.RowSet`, so that
a batch of 500 events costs a handful of statements whatever its mix, and so that the result
depends on the events alone (never on the batch boundaries, nor on the clock: times come from
the events)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa

from projections.base import BatchProjection
from projections.rows import CHUNK, Key, chunks, key_filter, normalise, utc

ANALYTICS_SCHEMA = "analytics"
DEFAULT_BUSINESS_TIMEZONE = "Europe/Moscow"
HOUR = timedelta(hours=1)

class AnalyticsProjection(BatchProjection):
    """An analysts' read model: folds its batches, counts days and hours in the business time
    zone, and moves after the live read models (nobody waits on it)."""

    background = True

    def __init__(self, business_timezone: str = DEFAULT_BUSINESS_TIMEZONE) -> None:
        self.zone = business_zone(business_timezone)


# -- time ------------------------------------------------------------------------------------
@lru_cache(maxsize=32)
def business_zone(name: str) -> ZoneInfo:
    """The IANA zone whose days and hours the analytics tables count in."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"Unknown time zone {name!r}; use an IANA name such as "
                         f"{DEFAULT_BUSINESS_TIMEZONE}.") from None


def local_day(instant: datetime, zone: ZoneInfo) -> date:
    return utc(instant).astimezone(zone).date()


def hour_start(instant: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant at which the business hour holding `instant` began."""
    local = utc(instant).astimezone(zone)
    return local.replace(minute=0, second=0, microsecond=0).astimezone(UTC)


def hours_between(start: datetime, end: datetime,
                  zone: ZoneInfo) -> list[tuple[datetime, float]]:
    """(business hour, seconds of [start, end) within it), in order."""
    start, end = utc(start), utc(end)
    parts: list[tuple[datetime, float]] = []
    cursor = start
    while cursor < end:
        cell = hour_start(cursor, zone)
        following = min(cell + HOUR, end)
        if following <= cursor:  # a zone's offset moved by less than an hour: step a minute
            following = min(cursor + timedelta(minutes=1), end)
        parts.append((cell, (following - cursor).total_seconds()))
        cursor = following
    return parts


def seconds_between(earlier: datetime | None, later: datetime | None) -> float | None:
    if earlier is None or later is None:
        return None
    return (utc(later) - utc(earlier)).total_seconds()


# -- percentiles -------------------------------------------------------------------------------
def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-quantile by linear interpolation between the closest ranks (as PostgreSQL's
    percentile_cont and numpy's default); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    h = (len(ordered) - 1) * q
    low = math.floor(h)
    high = min(low + 1, len(ordered) - 1)
    return float(ordered[low] + (h - low) * (ordered[high] - ordered[low]))


def grouped_percentiles(
    conn: sa.Connection, table: sa.Table, value: str, group: Sequence[str],
    keys: Iterable[Key], quantiles: Sequence[float],
) -> dict[Key, tuple[int, list[float | None], float | None]]:
    """For each group key: (count, the quantiles, max) of `value` in `table`. PostgreSQL sorts
    on the server (percentile_cont); SQLite's values are sorted here, the same way."""
    wanted = set(keys)
    if not wanted:
        return {}
    columns = [table.c[name] for name in group]
    answer: dict[Key, tuple[int, list[float | None], float | None]] = {}
    for chunk in chunks(sorted(wanted, key=repr), CHUNK):
        where = key_filter(conn, columns, chunk)
        if conn.dialect.name == "postgresql":
            measure = table.c[value]
            query = sa.select(
                *columns, sa.func.count(),
                *[sa.func.percentile_cont(q).within_group(measure) for q in quantiles],
                sa.func.max(measure),
            ).where(where).group_by(*columns)
            for row in conn.execute(query):
                key = tuple(normalise(v) for v in row[: len(columns)])
                if key in wanted:
                    n = len(columns)
                    answer[key] = (int(row[n]), [_float(v) for v in row[n + 1:-1]],
                                   _float(row[-1]))
            continue
        samples: dict[Key, list[float]] = {}
        for row in conn.execute(sa.select(*columns, table.c[value]).where(where)):
            key = tuple(normalise(v) for v in row[: len(columns)])
            if key in wanted:
                samples.setdefault(key, []).append(float(row[-1]))
        for key, found in samples.items():
            answer[key] = (len(found), [percentile(found, q) for q in quantiles], max(found))
    return answer


def _float(value: Any) -> float | None:
    return None if value is None else float(value)
