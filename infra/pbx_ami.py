"""Call back over the Asterisk Manager Interface (AMI) that MikoPBX exposes on TCP 5038.

The protocol (docs.asterisk.org, "AMI Actions: Login, Originate, Logoff", "AMI Events:
OriginateResponse"): on connect the server sends one banner line, `Asterisk Call Manager/<ver>`;
then both sides exchange packets of `Key: Value` lines (CRLF) ended by an empty line. Actions
carry `Action:` and an `ActionID:` that the server's `Response:` repeats; events carry `Event:`.

1. `Action: Login` with `Username`, `Secret`: `Response: Success` ("Authentication accepted"),
   or `Response: Error` ("Authentication failed", and Asterisk closes the connection).
2. `Action: Originate` with `Channel` (the operator's extension), `Exten` (the client's number
   as the PBX dials it), `Context`, `Priority: 1`, `CallerID`, `Timeout` (ms the operator's
   phone rings), `Async: true`, `ActionID`: `Response: Success` ("Originate successfully
   queued") or `Response: Error`. With Async the outcome comes later as
   `Event: OriginateResponse` with the same `ActionID`, `Response: Success|Failure` and
   `Reason` (domain/calls.py reads it).
3. `Action: Logoff`, and the connection closes.

Every wait has a deadline: a PBX that does not answer (or never sends the event) makes the
call FAILED with PBX_SILENT, "no answer from the PBX"."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from dataclasses import dataclass

from domain.calls import Outcome, Reason, outcome_of

log = logging.getLogger(__name__)
BANNER = "Asterisk Call Manager/"
MAX_LINE = 8 * 1024
Packet = dict[str, str]


@dataclass(frozen=True)
class AmiAccess:
    host: str
    port: int
    user: str
    secret: str
    channel: str  # a template with {extension}
    context: str
    ring_seconds: float
    timeout_seconds: float


@dataclass(frozen=True)
class CallOutcome:
    outcome: Outcome
    reason: str = ""
    detail: str = ""


class AmiError(Exception):
    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def encode(packet: Packet) -> bytes:
    return "".join(f"{key}: {value}\r\n" for key, value in packet.items()).encode() + b"\r\n"


async def read_packet(reader: asyncio.StreamReader) -> Packet:
    """One packet: `Key: Value` lines up to an empty line. EOF first: ConnectionError."""
    packet: Packet = {}
    while True:
        line = await reader.readline()
        if not line:
            raise ConnectionError("the PBX closed the connection")
        if len(line) > MAX_LINE:
            raise ConnectionError("a line too long for AMI")
        text = line.decode("utf-8", "replace").rstrip("\r\n")
        if not text:
            if packet:
                return packet
            continue
        key, _, value = text.partition(":")
        packet[key.strip().lower()] = value.strip()


def _one_line(value: str) -> str:
    return value.replace("\r", " ").replace("\n", " ")


class AmiConversation:
    """One call back: connect, log in, originate, wait for its OriginateResponse, log off."""

    def __init__(self, access: AmiAccess) -> None:
        self.access = access

    async def call(self, *, extension: str, exten: str, caller_id: str,
                   action_id: str) -> CallOutcome:
        try:
            return await self._call(extension, exten, caller_id, action_id)
        except AmiError as error:
            return CallOutcome(Outcome.FAILED, error.reason.value, error.detail)

    async def _call(self, extension: str, exten: str, caller_id: str,
                    action_id: str) -> CallOutcome:
        a = self.access
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(a.host, a.port, limit=MAX_LINE * 2),
                a.timeout_seconds)
        except (OSError, TimeoutError) as error:
            raise AmiError(Reason.PBX_UNREACHABLE,
                           f"cannot connect to {a.host}:{a.port}: {error or 'timed out'}"
                           ) from error
        try:
            await self._banner(reader)
            login_id = uuid.uuid4().hex
            writer.write(encode({"Action": "Login", "Username": _one_line(a.user),
                                 "Secret": _one_line(a.secret), "ActionID": login_id}))
            await writer.drain()
            answer = await self._response(reader, login_id, a.timeout_seconds)
            if answer.get("response", "").lower() != "success":
                raise AmiError(Reason.PBX_LOGIN_REFUSED,
                               answer.get("message") or "Authentication failed")
            writer.write(encode({
                "Action": "Originate", "ActionID": action_id,
                "Channel": a.channel.replace("{extension}", extension),
                "Exten": exten, "Context": a.context, "Priority": "1",
                "CallerID": _one_line(caller_id), "Timeout": str(int(a.ring_seconds * 1000)),
                "Async": "true"}))
            await writer.drain()
            queued = await self._response(reader, action_id, a.timeout_seconds)
            if queued.get("response", "").lower() != "success":
                raise AmiError(Reason.PBX_REFUSED,
                               queued.get("message") or "the PBX refused the call")
            event = await self._originate_response(reader, action_id,
                                                   a.ring_seconds + a.timeout_seconds)
            outcome, reason = outcome_of(event.get("response", ""), event.get("reason", ""))
            detail = f"Reason {event.get('reason', '?')}" if reason else ""
            await self._logoff(reader, writer)
            return CallOutcome(outcome, reason, detail)
        except TimeoutError as error:
            raise AmiError(Reason.PBX_SILENT, "no answer from the PBX") from error
        except (ConnectionError, OSError) as error:
            raise AmiError(Reason.PBX_UNREACHABLE, str(error) or "connection lost") from error
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 1)

    async def _banner(self, reader: asyncio.StreamReader) -> None:
        line = await asyncio.wait_for(reader.readline(), self.access.timeout_seconds)
        text = line.decode("utf-8", "replace").strip()
        if not text.startswith(BANNER):
            raise AmiError(Reason.PBX_UNREACHABLE,
                           f"not an Asterisk Manager Interface: {text[:80]!r}")

    async def _response(self, reader: asyncio.StreamReader, action_id: str,
                        seconds: float) -> Packet:
        """The response to our action (events in between are passed over)."""
        async with asyncio.timeout(seconds):
            while True:
                packet = await read_packet(reader)
                if "response" in packet and packet.get("actionid") in (action_id, None):
                    return packet

    async def _originate_response(self, reader: asyncio.StreamReader, action_id: str,
                                  seconds: float) -> Packet:
        async with asyncio.timeout(seconds):
            while True:
                packet = await read_packet(reader)
                if (packet.get("event", "").lower() == "originateresponse"
                        and packet.get("actionid") == action_id):
                    return packet

    async def _logoff(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Says goodbye (Asterisk answers `Response: Goodbye` and closes); never fails."""
        with contextlib.suppress(Exception):
            logoff_id = uuid.uuid4().hex
            writer.write(encode({"Action": "Logoff", "ActionID": logoff_id}))
            await writer.drain()
            await self._response(reader, logoff_id, 1.0)
