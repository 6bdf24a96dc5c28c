"""The FastAPI application: GraphQL, webhooks, health and metrics, and the panel."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api import health, media, simulator, telegram_phone
from api.graphql.router import graphql_router
from api.middleware import RequestContextMiddleware
from api.panel.routes import mount_panel
from api.webhooks import routes as webhooks
from infra.bootstrap import Container
from infra.services import services_of


def create_app(container: Container, *, manage_lifecycle: bool = True) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if manage_lifecycle:
            container.start()
        await container.feed.start()
        try:
            yield
        finally:
            await container.feed.stop()
            if manage_lifecycle:
                container.stop()

    app = FastAPI(
        title="Switchboard", version="0.1.0", lifespan=lifespan,
        docs_url="/api/docs" if container.settings.is_development else None,
        redoc_url=None,
    )
    app.state.container = container
    app.state.services = services_of(container)  # what GraphQL reaches the application through
    app.add_middleware(RequestContextMiddleware)
    app.include_router(graphql_router(graphiql=container.settings.is_development),
                       prefix="/graphql")
    app.include_router(webhooks.router)
    app.include_router(simulator.router)
    app.include_router(telegram_phone.router)
    app.include_router(health.router)
    app.include_router(media.router)
    mount_panel(app)
    return app
