"""A request id on every request and log line, and request latencies for /metrics."""

from __future__ import annotations

import itertools
import secrets
import time

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from infra.metrics import REQUEST_LATENCY


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        # Unique across processes and cheap per request (no system call on the hot path).
        self._prefix = secrets.token_hex(8)
        self._counter = itertools.count(1)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        request_id = (headers.get(b"x-request-id", b"").decode()[:64]
                      or f"{self._prefix}{next(self._counter):016x}")
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"],
                                      (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            route = scope.get("route")
            # a route may name itself more precisely (each active channel's webhook)
            path = scope.get("metrics_route") or getattr(route, "path", None) or "unmatched"
            REQUEST_LATENCY.labels(scope["method"], path, str(status)).observe(
                time.perf_counter() - started)
            structlog.contextvars.unbind_contextvars("request_id")
