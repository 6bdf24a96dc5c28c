"""Builders and fakes for the setup wizard's tests: a fake MikoPBX on loopback, MIKO's
auto-configuration code, and a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.conftest import free_port


def autoconfig_code(ipset: list[str], password: str = "nats-secret-1", pbx: str = "mikopbx",
                    **extra: Any) -> str:
    """What MIKO's module shows: base64 of {"nats_password", "ipset", "pbx"}."""
    payload = {"nats_password": password, "ipset": ipset, "pbx": pbx, **extra}
    return base64.b64encode(json.dumps(payload).encode()).decode()


class FakeMikoPbx:
    """A MikoPBX that answers the ping on 127.0.0.1; `mode` and `delay` can change at any time:
    "ok" (the v3 API), "old" (only /pbxcore/api/system/ping, "PONG"), "error" (HTTP 500),
    "stranger" (200 but not a MikoPBX). `down()` closes the port."""

    def __init__(self, mode: str = "ok", delay: float = 0.0) -> None:
        self.mode = mode
        self.delay = delay
        self.requests: list[str] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake.requests.append(self.path)
                if fake.delay:
                    time.sleep(fake.delay)
                status, body, kind = fake.answer(self.path)
                data = body.encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", kind)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the checker gave up waiting

            def log_message(self, *args: Any) -> None:
                pass

        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def answer(self, path: str) -> tuple[int, str, str]:
        if self.mode == "error":
            return 500, "Internal Server Error", "text/plain"
        if self.mode == "stranger":
            return 200, "<html>hello</html>", "text/html"
        if path == "/pbxcore/api/v3/system:ping" and self.mode == "ok":
            return 200, json.dumps({"result": True, "data": {"message": "PONG"},
                                    "messages": []}), "application/json"
        if path == "/pbxcore/api/system/ping":
            return 200, "PONG", "text/plain"
        return 404, "Not Found", "text/plain"

    def down(self) -> None:
        self.mode = "closed"
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def fake_pbxs(*modes: str) -> Iterator[list[FakeMikoPbx]]:
    started = [FakeMikoPbx(mode) for mode in modes]
    try:
        yield started
    finally:
        for pbx in started:
            if pbx.mode != "closed":
                pbx.down()


def closed_address() -> str:
    """An address where nothing listens."""
    return f"127.0.0.1:{free_port()}"


class SmtpSink:
    """A real SMTP server (aiosmtpd) on loopback that keeps what it receives; with `refuse`
    (an SMTP reply such as "550 5.1.1 Mailbox unavailable") it refuses every recipient, until
    `refuse` is set to None."""

    def __init__(self, refuse: str | None = None) -> None:
        from aiosmtpd.controller import Controller
        from aiosmtpd.handlers import Message

        sink = self
        self.refuse = refuse
        self.messages: list[Any] = []
        self.refused: list[str] = []

        class Keep(Message):  # type: ignore[misc]
            async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                                  options: list[str]) -> str:
                if sink.refuse:
                    sink.refused.append(address)
                    return sink.refuse
                envelope.rcpt_tos.append(address)
                return "250 OK"

            def handle_message(self, message: Any) -> None:
                sink.messages.append(message)

        self.port = free_port()
        self.controller = Controller(Keep(), hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpSink:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()
