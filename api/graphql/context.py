"""The typed GraphQL context, built the same way for HTTP requests and WebSockets."""

from __future__ import annotations

from typing import Any

from starlette.requests import HTTPConnection
from strawberry.fastapi import BaseContext
from strawberry.types import Info as StrawberryInfo

from application.auth import Principal
from infra.bootstrap import Container


class Context(BaseContext):
    def __init__(self, container: Container, connection: HTTPConnection) -> None:
        super().__init__()
        self.container = container
        self.connection = connection
        self.principal: Principal | None = None
        self.connection_params: dict[str, Any] | None = None

    @property
    def address(self) -> str:
        client = self.connection.client
        return client.host if client else "unknown"

    @property
    def me(self) -> Principal:
        """The signed-in caller; permission classes guarantee one where this is used."""
        assert self.principal is not None
        return self.principal


Info = StrawberryInfo[Context, None]


async def get_context(connection: HTTPConnection) -> Context:
    container: Container = connection.app.state.container
    context = Context(container, connection)
    header = connection.headers.get("authorization")
    if header:
        context.principal = await container.auth.authenticate(header)
    return context
