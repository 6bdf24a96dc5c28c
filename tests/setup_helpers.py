"""Builders and fakes for the setup wizard's tests: a fake MikoPBX on loopback, MIKO's
auto-configuration code, and a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import base64
import json
import ssl
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.conftest import free_port


def autoconfig_code(ipset: list[str], password: str = "nats-secret-1", pbx: str = "mikopbx",
                    **extra: Any) -> str:
    """What MIKO's module shows: base64 of {"nats_password", "ipset", "pbx"}."""
    payload = {"nats_password": password, "ipset": ipset, "pbx": pbx, **extra}
    return base64.b64encode(json.dumps(payload).encode()).decode()


def self_signed_tls() -> ssl.SSLContext:
    """A server context with a fresh self-signed certificate, as a MikoPBX has out of the box."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mikopbx")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
            .sign(key, hashes.SHA256()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with tempfile.TemporaryDirectory() as folder:
        cert_file, key_file = Path(folder) / "cert.pem", Path(folder) / "key.pem"
        cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_file.write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))
        context.load_cert_chain(cert_file, key_file)
    return context


class FakeMikoPbx:
    """A MikoPBX that answers the ping on 127.0.0.1; `mode` and `delay` can change at any time:
    "ok" (the v3 API), "old" (only /pbxcore/api/system/ping, "PONG"), "error" (HTTP 500),
    "stranger" (200 but not a MikoPBX), "redirect" (301 to `location` + the path, as a MikoPBX
    set to HTTPS answers on HTTP). With `tls` it speaks only HTTPS, with a self-signed
    certificate. `down()` closes the port."""

    def __init__(self, mode: str = "ok", delay: float = 0.0,
                 tls: ssl.SSLContext | None = None) -> None:
        self.mode = mode
        self.delay = delay
        self.location = ""
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
                    if status in (301, 302, 307, 308):
                        self.send_header("Location", fake.location + self.path)
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
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.scheme = "https" if tls is not None else "http"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.address}"

    def answer(self, path: str) -> tuple[int, str, str]:
        if self.mode == "redirect":
            return 301, "Moved Permanently", "text/plain"
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
    """An address where nothing listens: on 127.0.0.2, so that not even the tests' NATS server
    (on 127.0.0.1, where the fake PBXs are) answers there."""
    return f"127.0.0.2:{free_port()}"


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
