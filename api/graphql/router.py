"""/graphql over HTTP and graphql-transport-ws. A socket signs in with `authorization` in its
connection_init payload; a bad token is refused with 4403; the server closes the socket when the
token expires."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime
from typing import Any

from starlette.websockets import WebSocket, WebSocketState
from strawberry.exceptions import ConnectionRejectionError
from strawberry.fastapi import GraphQLRouter
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.unset import UnsetType

from api.graphql.context import Context, get_context
from api.graphql.schema import build_schema
from application.auth import Principal


class SwitchboardGraphQLRouter(GraphQLRouter[Context, None]):
    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        params: dict[str, Any] = context.connection_params or {}
        token = params.get("authorization") or params.get("Authorization")
        principal = await context.app.auth.authenticate(token if isinstance(token, str)
                                                        else None)
        if principal is None:
            principal = context.principal
        if principal is None:
            raise ConnectionRejectionError()
        context.principal = principal
        socket = context.connection
        if isinstance(socket, WebSocket):
            task = asyncio.create_task(_close_when_signed_out(context, socket, principal))
            _closers.add(task)
            task.add_done_callback(_closers.discard)
        return {"operator": principal.login}


_closers: set[asyncio.Task[None]] = set()


async def _close_when_signed_out(context: Context, socket: WebSocket,
                                 principal: Principal) -> None:
    """Closes the socket with 4403 when its token expires or its session ends (sign-out)."""
    async with context.app.feed.subscribe("sessions", principal.session_id) as ended:
        while ended.empty():
            remaining = (principal.expires_at - datetime.now(UTC)).total_seconds()
            if remaining <= 0:
                break
            if WebSocketState.DISCONNECTED in (socket.client_state, socket.application_state):
                return  # the client left first: nothing to close
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(ended.get(), timeout=min(remaining, 5.0))
                break
    with contextlib.suppress(RuntimeError):  # already closed
        await socket.close(code=4403, reason="Signed out")


def graphql_router(*, graphiql: bool) -> SwitchboardGraphQLRouter:
    return SwitchboardGraphQLRouter(
        build_schema(),
        context_getter=get_context,
        graphql_ide="graphiql" if graphiql else None,
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
        allow_queries_via_get=False,
    )
