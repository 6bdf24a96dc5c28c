"""Reading the analytics tables: the summary panels show for a period of business days (volumes,
first-response and resolution percentiles, the per-operator table), and the rows of a table for
an export. Both read the analytics read models only (and operators' names)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import sqlalchemy as sa

from projections.analytics.delivery import delivery, delivery_failures
from projections.analytics.dialogs import dialog_facts
from projections.analytics.labels import dialog_label_facts, label_facts
from projections.analytics.messages import message_facts
from projections.analytics.operator_load import operator_load
from projections.analytics.routing_hits import routing_hits
from projections.analytics.rows import percentile
from projections.operators import operators

MAX_DAYS = 366

# What `switchboard analytics export` offers: each table has a business `day` to filter on.
TABLES: dict[str, sa.Table] = {table.name: table for table in (
    message_facts, dialog_facts, operator_load, routing_hits, delivery, delivery_failures,
    label_facts, dialog_label_facts)}


def check_period(first: date, last: date) -> None:
    if first > last:
        raise ValueError(f"The period's start ({first.isoformat()}) is after its end "
                         f"({last.isoformat()}).")
    if (last - first).days + 1 > MAX_DAYS:
        raise ValueError(f"A period is at most {MAX_DAYS} days; export longer ones table by "
                         "table.")


# -- the summary -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Durations:
    count: int
    median_seconds: float | None
    p90_seconds: float | None

    @classmethod
    def of(cls, values: Sequence[float]) -> Durations:
        return cls(len(values), percentile(values, 0.5), percentile(values, 0.9))


@dataclass(frozen=True)
class Totals:
    messages_in: int
    messages_out: int
    dialogs_opened: int
    dialogs_resolved: int
    transfers: int
    failed_messages: int


@dataclass(frozen=True)
class DayFigures:
    day: date
    messages_in: int
    messages_out: int
    dialogs_opened: int
    dialogs_resolved: int
    first_response: Durations


@dataclass(frozen=True)
class OperatorFigures:
    operator_id: UUID
    name: str
    login: str
    dialogs_assigned: int
    messages_sent: int
    dialogs_resolved: int
    first_response: Durations
    online_seconds: float


@dataclass(frozen=True)
class Summary:
    first: date
    last: date
    totals: Totals
    days: list[DayFigures]
    first_response: Durations
    resolution: Durations
    waiting: Durations
    operators: list[OperatorFigures]


def _in(column: Any, first: date, last: date) -> Any:
    return column.between(first, last)


def summary(conn: sa.Connection, first: date, last: date) -> Summary:
    """The figures of the business days `first` to `last` (both included). Days without data
    count zero; a period beyond the data is all zeros."""
    check_period(first, last)
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    volume: defaultdict[date, dict[str, int]] = defaultdict(dict)
    failed = 0
    for day, direction, count, failures in conn.execute(
            sa.select(message_facts.c.day, message_facts.c.direction, sa.func.count(),
                      sa.func.count(message_facts.c.failed_at))
            .where(_in(message_facts.c.day, first, last))
            .group_by(message_facts.c.day, message_facts.c.direction)):
        volume[day][direction] = int(count)
        failed += int(failures)

    opened: defaultdict[date, int] = defaultdict(int)
    per_day_responses: defaultdict[date, list[float]] = defaultdict(list)
    responses: list[float] = []
    waiting: list[float] = []
    transfers = 0
    by_responder: defaultdict[UUID, list[float]] = defaultdict(list)
    for row in conn.execute(
            sa.select(dialog_facts.c.day, dialog_facts.c.first_response_seconds,
                      dialog_facts.c.first_responder_id, dialog_facts.c.waiting_seconds,
                      dialog_facts.c.transfers)
            .where(_in(dialog_facts.c.day, first, last))):
        opened[row.day] += 1
        transfers += row.transfers
        if row.waiting_seconds is not None:
            waiting.append(row.waiting_seconds)
        if row.first_response_seconds is not None:
            responses.append(row.first_response_seconds)
            per_day_responses[row.day].append(row.first_response_seconds)
            if row.first_responder_id is not None:
                by_responder[row.first_responder_id].append(row.first_response_seconds)

    resolved: defaultdict[date, int] = defaultdict(int)
    resolutions: list[float] = []
    resolved_by: defaultdict[UUID, int] = defaultdict(int)
    for day, seconds, by in conn.execute(
            sa.select(dialog_facts.c.resolved_day, dialog_facts.c.resolution_seconds,
                      dialog_facts.c.resolved_by)
            .where(_in(dialog_facts.c.resolved_day, first, last))):
        resolved[day] += 1
        if seconds is not None:
            resolutions.append(seconds)
        if by is not None:
            resolved_by[by] += 1

    return Summary(
        first=first, last=last,
        totals=Totals(
            messages_in=sum(v.get("in", 0) for v in volume.values()),
            messages_out=sum(v.get("out", 0) for v in volume.values()),
            dialogs_opened=sum(opened.values()), dialogs_resolved=sum(resolved.values()),
            transfers=transfers, failed_messages=failed),
        days=[DayFigures(day=day, messages_in=volume[day].get("in", 0),
                         messages_out=volume[day].get("out", 0),
                         dialogs_opened=opened[day], dialogs_resolved=resolved[day],
                         first_response=Durations.of(per_day_responses[day]))
              for day in days],
        first_response=Durations.of(responses), resolution=Durations.of(resolutions),
        waiting=Durations.of(waiting),
        operators=_operators(conn, first, last, by_responder, resolved_by))


def _operators(conn: sa.Connection, first: date, last: date,
               responses: dict[UUID, list[float]],
               resolved: dict[UUID, int]) -> list[OperatorFigures]:
    load: dict[UUID, tuple[int, int, float]] = {
        row.operator_id: (int(row.assigned or 0), int(row.sent or 0), float(row.online or 0))
        for row in conn.execute(
            sa.select(operator_load.c.operator_id,
                      sa.func.sum(operator_load.c.dialogs_assigned).label("assigned"),
                      sa.func.sum(operator_load.c.messages_sent).label("sent"),
                      sa.func.sum(operator_load.c.online_seconds).label("online"))
            .where(_in(operator_load.c.day, first, last))
            .group_by(operator_load.c.operator_id))}
    ids = set(load) | set(responses) | set(resolved)
    names = {row.id: (row.display_name, row.login) for row in conn.execute(
        sa.select(operators.c.id, operators.c.display_name, operators.c.login)
        .where(operators.c.id.in_(ids)))} if ids else {}
    figures = []
    for oid in ids:
        assigned, sent, online = load.get(oid, (0, 0, 0.0))
        name, login = names.get(oid, (str(oid), ""))
        figures.append(OperatorFigures(
            operator_id=oid, name=name, login=login, dialogs_assigned=assigned,
            messages_sent=sent, dialogs_resolved=resolved.get(oid, 0),
            first_response=Durations.of(responses.get(oid, [])), online_seconds=online))
    figures.sort(key=lambda f: (f.name.casefold(), str(f.operator_id)))
    return figures


# -- exports ---------------------------------------------------------------------------------------
def export_table(name: str) -> sa.Table:
    table = TABLES.get(name)
    if table is None:
        raise ValueError(f"No analytics table named {name!r}; the tables are "
                         + ", ".join(sorted(TABLES)) + ".")
    return table


def _period(table: sa.Table, first: date | None, last: date | None) -> Any:
    where = []
    if first is not None:
        where.append(table.c.day >= first)
    if last is not None:
        where.append(table.c.day <= last)
    return sa.and_(sa.true(), *where)


def count_rows(conn: sa.Connection, name: str, first: date | None, last: date | None) -> int:
    table = export_table(name)
    return int(conn.execute(sa.select(sa.func.count()).select_from(table)
                            .where(_period(table, first, last))).scalar_one())


def export_rows(conn: sa.Connection, name: str, first: date | None, last: date | None,
                chunk: int = 2000) -> Iterator[list[dict[str, Any]]]:
    """The table's rows of the period, in chunks, by day then primary key."""
    table = export_table(name)
    order = [table.c.day, *[c for c in table.primary_key.columns if c.name != "day"]]
    result = conn.execution_options(stream_results=True, yield_per=chunk).execute(
        sa.select(table).where(_period(table, first, last)).order_by(*order))
    for part in result.partitions(chunk):
        yield [dict(row._mapping) for row in part]
