"""Ports: what the handlers need from the outside world, named for their role."""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate

A = TypeVar("A", bound=Aggregate)


class UnitOfWork(Protocol):
    """The aggregates one command reads and changes; their new events are stored together."""

    def get(self, cls: type[A], aggregate_id: UUID) -> A | None:
        """The aggregate, or None when it does not exist."""

    def add(self, aggregate: Aggregate) -> None:
        """A new aggregate to store with the others."""

    def is_recorded(self, aggregate_id: UUID) -> bool:
        """Whether an aggregate with this id exists. It may answer False optimistically for an
        id it has not seen: the store's uniqueness then refuses the whole batch, and the batch is
        run again with exact answers. Never create an aggregate without asking this first."""


class CommandBus(Protocol):
    def execute(self, command: object) -> Awaitable[Any]:
        """Runs the command's handler and stores its events durably before answering."""


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool: ...


class Clock(Protocol):
    def now(self) -> datetime: ...


class Mailer(Protocol):
    """Sends a plain-text e-mail (SMTP in production, an outbox in development)."""

    async def send(self, to: str, subject: str, body: str) -> None: ...


class SecretBox(Protocol):
    """Encrypts secrets that events must keep (never in clear) with a key from the settings."""

    def encrypt(self, secret: str) -> str: ...

    def decrypt(self, token: str) -> str: ...


REST_ANSWERED = ("REST_OK", "REST_REDIRECTED_HTTPS", "REST_HTTPS")
REST_CODES = (*REST_ANSWERED, "REST_HTTP_ERROR", "REST_NOT_MIKOPBX", "REST_TOO_MANY_REDIRECTS",
              "REST_TIMEOUT", "REST_UNREACHABLE")
NATS_CODES = ("NATS_OK", "NATS_AUTH_REFUSED", "NATS_NO_PASSWORD", "NATS_TLS_REQUIRED",
              "NATS_NOT_NATS", "NATS_ERROR", "NATS_TIMEOUT", "NATS_UNREACHABLE")


@dataclass(frozen=True)
class ProbePart:
    """What one part of a PBX said: a stable code (the panel translates it) and the detail in
    English. REST: REST_OK, REST_REDIRECTED_HTTPS (HTTP sent us to HTTPS, which answered),
    REST_HTTPS (HTTP did not answer, HTTPS did), REST_HTTP_ERROR, REST_NOT_MIKOPBX,
    REST_TOO_MANY_REDIRECTS, REST_TIMEOUT, REST_UNREACHABLE. NATS (MIKO's module, the way 1C
    connects): NATS_OK, NATS_AUTH_REFUSED, NATS_NO_PASSWORD (it wants a password and no code
    gave one), NATS_TLS_REQUIRED, NATS_NOT_NATS, NATS_ERROR, NATS_TIMEOUT, NATS_UNREACHABLE."""

    code: str
    detail: str

    @property
    def ok(self) -> bool:
        return self.code == "NATS_OK" or self.code in REST_ANSWERED


@dataclass(frozen=True)
class PbxAnswer:
    """What one address of the PBX answered: its web interface (REST) and its NATS server."""

    rest: ProbePart
    nats: ProbePart


class PbxProbe(Protocol):
    """Asks a PBX at `address` over its REST API and, as 1C does, over the NATS server of
    MIKO's module (with the auto-configuration code's password; None: no code was given)."""

    async def check(self, address: str, nats_password: str | None,
                    seconds: float) -> PbxAnswer: ...


# -- WhatsApp (the gateway issue builds outgoing messages on `send_text`) -----------------------
@dataclass(frozen=True)
class LinkedAccount:
    """Whom a gateway is linked as: the company's number (E.164) and the linked device."""

    phone: str
    device: str


@dataclass(frozen=True)
class GatewaySession:
    """What a gateway says about its session. `status` is one of STOPPED, STARTING,
    SCAN_QR_CODE, WORKING, FAILED (WAHA's own words)."""

    status: str
    account: LinkedAccount | None = None
    reason: str = ""


