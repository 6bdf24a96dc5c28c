"""The typed GraphQL context, built the same way for HTTP requests and WebSockets."""

from __future__ import annotations

from typing import Any

from starlette.requests import HTTPConnection
from strawberry.fastapi import BaseContext
from strawberry.types import Info as StrawberryInfo

from application.auth import Principal
from application.services import Services


class Context(BaseContext):
    def __init__(self, app: Services, connection: HTTPConnection) -> None:
        super().__init__()
        self.app = app  # the application's services (application/services.py)
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
    app: Services = connection.app.state.services
    context = Context(app, connection)
    header = connection.headers.get("authorization")
    if header:
        context.principal = await app.auth.authenticate(header)
    return context
