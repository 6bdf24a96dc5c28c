"""Cron schedules mean what standard cron means (days of the week from Sunday = 0, 7 Sunday too,
names, ranges, lists and steps; the day of the month or of the week when both are given), and
the scheduler runs exactly that: whatever the check accepts, APScheduler's trigger builds; what
it could not follow is refused when it is set. Health's deadline for a waiting message follows
the schedule's fire times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from application import outbox as ob
from domain.errors import InvalidValue
from domain.sync import check_cron
from infra.sync_job import cron_trigger, send_deadline

MONDAY = datetime(2030, 1, 7, 0, 0, tzinfo=UTC)
UTC_ZONE = ZoneInfo("UTC")


def fire_times(expression: str, start: datetime = MONDAY, days: int = 7) -> list[datetime]:
    trigger = cron_trigger(check_cron(expression), UTC_ZONE)
    fires: list[datetime] = []
    fire = trigger.get_next_fire_time(None, start)
    while fire is not None and fire < start + timedelta(days=days):
        fires.append(fire)
        fire = trigger.get_next_fire_time(fire, fire)
    return fires


def weekdays(expression: str) -> list[str]:
    return [fire.strftime("%a") for fire in fire_times(expression)]


def test_weekdays_one_to_five_run_monday_to_friday_only() -> None:
    fires = fire_times("0 9 * * 1-5")
    assert [f.strftime("%a %H:%M") for f in fires] == [
        "Mon 09:00", "Tue 09:00", "Wed 09:00", "Thu 09:00", "Fri 09:00"]
    assert weekdays("0 9 * * mon-fri") == ["Mon", "Tue", "Wed", "Thu", "Fri"]


def test_zero_and_seven_are_sunday_and_names_run_from_sunday_to_saturday() -> None:
    assert weekdays("0 9 * * 0") == weekdays("0 9 * * 7") == weekdays("0 9 * * sun") == ["Sun"]
    assert weekdays("0 9 * * sun-sat") == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    assert weekdays("0 9 * * 5-7") == ["Fri", "Sat", "Sun"]
    assert weekdays("0 9 * * 6,0") == ["Sat", "Sun"]
    assert weekdays("0 9 * * */2") == ["Tue", "Thu", "Sat", "Sun"]
    assert weekdays("0 9 * * mon-fri/2") == ["Mon", "Wed", "Fri"]


def test_a_day_of_the_month_or_of_the_week_runs_when_both_are_given() -> None:
    fires = fire_times("0 9 1 * mon", start=datetime(2030, 1, 28, tzinfo=UTC), days=14)
    assert [f.strftime("%a %d") for f in fires] == ["Mon 28", "Fri 01", "Mon 04"]
    both = fire_times("0 9 */10 * mon", days=60)  # a field starting with "*": both must match
    assert [f.strftime("%a %d %b") for f in both] == ["Mon 21 Jan", "Mon 11 Feb"]


def test_minutes_hours_and_months_follow_steps_and_ranges_apscheduler_would_refuse() -> None:
    assert [f.strftime("%H:%M") for f in fire_times("0-5/10 9 * * *", days=1)] == ["09:00"]
    assert [f.strftime("%H:%M") for f in fire_times("50/15 9 * * *", days=1)] == ["09:50"]
    assert [f.strftime("%H:%M") for f in fire_times("0 */9 * * *", days=1)] == [
        "00:00", "09:00", "18:00"]
    yearly = fire_times("0 0 1 jan-dec/5 *", start=datetime(2030, 1, 1, tzinfo=UTC), days=365)
    assert [f.strftime("%b") for f in yearly] == ["Jan", "Jun", "Nov"]


@pytest.mark.parametrize("expression", [
    "* * * * *", "*/59 * * * *", "59 23 31 12 7", "0 0 29 2 *", "0 9-18 * * mon-fri",
    "1,2,3-5,*/20 * * * *", "0 0 * jan,jul sun", "0 12 15 * 0-7/7", "0 0 31 * *",
])
def test_every_expression_the_check_accepts_is_one_the_scheduler_builds_and_fires(
        expression: str) -> None:
    trigger = cron_trigger(check_cron(expression), UTC_ZONE)
    assert trigger.get_next_fire_time(None, MONDAY) is not None


@pytest.mark.parametrize("expression", [
    "0 9 * * 8", "0 9 * * sat-sun", "0 9 * * 7-1", "0 0 31 2 *", "0 0 30,31 feb *",
    "*/60 * * * *", "0 9 * * mon/0", "0 9 * * monday", "0 0 0 * *",
])
def test_what_the_scheduler_could_not_follow_is_refused_when_it_is_set(expression: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        check_cron(expression)
    assert refused.value.field == "cron"


def cron(expression: str) -> ob.ScheduleState:
    return ob.ScheduleState(enabled=True, mode=ob.ScheduleMode.CRON, interval_seconds=60,
                            cron=expression)


def test_a_waiting_message_is_late_only_after_the_fire_time_that_should_have_sent_it() -> None:
    friday_evening = datetime(2030, 1, 4, 17, 0, tzinfo=UTC)
    weekdays_at_nine = cron("0 9 * * 1-5")
    assert send_deadline(weekdays_at_nine, "UTC", friday_evening, grace=30) == datetime(
        2030, 1, 7, 9, 0, 30, tzinfo=UTC)  # Monday's run, not Saturday's
    just_before = datetime(2030, 1, 7, 8, 59, 50, tzinfo=UTC)  # the 9:00 run may not see it
    assert send_deadline(weekdays_at_nine, "UTC", just_before, grace=30) == datetime(
        2030, 1, 8, 9, 0, 30, tzinfo=UTC)
    switched_on = datetime(2030, 1, 7, 10, 0, tzinfo=UTC)  # waited while sync was off
    assert send_deadline(weekdays_at_nine, "UTC", friday_evening, since=switched_on,
                         grace=30) == datetime(2030, 1, 8, 9, 0, 30, tzinfo=UTC)
    every_minute = ob.ScheduleState(enabled=True, mode=ob.ScheduleMode.INTERVAL,
                                    interval_seconds=60, cron="")
    assert send_deadline(every_minute, "UTC", friday_evening, since=switched_on,
                         grace=30) == switched_on + timedelta(seconds=90)
