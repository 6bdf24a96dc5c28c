"""/graphql over HTTP and graphql-transport-ws. A socket signs in with `authorization` in its
connection_init payload; a bad token is refused with 4403; the server closes the socket when the
token expires."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime
from typing import Any

from starlette.websockets import WebSocket
from strawberry.exceptions import ConnectionRejectionError
from strawberry.fastapi import GraphQLRouter
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.unset import UnsetType

from api.graphql.context import Context, get_context
from api.graphql.schema import build_schema


class SwitchboardGraphQLRouter(GraphQLRouter[Context, None]):
    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        params: dict[str, Any] = context.connection_params or {}
        token = params.get("authorization") or params.get("Authorization")
        principal = await context.container.auth.authenticate(token if isinstance(token, str)
                                                              else None)
        if principal is None:
            principal = context.principal
        if principal is None:
            raise ConnectionRejectionError()
        context.principal = principal
        socket = context.connection
        if isinstance(socket, WebSocket):
            delay = (principal.expires_at - datetime.now(UTC)).total_seconds()
            loop = asyncio.get_running_loop()
            loop.call_later(max(delay, 0), lambda: loop.create_task(_expire(socket)))
        return {"operator": principal.login}


async def _expire(socket: WebSocket) -> None:
    with contextlib.suppress(RuntimeError):  # already closed
        await socket.close(code=4403, reason="Token expired")


def graphql_router(*, graphiql: bool) -> SwitchboardGraphQLRouter:
    return SwitchboardGraphQLRouter(
        build_schema(),
        context_getter=get_context,
        graphql_ide="graphiql" if graphiql else None,
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
        allow_queries_via_get=False,
    )
