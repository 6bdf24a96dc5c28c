"""The schedule of the scheduled sync job ("Synchronise messages"): incoming messages arrive at
once, outgoing ones leave when the job runs. An admin switches it on or off and sets how often it
runs — every N seconds, or a cron expression — and may ask for a run now. Each change is an event;
every replica's scheduler follows the events, so a change applies everywhere without a restart."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidValue
from domain.ids import natural_id

SYNC_SCHEDULE_ID = natural_id("sync-schedule", "default")
MIN_INTERVAL = 1
MAX_INTERVAL = 24 * 3600
MAX_CRON = 120


class ScheduleMode(StrEnum):
    INTERVAL = "interval"
    CRON = "cron"


@dataclass(frozen=True)
class ScheduleState:
    """The schedule as a copy: what the job and the API need."""

    enabled: bool
    mode: ScheduleMode
    interval_seconds: int
    cron: str


# -- cron expressions: minute hour day-of-month month day-of-week ------------------------------
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_FIELDS = (  # name, lowest, highest, names
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day of month", 1, 31, ()),
    ("month", 1, 12, _MONTHS),
    ("day of week", 0, 7, _DAYS),
)
# Each field's code in a refusal (the panel names it: validation.part.<CODE>).
_PART = {"minute": "MINUTE", "hour": "HOUR", "day of month": "DAY", "month": "MONTH",
         "day of week": "WEEKDAY"}
_ITEM = re.compile(r"^(\*|[a-z0-9]+(?:-[a-z0-9]+)?)(?:/([0-9]+))?$")
_MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


@dataclass(frozen=True)
class CronFields:
    """A cron expression read the standard (Vixie cron) way: each field's values, None for
    every value ("*"). Days of the week count from Sunday = 0 (7 is read as Sunday too). When
    both the day of the month and the day of the week are restricted (neither starts with "*"),
    a day matching either is a day to run (`either_day`); otherwise both must match."""

    minute: tuple[int, ...] | None
    hour: tuple[int, ...] | None
    day: tuple[int, ...] | None
    month: tuple[int, ...] | None
    weekday: tuple[int, ...] | None
    either_day: bool


def _value(text: str, low: int, high: int, names: tuple[str, ...], field: str) -> int:
    if text in names:
        return names.index(text) + (1 if names is _MONTHS else 0)
    if not text.isdigit() or not low <= int(text) <= high:
        raise InvalidValue(f"The cron {field} {text!r} is not between {low} and {high}.",
                           rule="CRON_VALUE", field="cron",
                           params={"part": _PART[field], "value": text, "low": low, "high": high})
    return int(text)


def _values(part: str, field: str, low: int, high: int,
            names: tuple[str, ...]) -> tuple[int, ...] | None:
    if part == "*":
        return None
    chosen: set[int] = set()
    for item in part.split(","):
        found = _ITEM.match(item)
        if found is None:
            raise InvalidValue(f"The cron {field} {item!r} is not understood.", field="cron",
                               rule="CRON_ITEM", params={"part": _PART[field], "value": item})
        span, step = found.groups()
        if step is not None and not 1 <= int(step) <= high:
            raise InvalidValue(f"The cron {field} step {step!r} is out of range.",
                               field="cron", rule="CRON_STEP",
                               params={"part": _PART[field], "value": step})
        if span == "*":
            first, last = low, high
        else:
            start, _, end = span.partition("-")
            first = _value(start, low, high, names, field)
            # "5/15" runs from 5 to the end, as in cronie and APScheduler
            last = (_value(end, low, high, names, field) if end
                    else high if step is not None else first)
            if last < first:
                raise InvalidValue(f"The cron {field} range {span!r} runs backwards.",
                                   field="cron", rule="CRON_BACKWARDS",
                                   params={"part": _PART[field], "value": span})
        chosen.update(range(first, last + 1, int(step or 1)))
    if names is _DAYS:
        chosen = {day % 7 for day in chosen}  # 7 is Sunday, as 0
    return tuple(sorted(chosen))


def read_cron(expression: str) -> CronFields:
    """A standard five-field cron expression ("*/5 * * * *", "0 9-18 * * mon-fri", "0 9 * * 1-5")
    as the values of its fields; raises InvalidValue naming the field at fault, or when the
    days it names never come (the 31st of February)."""
    parts = _normalised(expression).split(" ")
    minute, hour, day, month, weekday = (
        _values(part, field, low, high, names)
        for part, (field, low, high, names) in zip(parts, _FIELDS, strict=True))
    either_day = not parts[2].startswith("*") and not parts[4].startswith("*")
    if day is not None and not either_day and not any(
            day[0] <= _MONTH_DAYS[m - 1] for m in (month or range(1, 13))):
        raise InvalidValue("The cron day of month never comes in the months it names.",
                           field="cron", rule="CRON_DAY_NEVER")
    return CronFields(minute=minute, hour=hour, day=day, month=month, weekday=weekday,
                      either_day=either_day)


def _normalised(expression: str) -> str:
    text = " ".join(expression.strip().lower().split())
    if len(text.split(" ") if text else []) != 5 or len(text) > MAX_CRON:
        raise InvalidValue("A cron expression has five fields: minute hour day-of-month month "
                           "day-of-week, e.g. */5 * * * *.", field="cron", rule="CRON_FIELDS")
    return text


def check_cron(expression: str) -> str:
    """A standard five-field cron expression, normalised (see `read_cron`); raises
    InvalidValue naming the field at fault."""
    read_cron(expression)
    return _normalised(expression)


def check_schedule(mode: str, interval_seconds: int, cron: str) -> tuple[ScheduleMode, int, str]:
    try:
        chosen = ScheduleMode(mode)
    except ValueError:
        raise InvalidValue("The schedule is 'interval' or 'cron'.", field="mode",
                           rule="SCHEDULE_MODE") from None
    if not MIN_INTERVAL <= interval_seconds <= MAX_INTERVAL:
        raise InvalidValue(f"The interval is {MIN_INTERVAL} to {MAX_INTERVAL} seconds.",
                           field="intervalSeconds", rule="SYNC_INTERVAL",
                           params={"min": MIN_INTERVAL, "max": MAX_INTERVAL})
    if chosen == ScheduleMode.CRON:
        return chosen, interval_seconds, check_cron(cron)
    try:  # kept for when the admin switches back to cron, if it is a valid one
        kept = check_cron(cron) if cron.strip() else ""
    except InvalidValue:
        kept = ""
    return chosen, interval_seconds, kept


class SyncSchedule(Aggregate):
    """The installation's one sync schedule (a singleton: `SYNC_SCHEDULE_ID`)."""

    last_requested_at = None  # type: datetime | None

    class Created(Aggregate.Created):
        enabled: bool
        mode: str
        interval_seconds: int
        cron: str
        actor: str

    class Configured(Aggregate.Event):
        enabled: bool
        mode: str
        interval_seconds: int
        cron: str
        actor: str

    class RunRequested(Aggregate.Event):
        """An admin asked for a run now ("send now")."""

        at: datetime
        actor: str

    @staticmethod
    def create_id() -> UUID:
        return SYNC_SCHEDULE_ID

    @event(Created)
    def __init__(self, enabled: bool, mode: str, interval_seconds: int, cron: str,
                 actor: str) -> None:
        self._set(enabled, mode, interval_seconds, cron)

    @classmethod
    def create(cls, *, enabled: bool, mode: str, interval_seconds: int, cron: str,
               actor: str) -> SyncSchedule:
        chosen, interval, expression = check_schedule(mode, interval_seconds, cron)
        return cls(enabled=enabled, mode=chosen.value, interval_seconds=interval,
                   cron=expression, actor=actor)

    def state(self) -> ScheduleState:
        return ScheduleState(enabled=self.enabled, mode=ScheduleMode(self.mode),
                             interval_seconds=self.interval_seconds, cron=self.cron)

    def configure(self, *, enabled: bool, mode: str, interval_seconds: int, cron: str,
                  actor: str) -> bool:
        """False when nothing changes (nothing is recorded)."""
        chosen, interval, expression = check_schedule(mode, interval_seconds, cron)
        if (enabled, chosen.value, interval, expression) == (
                self.enabled, self.mode, self.interval_seconds, self.cron):
            return False
        self._configure(enabled=enabled, mode=chosen.value, interval_seconds=interval,
                        cron=expression, actor=actor)
        return True

    @event(Configured)
    def _configure(self, enabled: bool, mode: str, interval_seconds: int, cron: str,
                   actor: str) -> None:
        self._set(enabled, mode, interval_seconds, cron)

    def request_run(self, *, at: datetime, actor: str) -> None:
        self._request_run(at=at, actor=actor)

    @event(RunRequested)
    def _request_run(self, at: datetime, actor: str) -> None:
        self.last_requested_at = at

    def _set(self, enabled: bool, mode: str, interval_seconds: int, cron: str) -> None:
        self.enabled = enabled
        self.mode = mode
        self.interval_seconds = interval_seconds
        self.cron = cron