@dataclass(frozen=True)
class MediaFile:
    """A file as it travels to or from a gateway: its bytes, its type, its name."""

    content: bytes
    mime_type: str
    file_name: str = ""


class BlobStore(Protocol):
    """Where files are kept, named by the sha256 of their bytes (a local folder, or an
    S3-compatible bucket). The same bytes twice are kept once."""

    def put(self, content: bytes) -> str:
        """Keeps `content`; answers its sha256 (hex)."""

    def get(self, sha256: str) -> bytes:
        """The bytes kept under `sha256`; KeyError when there are none."""

    def exists(self, sha256: str) -> bool: ...

    def delete(self, sha256: str) -> None:
        """Forgets the bytes kept under `sha256` (nothing when there are none)."""


class GatewayError(Exception):
    """A gateway refused or could not be reached. `code` is stable (the panel translates it);
    `retryable` says whether trying again later may succeed."""

    def __init__(self, message: str, *, code: str = "GATEWAY_ERROR",
                 retryable: bool = True) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.retryable = retryable


class WhatsAppGateway(Protocol):
    """The company's WhatsApp account, reached through a simulator, WAHA or the Cloud API.
    Every method may block on I/O: call it from a thread, never from a handler."""

    kind: str
    """"simulator", "waha" or "cloud" — also the channel name of the messages it delivers."""
    supports_linking: bool
    """Whether it links by QR code and pairing code (the Cloud API has no linked devices)."""
    idempotent_sends: bool
    """Whether `send_text` with a repeated idempotency key returns the first id, sending once."""
    reply_window: timedelta | None
    """How long after the client's last message free text may be sent (Cloud: 24 h)."""

    def start(self) -> GatewaySession:
        """Starts (or restarts) the session so that it can be linked; a new QR series."""

    def status(self) -> GatewaySession: ...

    def qr_code(self) -> str:
        """The raw value of the QR code to show now (draw it yourself)."""

    def request_pairing_code(self, phone: str) -> str:
        """A code like ABCD-EFGH to enter on the phone `phone` (E.164) instead of scanning."""

    def logout(self) -> None:
        """Unlinks the device from the account; the next link needs a new scan."""

    def reconnect(self) -> GatewaySession:
        """Tries to bring a lost connection back; answers the session as it is afterwards."""

    def resume(self, account: LinkedAccount | None) -> None:
        """Called once at start with the account the channel's history says is linked; a
        gateway that keeps no state of its own (the simulator) takes it as its own."""

    def send_text(self, to: str, text: str, idempotency_key: str) -> str:
        """Sends `text` to `to` (E.164); returns the gateway's id of the message, which its
        delivery reports name. Raises GatewayError."""

    def send_media(self, to: str, kind: str, file: MediaFile, caption: str,
                   idempotency_key: str) -> str:
        """Sends an image or a document (`kind`) with its caption; returns the gateway's id of
        the message, as `send_text` does. Raises GatewayError."""

    def download_media(self, source: str, max_bytes: int) -> MediaFile:
        """The file a client sent, from the gateway's reference to it (`source`: a WAHA media
        URL, a Cloud API media id, the simulator's file id). Refuses (GatewayError, code
        FILE_TOO_LARGE, not retryable) a file over `max_bytes` without reading it whole."""

    def mark_read(self, to: str, external_ids: Sequence[str]) -> None:
        """Shows the client their messages as read (application/channels.py `Outbound`)."""

    def typing(self, to: str, on: bool, latest: str | None) -> None:
        """Shows the client "typing…", or no longer (application/channels.py `Outbound`)."""


@dataclass(frozen=True)
class DeliveryReport:
    """A gateway's report on a message the company sent: sent, delivered, read, played or
    failed (with the gateway's error code and reason)."""

    channel: str
    external_id: str
    status: str
    at: datetime
    recipient: str = ""
    error_code: str = ""
    error: str = ""


class DeliveryReports(Protocol):
    """Where webhooks hand delivery reports (the outgoing-messages feature records them)."""

    async def report(self, reports: list[DeliveryReport]) -> None: ...
