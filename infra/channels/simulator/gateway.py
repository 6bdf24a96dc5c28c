"""The built-in WhatsApp simulator: the company's WhatsApp account and a phone, inside the app.

As a gateway it behaves like WAHA: a session that starts, shows QR codes (the supervisor's real
timers rotate them), is linked by a scan or a pairing code, logs out, loses its connection and
comes back. As a phone it is what the phone page and `switchboard phone …` drive: scan the current
code, enter a pairing code, write as a client, read what the company sent to a number, acknowledge
delivery and reading, drop the connection and restore it. Messages clients write while the
connection is down wait on the "WhatsApp servers" and are delivered when it comes back.

State lives in memory; the channel's history tells it at start whom it is linked as (`resume`)."""

from __future__ import annotations

import secrets
import string
import threading
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from application.ports import GatewayError, GatewaySession, LinkedAccount, MediaFile

DEFAULT_NUMBER = "+15555550100"  # a number reserved for fiction
DEVICE = "Switchboard simulator"
Listener = Callable[[GatewaySession], Any]
PAIRING_ALPHABET = "ABCDEFGHJKLMNPQRSTVWXYZ23456789"
STATUS_ORDER = {"sent": 1, "delivered": 2, "read": 3, "played": 4}


class PhoneRefused(Exception):
    """The simulated phone cannot do this now; `code` says why, for the page to translate."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class SentMessage:
    """What the company sent to a client's phone, as the phone shows it."""

    id: str
    to: str
    text: str
    at: datetime
    status: str = "delivered"
    media: dict[str, Any] | None = None  # kind, mime_type, file_name, size of a sent file


@dataclass(frozen=True)
class WaitingMessage:
    """A client's message waiting on the servers while the company's device is offline."""

    id: str
    phone: str
    name: str
    text: str
    at: datetime


@dataclass
class _State:
    status: str = "STOPPED"
    reason: str = ""
    account: LinkedAccount | None = None
    qr: str = ""
    pairing: tuple[str, str] | None = None  # (phone, code)
    dropped: bool = False
    waiting: list[WaitingMessage] = field(default_factory=list)
    sent: defaultdict[str, list[SentMessage]] = field(default_factory=lambda: defaultdict(list))
    keys: dict[str, str] = field(default_factory=dict)
    files: dict[str, MediaFile] = field(default_factory=dict)  # the servers' media, by id
    seen: defaultdict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    typing: set[str] = field(default_factory=set)  # the clients who see "typing…" now


