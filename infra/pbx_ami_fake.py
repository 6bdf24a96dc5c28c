"""A fake PBX manager interface for tests and development: a real TCP server on loopback that
speaks the Asterisk Manager Interface as Asterisk does, for the actions call back uses.

What it follows (and where that is written):
- The banner: one line `Asterisk Call Manager/<version>` as soon as a client connects, before
  anything is asked (a real session, gist marrold/652ca6afc0a1d551332cdbff6cae2099: "Asterisk
  Call Manager/5.0.3" then the Login's answer).
- Packets: `Key: Value` lines ended with CRLF, a packet ended by an empty line; the response to
  an action repeats its `ActionID` (docs.asterisk.org, AMI Actions, "ActionID for this
  transaction. Will be returned.").
- `Action: Login` with `Username` and `Secret`: `Response: Success` + `Message: Authentication
  accepted`, or `Response: Error` + `Message: Authentication failed`, after which Asterisk
  closes the connection (asterisk-java's LoginAction: "An unsuccessful login results in an
  ManagerError being received from the server with a message set to 'Authentication failed'
  and the socket being closed by Asterisk"). Any other action before logging in: `Response:
  Error`, `Message: Permission denied`.
- `Action: Originate` (docs.asterisk.org, AMI Actions/Originate: Channel, Exten, Context,
  Priority, Timeout in ms, CallerID, Async, ActionID): with `Async: true` the answer is
  `Response: Success` + `Message: Originate successfully queued`, and the outcome follows as
  `Event: OriginateResponse` with the same `ActionID`, `Response: Success|Failure`, `Channel`,
  `Context`, `Exten`, `Reason`, `Uniqueid`, `CallerIDNum`, `CallerIDName` (docs.asterisk.org,
  AMI Events/OriginateResponse). `Reason` is the last control frame of the originated channel
  (Asterisk's AST_CONTROL_*: 4 answered, 3 ringing when the time ran out, 5 busy, 8
  congestion, 0 failed; pchero/asterisk-outbound doc/structure.rst, "Dial result"). An
  Originate without Channel answers `Response: Error`, `Message: Channel not specified`.
- `Action: Logoff`: `Response: Goodbye`, `Message: Thanks for all the fish.`, and the server
  closes the connection.
- Other events flow on a logged-in connection (it sends a `FullyBooted` event after login, as
  Asterisk does), which a client must pass over.

Knobs: `outcome` (answered, no_answer, busy, congestion, failed, or `never`: the event never
comes), `hold` (the event waits until `release()`: a test sees the call ringing first),
`refuse_originate`, `user`/`secret`. `actions` records every packet received."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import uuid
from typing import Any

from infra.pbx_ami import encode, read_packet

USER = "switchboard"
SECRET = "ami-secret-1"  # noqa: S105 - the fake's own
REASONS = {"answered": ("Success", "4"), "no_answer": ("Failure", "3"),
           "busy": ("Failure", "5"), "congestion": ("Failure", "8"), "failed": ("Failure", "0")}


class FakeAmi:
    def __init__(self, *, outcome: str = "answered", hold: bool = False,
                 refuse_originate: bool = False, user: str = USER,
                 secret: str = SECRET) -> None:
        if outcome not in (*REASONS, "never"):
            raise ValueError(f"unknown outcome {outcome!r}")
        self.outcome = outcome
        self.hold = hold
        self.refuse_originate = refuse_originate
        self.user = user
        self.secret = secret
        self.actions: list[dict[str, str]] = []
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None
        self._released: asyncio.Event | None = None
        self._started = threading.Event()

    # -- life ---------------------------------------------------------------------------------
    def start(self) -> FakeAmi:
        self._thread = threading.Thread(target=self._run, name="fake-ami", daemon=True)
        self._thread.start()
        if not self._started.wait(10):
            raise RuntimeError("the fake AMI did not start")
        return self

    def stop(self) -> None:
        loop = self._loop
        if loop is not None and loop.is_running():
            loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> FakeAmi:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def release(self) -> None:
        """Lets the held OriginateResponse events go (and every later one at once)."""
        self.hold = False
        loop, released = self._loop, self._released
        if loop is not None and released is not None:
            loop.call_soon_threadsafe(released.set)

    def originates(self) -> list[dict[str, str]]:
        return [a for a in self.actions if a.get("action", "").lower() == "originate"]

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)

        async def serve() -> None:
            self._released = asyncio.Event()
            self._server = await asyncio.start_server(self._session, "127.0.0.1", 0)
            self.port = self._server.sockets[0].getsockname()[1]
            self._started.set()

        loop.run_until_complete(serve())
        try:
            loop.run_forever()
        finally:
            if self._server is not None:
                self._server.close()
            for task in asyncio.all_tasks(loop):
                task.cancel()
            with contextlib.suppress(Exception):
                loop.run_until_complete(asyncio.sleep(0))
            loop.close()

    # -- one connection -------------------------------------------------------------------------
    async def _session(self, reader: asyncio.StreamReader,
                       writer: asyncio.StreamWriter) -> None:
        send = _Sender(writer)
        await send.raw(b"Asterisk Call Manager/5.0.3\r\n")
        logged_in = False
        try:
            while True:
                packet = await read_packet(reader)
                self.actions.append(packet)
                action = packet.get("action", "").lower()
                reply: dict[str, Any] = {}
                if "actionid" in packet:
                    reply["ActionID"] = packet["actionid"]
                if action == "login":
                    if packet.get("username") == self.user and packet.get("secret") == self.secret:
                        logged_in = True
                        await send({"Response": "Success", **reply,
                                    "Message": "Authentication accepted"})
                        await send({"Event": "FullyBooted", "Privilege": "system,all",
                                    "Status": "Fully Booted"})
                        continue
                    await send({"Response": "Error", **reply,
                                "Message": "Authentication failed"})
                    return
                if action == "logoff":
                    await send({"Response": "Goodbye", **reply,
                                "Message": "Thanks for all the fish."})
                    return
                if not logged_in:
                    await send({"Response": "Error", **reply, "Message": "Permission denied"})
                    continue
                if action == "originate":
                    await self._originate(packet, reply, send)
                    continue
                await send({"Response": "Error", **reply, "Message": "Invalid/unknown command"})
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            writer.close()

    async def _originate(self, packet: dict[str, str], reply: dict[str, Any],
                         send: _Sender) -> None:
        if not packet.get("channel"):
            await send({"Response": "Error", **reply, "Message": "Channel not specified"})
            return
        if self.refuse_originate:
            await send({"Response": "Error", **reply, "Message": "Originate failed"})
            return
        await send({"Response": "Success", **reply, "Message": "Originate successfully queued"})
        if self.outcome == "never":
            return

        async def later() -> None:
            if self.hold and self._released is not None:
                await self._released.wait()
            response, reason = REASONS[self.outcome]
            await send({"Event": "Newchannel", "Channel": packet["channel"]})  # unrelated
            await send({"Event": "OriginateResponse", "Privilege": "call,all", **reply,
                        "Response": response, "Channel": packet["channel"],
                        "Context": packet.get("context", ""), "Exten": packet.get("exten", ""),
                        "Reason": reason, "Uniqueid": uuid.uuid4().hex[:12],
                        "CallerIDNum": "<unknown>", "CallerIDName": "<unknown>"})

        asyncio.get_running_loop().create_task(later())


class _Sender:
    """Writes packets one at a time (the event task and the session share the connection)."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self.writer = writer
        self.lock = asyncio.Lock()

    async def raw(self, data: bytes) -> None:
        async with self.lock:
            self.writer.write(data)
            with contextlib.suppress(ConnectionError):
                await self.writer.drain()

    async def __call__(self, packet: dict[str, Any]) -> None:
        if self.writer.is_closing():
            return
        await self.raw(encode({k: str(v) for k, v in packet.items()}))
