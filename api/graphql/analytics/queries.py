"""`analyticsSummary`: what the analytics page draws, for admins and auditors."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry
from anyio import to_thread

from api.graphql.analytics.types import AnalyticsSummary
from api.graphql.context import Info
from api.graphql.permissions import CanAudit
from projections.analytics.queries import check_period, summary


@strawberry.type
class AnalyticsQuery:
    @strawberry.field(permission_classes=[CanAudit],
                      description="Volumes, first-response and resolution percentiles and the "
                                  "per-operator table of the business days `from` to `to` (both "
                                  "included, at most 366). Days without data count zero.")
    async def analytics_summary(
        self, info: Info, from_: Annotated[date, strawberry.argument(name="from")], to: date,
    ) -> AnalyticsSummary:
        check_period(from_, to)  # a clear error before any query
        app = info.context.app

        def read() -> AnalyticsSummary:
            with app.reads.connect() as conn:
                return AnalyticsSummary.of(summary(conn, from_, to),
                                           app.settings.business_timezone)

        return await to_thread.run_sync(read)