class SimulatorWhatsAppGateway:
    kind = "simulator"
    supports_linking = True
    idempotent_sends = True
    reply_window: timedelta | None = None

    def __init__(self, number: str = DEFAULT_NUMBER,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.number = number
        self._now = now
        self._lock = threading.Lock()
        self._state = _State()
        self._listeners: list[Listener] = []

    def listen(self, listener: Listener) -> None:
        """`listener(session)` hears every change of the session, like WAHA's webhooks."""
        self._listeners.append(listener)

    # -- the gateway port ------------------------------------------------------------------
    def start(self) -> GatewaySession:
        with self._lock:
            s = self._state
            if s.status != "WORKING":
                s.status, s.reason, s.account = "SCAN_QR_CODE", "", None
                s.qr, s.pairing, s.dropped = "", None, False
            return self._session()

    def status(self) -> GatewaySession:
        with self._lock:
            return self._session()

    def qr_code(self) -> str:
        with self._lock:
            if self._state.status != "SCAN_QR_CODE":
                raise GatewayError(f"No QR code: the session is {self._state.status}.",
                                   code="NOT_SCANNING", retryable=False)
            # WhatsApp's codes look like "2@<ref>,<public key>,<identity key>,<adv secret>"
            parts = [secrets.token_urlsafe(n) for n in (48, 32, 32, 24)]
            self._state.qr = "2@" + ",".join(parts)
            return self._state.qr

    def request_pairing_code(self, phone: str) -> str:
        with self._lock:
            if self._state.status != "SCAN_QR_CODE":
                raise GatewayError(f"No pairing code: the session is {self._state.status}.",
                                   code="NOT_SCANNING", retryable=False)
            code = "".join(secrets.choice(PAIRING_ALPHABET) for _ in range(8))
            code = f"{code[:4]}-{code[4:]}"
            self._state.pairing = (phone, code)
            return code

    def logout(self) -> None:
        with self._lock:
            self._state.status, self._state.account = "STOPPED", None
            self._state.qr, self._state.pairing, self._state.dropped = "", None, False
            self._state.reason = "Logged out."

    def reconnect(self) -> GatewaySession:
        with self._lock:
            s = self._state
            if s.account is not None and not s.dropped:
                s.status, s.reason = "WORKING", ""
            return self._session()

    def resume(self, account: LinkedAccount | None) -> None:
        with self._lock:
            if account is not None and self._state.account is None:
                self._state.account = account
                self._state.status = "WORKING"

    def send_text(self, to: str, text: str, idempotency_key: str) -> str:
        with self._lock:
            s = self._state
            if idempotency_key and idempotency_key in s.keys:
                return s.keys[idempotency_key]
            if s.status != "WORKING":
                raise GatewayError("The simulated WhatsApp is not connected.",
                                   code="NOT_CONNECTED")
            if not text.strip():
                raise GatewayError("An empty message.", code="EMPTY_TEXT", retryable=False)
            external_id = f"sim-out-{uuid.uuid4().hex}"
            s.sent[to].append(SentMessage(id=external_id, to=to, text=text, at=self._now(),
                                          status="delivered"))
            s.typing.discard(to)  # a message that comes ends "typing…"
            if idempotency_key:
                s.keys[idempotency_key] = external_id
            return external_id

    def send_media(self, to: str, kind: str, file: MediaFile, caption: str,
                   idempotency_key: str) -> str:
        with self._lock:
            s = self._state
            if idempotency_key and idempotency_key in s.keys:
                return s.keys[idempotency_key]
            if s.status != "WORKING":
                raise GatewayError("The simulated WhatsApp is not connected.",
                                   code="NOT_CONNECTED")
            if not file.content:
                raise GatewayError("An empty file.", code="EMPTY_FILE", retryable=False)
            external_id = f"sim-out-{uuid.uuid4().hex}"
            file_id = f"sim-media-{uuid.uuid4().hex}"
            s.files[file_id] = file
            s.sent[to].append(SentMessage(
                id=external_id, to=to, text=caption, at=self._now(), status="delivered",
                media={"kind": kind, "mime_type": file.mime_type, "file_name": file.file_name,
                       "size": len(file.content), "id": file_id}))
            if idempotency_key:
                s.keys[idempotency_key] = external_id
            return external_id

    def download_media(self, source: str, max_bytes: int) -> MediaFile:
        with self._lock:
            file = self._state.files.get(source)
        if file is None:
            raise GatewayError("The simulated servers have no such file.", code="MEDIA_GONE",
                               retryable=False)
        if len(file.content) > max_bytes:
            raise GatewayError(f"The file is over the {max_bytes}-byte limit.",
                               code="FILE_TOO_LARGE", retryable=False)
        return file

    def mark_read(self, to: str, external_ids: Sequence[str]) -> None:
        """The client's phone shows their messages read (blue ticks), as WAHA's sendSeen."""
        with self._lock:
            if self._state.status != "WORKING":
                raise GatewayError("The simulated WhatsApp is not connected.",
                                   code="NOT_CONNECTED")
            seen = self._state.seen[to]
            seen.extend(i for i in external_ids if i not in seen)

    def typing(self, to: str, on: bool, latest: str | None) -> None:
        """The client's phone shows "typing…" until stopped, as WAHA's start/stopTyping."""
        with self._lock:
            if self._state.status != "WORKING":
                raise GatewayError("The simulated WhatsApp is not connected.",
                                   code="NOT_CONNECTED")
            if on:
                self._state.typing.add(to)
            else:
                self._state.typing.discard(to)

    # -- the phone -------------------------------------------------------------------------
    def seen_by_company(self, phone: str) -> list[str]:
        """The client's messages the company has shown read, by id, in the order marked."""
        with self._lock:
            return list(self._state.seen.get(phone, ()))

    def company_typing(self, phone: str) -> bool:
        """Whether the client's phone shows the company typing now."""
        with self._lock:
            return phone in self._state.typing

    def upload(self, file: MediaFile) -> str:
        """The client's phone puts a file on the servers; answers its id for the webhook."""
        file_id = f"sim-media-{uuid.uuid4().hex}"
        with self._lock:
            self._state.files[file_id] = file
        return file_id

    def file(self, file_id: str) -> MediaFile | None:
        """A file on the servers (what the company sent, as the phone shows it)."""
        with self._lock:
            return self._state.files.get(file_id)

    def scan(self, value: str | None = None) -> GatewaySession:
        """The phone scans the code shown on the screen (or the given value)."""
        with self._lock:
            s = self._state
            if s.status != "SCAN_QR_CODE" or not s.qr:
                raise PhoneRefused("No QR code is shown: start linking in the admin area first.",
                                   "NO_QR_CODE")
            if value is not None and value != s.qr:
                raise PhoneRefused("This QR code has expired; scan the current one.",
                                   "QR_CODE_EXPIRED")
            self._link(self.number)
            session = self._session()
        self._tell(session)
        return session

    def enter_pairing_code(self, code: str) -> GatewaySession:
        with self._lock:
            s = self._state
            if s.status != "SCAN_QR_CODE" or s.pairing is None:
                raise PhoneRefused("No pairing code was requested.", "NO_PAIRING_CODE")
            if code.strip().upper().replace(" ", "") != s.pairing[1]:
                raise PhoneRefused("This is not the code shown in the admin area.",
                                   "WRONG_PAIRING_CODE")
            self._link(s.pairing[0])
            session = self._session()
        self._tell(session)
        return session

    def drop(self) -> GatewaySession:
        """The company's phone loses its connection (Wi-Fi gone, battery flat)."""
        with self._lock:
            s = self._state
            if s.account is None:
                raise PhoneRefused("WhatsApp is not linked: there is no connection to drop.",
                                   "NOT_LINKED")
            s.dropped, s.status = True, "STARTING"
            s.reason = "The phone lost its connection."
            session = self._session()
        self._tell(session)
        return session

    def restore(self) -> tuple[GatewaySession, list[WaitingMessage]]:
        """The connection is back; answers what clients wrote meanwhile, to be delivered now."""
        with self._lock:
            s = self._state
            s.dropped = False
            if s.account is not None:
                s.status, s.reason = "WORKING", ""
            waiting, s.waiting = s.waiting, []
            session = self._session()
        self._tell(session)
        return session, waiting

    def client_writes(self, message: WaitingMessage) -> bool:
        """True when the message can be delivered now; False when it waits for the connection
        to come back. Refused while WhatsApp is not linked at all."""
        with self._lock:
            s = self._state
            if s.account is None:
                raise PhoneRefused("The company's WhatsApp is not linked to Switchboard: link it "
                                   "in the admin area, then scan the code from this page.",
                                   "NOT_LINKED")
            if s.dropped:
                if all(waiting.id != message.id for waiting in s.waiting):  # sent twice: once
                    s.waiting.append(message)
                return False
            return True

    def sent_to(self, phone: str) -> list[SentMessage]:
        with self._lock:
            return list(self._state.sent.get(phone, ()))

    def acknowledge(self, phone: str, external_id: str, status: str) -> SentMessage:
        """The client's phone marks a message delivered or read (never backwards)."""
        if status not in STATUS_ORDER:
            raise PhoneRefused("A message is acknowledged as delivered, read or played.",
                               "BAD_STATUS")
        with self._lock:
            messages = self._state.sent.get(phone, [])
            for i, sent in enumerate(messages):
                if sent.id == external_id:
                    if STATUS_ORDER[status] > STATUS_ORDER.get(sent.status, 0):
                        messages[i] = replace(sent, status=status)
                    return messages[i]
        raise PhoneRefused("No such message on this phone.", "NO_SUCH_MESSAGE")

    def snapshot(self) -> dict[str, Any]:
        """What the phone page shows about the company's WhatsApp."""
        with self._lock:
            s = self._state
            return {
                "status": s.status, "reason": s.reason, "number": self.number,
                "linked_as": s.account.phone if s.account else None,
                "dropped": s.dropped, "waiting": len(s.waiting),
                "qr_shown": bool(s.qr) and s.status == "SCAN_QR_CODE",
                "pairing_requested": s.pairing is not None and s.status == "SCAN_QR_CODE",
            }

    # -- inside ----------------------------------------------------------------------------
    def _link(self, phone: str) -> None:
        s = self._state
        s.status, s.reason = "WORKING", ""
        s.account = LinkedAccount(phone=phone, device=DEVICE)
        s.qr, s.pairing, s.dropped = "", None, False

    def _session(self) -> GatewaySession:
        s = self._state
        return GatewaySession(status=s.status, account=s.account, reason=s.reason)

    def _tell(self, session: GatewaySession) -> None:
        for listener in list(self._listeners):
            listener(session)


def random_message_id() -> str:
    return "sim-" + "".join(secrets.choice(string.hexdigits.lower()) for _ in range(24))
