"""The analytics summary as panels read it (figures from the analytics read models)."""

from __future__ import annotations

from datetime import date

import strawberry

from projections.analytics.queries import Durations, OperatorFigures, Summary


@strawberry.type(description="How long something took, in seconds: how many were measured, "
                             "the median and the 90th percentile (null when none was).")
class DurationStats:
    count: int
    median_seconds: float | None
    p90_seconds: float | None

    @classmethod
    def of(cls, durations: Durations) -> DurationStats:
        return cls(count=durations.count, median_seconds=durations.median_seconds,
                   p90_seconds=durations.p90_seconds)


@strawberry.type(description="Totals of the period.")
class AnalyticsTotals:
    messages_in: int = strawberry.field(description="Clients' messages received.")
    messages_out: int = strawberry.field(description="Operators' messages queued to send.")
    dialogs_opened: int
    dialogs_resolved: int
    transfers: int = strawberry.field(description="Transfers of the dialogs opened.")
    failed_messages: int = strawberry.field(description="Outgoing messages that failed (and "
                                                        "were not sent again).")


@strawberry.type(description="One business day of the period.")
class AnalyticsDay:
    day: date
    messages_in: int
    messages_out: int
    dialogs_opened: int
    dialogs_resolved: int
    first_response: DurationStats = strawberry.field(
        description="First responses in the dialogs opened that day.")


@strawberry.type(description="One operator's figures over the period.")
class OperatorAnalytics:
    operator_id: strawberry.ID
    name: str
    login: str
    dialogs_assigned: int = strawberry.field(
        description="Dialogs that came to them: assigned, claimed or transferred to them.")
    messages_sent: int
    dialogs_resolved: int = strawberry.field(description="Dialogs they held when resolved.")
    first_response: DurationStats = strawberry.field(
        description="Their first responses in the dialogs opened in the period.")
    online_seconds: float = strawberry.field(
        description="Online (a panel open, not away), counted when each stretch ended.")

    @classmethod
    def of(cls, figures: OperatorFigures) -> OperatorAnalytics:
        return cls(operator_id=strawberry.ID(str(figures.operator_id)), name=figures.name,
                   login=figures.login, dialogs_assigned=figures.dialogs_assigned,
                   messages_sent=figures.messages_sent,
                   dialogs_resolved=figures.dialogs_resolved,
                   first_response=DurationStats.of(figures.first_response),
                   online_seconds=figures.online_seconds)


@strawberry.type(description="Volumes, response and resolution times and the per-operator "
                             "table for the business days `from` to `to` (both included), in "
                             "the business time zone.")
class AnalyticsSummary:
    from_: date = strawberry.field(name="from")
    to: date
    timezone: str
    totals: AnalyticsTotals
    days: list[AnalyticsDay]
    first_response: DurationStats = strawberry.field(
        description="From the client's first message to the first operator message, in the "
                    "dialogs opened in the period.")
    resolution: DurationStats = strawberry.field(
        description="From opening to resolution, of the dialogs resolved in the period.")
    waiting: DurationStats = strawberry.field(
        description="From opening until an operator first held the dialog.")
    operators: list[OperatorAnalytics]

    @classmethod
    def of(cls, summary: Summary, timezone: str) -> AnalyticsSummary:
        t = summary.totals
        return cls(
            from_=summary.first, to=summary.last, timezone=timezone,
            totals=AnalyticsTotals(
                messages_in=t.messages_in, messages_out=t.messages_out,
                dialogs_opened=t.dialogs_opened, dialogs_resolved=t.dialogs_resolved,
                transfers=t.transfers, failed_messages=t.failed_messages),
            days=[AnalyticsDay(day=d.day, messages_in=d.messages_in,
                               messages_out=d.messages_out, dialogs_opened=d.dialogs_opened,
                               dialogs_resolved=d.dialogs_resolved,
                               first_response=DurationStats.of(d.first_response))
                  for d in summary.days],
            first_response=DurationStats.of(summary.first_response),
            resolution=DurationStats.of(summary.resolution),
            waiting=DurationStats.of(summary.waiting),
            operators=[OperatorAnalytics.of(o) for o in summary.operators])
