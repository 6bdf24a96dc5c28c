from __future__ import annotations

import strawberry
from anyio import to_thread

from api.graphql.calls.types import CallBackAvailability
from api.graphql.context import Info
from api.graphql.permissions import CanWrite
from projections.calls import operator_extension


@strawberry.type
class CallsQuery:
    @strawberry.field(permission_classes=[CanWrite],
                      description="Whether you can call clients back through the PBX: it needs "
                                  "the PBX's manager interface set up and your extension among "
                                  "the employees' numbers.")
    async def call_back_availability(self, info: Info) -> CallBackAvailability:
        app = info.context.app
        engine = app.reads
        me = info.context.me.operator_id

        def read() -> str:
            with engine.connect() as conn:
                return operator_extension(conn, me)

        extension = await to_thread.run_sync(read)
        if not app.call_backs.configured:
            return CallBackAvailability(available=False, refusal="PBX_NOT_CONFIGURED",
                                        extension=extension)
        if not extension:
            return CallBackAvailability(available=False, refusal="NO_EXTENSION")
        return CallBackAvailability(available=True, extension=extension)
