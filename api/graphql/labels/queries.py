"""`labels`: every label, for everyone signed in (operators pick from it, auditors read it)."""

from __future__ import annotations

import strawberry
from anyio import to_thread

from api.graphql.context import Info
from api.graphql.labels.types import Label
from api.graphql.permissions import IsAuthenticated
from projections.labels import all_labels


@strawberry.type
class LabelsQuery:
    @strawberry.field(permission_classes=[IsAuthenticated],
                      description="Every label, by name.")
    async def labels(self, info: Info) -> list[Label]:
        engine = info.context.app.reads

        def read() -> list[Label]:
            with engine.connect() as conn:
                return [Label.of(row) for row in all_labels(conn)]

        return await to_thread.run_sync(read)
