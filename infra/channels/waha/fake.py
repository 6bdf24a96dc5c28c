"""A fake WAHA on loopback, following its documented API: `X-Api-Key` on every request; sessions
(`POST /api/sessions {name, start, config}`, `GET|PUT /api/sessions/{s}`, `POST
/api/sessions/{s}/start|stop|restart|logout`); `GET /api/{s}/auth/qr?format=raw` → `{value}`;
`POST /api/{s}/auth/request-code {phoneNumber}` → `{code}`; `POST /api/sendText {session, chatId,
text}`; `GET /api/{s}/lids/{lid}` → `{lid, pn}`. Webhooks go to the session's configured URL with
the documented envelope, signed (`X-Webhook-Hmac`, HMAC-SHA512 of `<timestamp>.<body>` with
`X-Webhook-Hmac-Version: 2` as current releases sign, or of the body alone as earlier ones did:
`hmac_version=`) when the session's webhook has an `hmac.key`, and are sent from a thread of
their own, as WAHA does.

It plays one engine (`engine=`), as devlikeapro/waha's sources answer:
- sends (`src/core/engines/*/session.*.core.ts`): WEBJS `sendText` returns whatsapp-web.js's
  message, `{id: {fromMe, remote, id, _serialized}, body, …}`; GOWS `messageResponse` returns
  `{id: buildMessageId(…) = "true_<chat @c.us>_<ID>", _data}`; NOWEB returns Baileys'
  `sock.sendMessage` result as it is, `{key: {remoteJid: "<n>@s.whatsapp.net", fromMe: true,
  id}, message, messageTimestamp, status}`, no top-level `id`.
- media: `sendImage`/`sendFile` throw `AvailableInPlusVersion` in the core builds (NOWEB and
  WEBJS in 2024.10.8; recent GOWS core builds send files) (an
  `UnprocessableEntityException`: 422 `{statusCode, message: "The feature is available only in
  Plus version for '<ENGINE>' engine. Check this out: https://waha.devlike.pro/", error}`,
  `src/core/exceptions.ts`); `plus=False` plays such a build.
- acks (`message.ack`): `payload.id` is `{fromMe}_{chat @c.us}_{id}` on every engine (WEBJS
  `id._serialized`; NOWEB `buildMessageId(key)` after `toCusFormat`; GOWS `receiptToMessageAck`),
  with `ack` and `ackName` (`WAMessageAck`); NOWEB's receipt updates may carry `ackName` only.
- names: GOWS puts the sender's name in `_data.Info.PushName` (whatsmeow's MessageInfo), WEBJS
  in `_data.notifyName`.
- lids (`src/api/lids.controller.ts`): `GET /api/{s}/lids/:lid`, the lid ending in `@lid`
  (URL-encoded `%40`), else 422 "Invalid LID - it must end with @lid".
- webhook retries (WAHA's WebhookSender): `X-Webhook-Timestamp` is the event's `timestamp`, the
  same headers go out on every retry, and an `exponential` policy waits 2**n * delaySeconds
  (plus up to 20 % at random, `jitter=`) before the n-th of `attempts` retries. A failed
  delivery waits here for `retry_due()`, on the fake's clock (`clock=`, seconds), so a test
  plays an outage of minutes without waiting; `unreachable` makes every delivery fail as a
  refused connection would, `lost_answers` loses answers to an event after it was posted."""

from __future__ import annotations

import hashlib
import hmac
import json
import queue
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import httpx

from infra.channels.fakeserver import FakeServer, Raw, Request

API_KEY = "waha-test-key"
ENGINES = ("WEBJS", "NOWEB", "GOWS")
ACK_NAMES = {-1: "ERROR", 0: "PENDING", 1: "SERVER", 2: "DEVICE", 3: "READ", 4: "PLAYED"}


def envelope(event: str, session: str, payload: dict[str, Any],
             me: dict[str, Any] | None = None, timestamp_ms: int | None = None,
             engine: str = "WEBJS") -> dict[str, Any]:
    return {"id": f"evt_{uuid.uuid4().hex}", "timestamp": timestamp_ms or int(time.time() * 1000),
            "event": event, "session": session, "metadata": {}, "me": me,
            "payload": payload, "engine": engine, "environment": {"version": "2025.11"}}


def sign(key: str, body: bytes, timestamp_ms: int | None = None,
         version: int = 2) -> dict[str, str]:
    """WAHA's webhook headers. Version 2 (`X-Webhook-Hmac-Version: 2`, WebhookSender's
    getHMACHeaders in current releases) signs `<X-Webhook-Timestamp>.<body>`, binding the time to
    the body; earlier releases sign the body alone and send no version header."""
    stamp = str(timestamp_ms or int(time.time() * 1000))
    signed = f"{stamp}.".encode() + body if version == 2 else body
    headers = {
        "content-type": "application/json",
        "x-webhook-request-id": uuid.uuid4().hex,
        "x-webhook-timestamp": stamp,
        "x-webhook-hmac": hmac.new(key.encode(), signed, hashlib.sha512).hexdigest(),
        "x-webhook-hmac-algorithm": "sha512",
    }
    if version == 2:
        headers["x-webhook-hmac-version"] = "2"
    return headers


@dataclass
class Delivery:
    """One webhook request WAHA keeps trying: the same body and headers every time."""

    url: str
    data: bytes
    headers: dict[str, str]
    retries_left: int
    delay_seconds: float
    policy: str
    tries: int = 0
    due: float = 0.0  # the fake's clock, seconds


class FakeWaha:
    def __init__(self, api_key: str = API_KEY, number: str = "79990001122", *,
                 engine: str = "WEBJS", plus: bool = True,
                 clock: Callable[[], float] = time.time, jitter: float = 0.0,
                 hmac_version: int = 2) -> None:
        assert engine in ENGINES, engine
        assert hmac_version in (1, 2), hmac_version
        self.hmac_version = hmac_version  # how its webhooks are signed (see `sign`)
        self.api_key = api_key
        self.number = number  # the company's, digits as WhatsApp writes them
        self.engine = engine
        self.plus = plus  # WAHA Plus: sends images and files with every engine
        self.clock = clock
        self.jitter = jitter  # the share of WAHA's 0-20 % random extra delay to play
        self.unreachable = False  # every delivery fails as a refused connection would
        self.lost_answers: dict[str, int] = {}  # event id: how many answers to it get lost
        self.waiting: list[Delivery] = []  # deliveries failed, waiting for their next try
        self.tries: list[tuple[str, float, int]] = []  # (event id, clock, status; 0: failed)
        self.sessions: dict[str, dict[str, Any]] = {}
        self.sent: list[dict[str, Any]] = []
        self.lids: dict[str, str | None] = {}
        self.qr_served = 0
        self.hooks_sent: list[tuple[dict[str, Any], int]] = []
        self._outgoing: queue.Queue[Delivery | None] = queue.Queue()
        self._lock = threading.Lock()
        self.server = FakeServer()
        r = self.server.route
        r("GET", r"/api/sessions/([^/]+)", self._get)
        r("POST", r"/api/sessions", self._create)
        r("PUT", r"/api/sessions/([^/]+)", self._update)
        r("POST", r"/api/sessions/([^/]+)/(start|stop|restart|logout)", self._action)
        r("GET", r"/api/([^/]+)/auth/qr", self._qr)
        r("POST", r"/api/([^/]+)/auth/request-code", self._request_code)
        r("POST", r"/api/sendText", self._send_text)
        r("GET", r"/api/([^/]+)/lids/([^/]+)", self._lid)
        # media: files of received messages, and sending images and documents
        self.files: dict[str, tuple[bytes, str]] = {}
        self.file_failures = 0  # the next N file downloads answer 500
        r("GET", r"/api/files/(.+)", self._file)
        r("POST", r"/api/(sendImage|sendFile)", self._send_media)
        # what the client sees of the operators: read receipts and "typing…"
        self.seen: list[dict[str, Any]] = []  # each sendSeen's body
        self.typing: list[tuple[str, str]] = []  # ("start" | "stop", chatId), in order
        r("POST", r"/api/sendSeen", self._send_seen)
        r("POST", r"/api/(start|stop)Typing", self._typing)
        self._sender = threading.Thread(target=self._send_hooks, daemon=True)

    @property
    def url(self) -> str:
        return self.server.url

    def start(self) -> FakeWaha:
        self.server.start()
        self._sender.start()
        return self

    def stop(self) -> None:
        self._outgoing.put(None)
        self.server.stop()

    # -- what the phone and WhatsApp do ------------------------------------------------------
    def scan(self, name: str = "default") -> None:
        with self._lock:
            session = self.sessions[name]
            assert session["status"] == "SCAN_QR_CODE", session["status"]
            session["status"] = "WORKING"
            session["me"] = {"id": f"{self.number}@c.us", "pushName": "Acme Support"}
        self._status_hook(name)

    def drop(self, name: str = "default") -> None:
        with self._lock:
            self.sessions[name]["status"] = "STARTING"
            self.sessions[name]["dropped"] = True
        self._status_hook(name)

    def restore(self, name: str = "default") -> None:
        with self._lock:
            self.sessions[name]["dropped"] = False
            if self.sessions[name].get("me"):
                self.sessions[name]["status"] = "WORKING"
        self._status_hook(name)

    def client_writes(self, sender: str, text: str, *, message_id: str | None = None,
                      name: str = "Ivan", session: str = "default") -> str:
        mid = message_id or f"false_{sender}_{uuid.uuid4().hex[:16].upper()}"
        self.hook(session, "message", {
            "id": mid, "timestamp": int(self.clock()), "from": sender, "fromMe": False,
            "source": "app", "to": f"{self.number}@c.us", "body": text, "hasMedia": False,
            "media": None, "ack": 1, "replyTo": None, "_data": self._data(sender, mid, name)})
        return mid

    def _data(self, sender: str, mid: str, name: str) -> dict[str, Any]:
        """The engine's own message under `_data`, where the sender's name is."""
        if self.engine == "GOWS":  # whatsmeow's events.Message
            return {"Info": {"Chat": sender, "Sender": sender, "ID": mid.rsplit("_", 1)[-1],
                             "IsFromMe": False, "IsGroup": False, "PushName": name}}
        if self.engine == "NOWEB":  # Baileys' WAMessage
            return {"key": {"remoteJid": sender.replace("@c.us", "@s.whatsapp.net"),
                            "fromMe": False, "id": mid.rsplit("_", 1)[-1]}, "pushName": name}
        return {"notifyName": name}

    def ack(self, sent: dict[str, Any], ack: int | None = 2, *, ack_name: str | None = None,
            session: str = "default") -> str:
        """WhatsApp's receipt of one of `sent`, as this engine's `message.ack` names it;
        answers that name. `ack=None` plays an ack with only `ackName` (or neither)."""
        chat = sent["chatId"]
        ack_id = f"true_{chat}_{sent['key_id']}"
        payload: dict[str, Any] = {
            "id": ack_id, "from": chat, "to": None, "participant": None, "fromMe": True,
            "ackName": ack_name if ack_name is not None or ack is None
            else ACK_NAMES.get(ack, "UNKNOWN")}
        if ack is not None:
            payload["ack"] = ack
        if payload["ackName"] is None:
            del payload["ackName"]
        self.hook(session, "message.ack", payload)
        return ack_id

    def client_sends_media(self, sender: str, *, content: bytes | None = None, mimetype: str = "",
                           filename: str | None = None, data_type: str = "", caption: str = "",
                           message_id: str | None = None, session: str = "default",
                           **payload: Any) -> str:
        """A client's media message as WAHA documents it: `hasMedia`, `media {url, mimetype,
        filename, error}` (the file served at /api/files/…), the engine's `_data.type`."""
        mid = message_id or f"false_{sender}_{uuid.uuid4().hex[:16].upper()}"
        media = None
        if content is not None:
            name = f"{session}/{mid}.{(mimetype.split('/')[-1].split(';')[0]) or 'bin'}"
            self.files[name] = (content, mimetype)
            media = {"url": f"http://localhost:3000/api/files/{name}", "mimetype": mimetype,
                     "filename": filename, "error": None}
        body = {
            "id": mid, "timestamp": int(time.time()), "from": sender, "fromMe": False,
            "source": "app", "to": f"{self.number}@c.us", "body": caption,
            "hasMedia": content is not None, "media": media, "ack": 1, "replyTo": None,
            "_data": {"notifyName": "Ivan", "type": data_type}}
        body.update(payload)
        self.hook(session, "message", body)
        return mid

    def hook(self, session: str, event: str, payload: dict[str, Any],
             timestamp_ms: int | None = None) -> None:
        with self._lock:
            me = self.sessions.get(session, {}).get("me")
        self._post(session, envelope(event, session, payload, me,
                                     timestamp_ms or int(self.clock() * 1000), self.engine))

    def wait_for_hooks(self, count: int, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.hooks_sent) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.hooks_sent) >= count, self.hooks_sent

    # -- conversation events besides new messages ----------------------------------------------
    # Payloads as devlikeapro/waha's `src/structures/webhooks.dto.ts` and `responses.dto.ts`
    # define them (see infra/channels/waha/conversation.py): `message.any` fires for every
    # message, the client's (the same payload and id as its `message`) and ours (`fromMe`,
    # `source` "api" for a send through the API, "app" for one typed on the phone);
    # `message.edited` is the edit as a message plus `editedMessageId`, the original's bare id;
    # `message.revoked` is `{after, before, revokedMessageId}` (GOWS: `before` null, the bare
    # id; WEBJS: the message itself in `after`/`before`, no bare id); `message.reaction` is
    # the reacting message with `reaction {text, messageId}` (empty text: taken back).
    def client_writes_with_any(self, sender: str, text: str, *, session: str = "default"
                               ) -> str:
        """A client's message as WAHA delivers it to a webhook subscribed to both `message`
        and `message.any`: twice, with one id."""
        mid = f"false_{sender}_{uuid.uuid4().hex[:16].upper()}"
        payload = {"id": mid, "timestamp": int(time.time()), "from": sender, "fromMe": False,
                   "source": "app", "to": f"{self.number}@c.us", "body": text,
                   "hasMedia": False, "media": None, "ack": 1, "replyTo": None,
                   "_data": {"notifyName": "Ivan"}}
        self.hook(session, "message", payload)
        self.hook(session, "message.any", dict(payload))
        return mid

    def company_writes_on_phone(self, chat: str, text: str, *, source: str | None = "app",
                                message_id: str | None = None, session: str = "default") -> str:
        """The company's own message in `message.any`: typed on the phone (`source` "app"),
        or one sent through the API reported back ("api"; None: an older WAHA without it)."""
        mid = message_id or f"true_{chat}_{uuid.uuid4().hex[:20].upper()}"
        payload: dict[str, Any] = {
            "id": mid, "timestamp": int(time.time()), "from": f"{self.number}@c.us",
            "fromMe": True, "to": chat, "body": text, "hasMedia": False, "media": None,
            "ack": 1, "replyTo": None, "_data": {}}
        if source is not None:
            payload["source"] = source
        self.hook(session, "message.any", payload)
        return mid

    def client_edits(self, sender: str, message_id: str, text: str, *,
                     session: str = "default") -> None:
        edit = f"false_{sender}_{uuid.uuid4().hex[:16].upper()}"
        self.hook(session, "message.edited", {
            "id": edit, "timestamp": int(time.time()), "from": sender, "fromMe": False,
            "source": "app", "to": f"{self.number}@c.us", "body": text, "hasMedia": False,
            "editedMessageId": message_id.split("_", 2)[-1], "_data": {}})

    def client_revokes(self, sender: str, message_id: str, *, engine: str = "GOWS",
                       session: str = "default") -> None:
        now = int(time.time())
        if engine == "GOWS":  # the revoke action in `after`, the deleted message's bare id
            action = f"false_{sender}_{uuid.uuid4().hex[:16].upper()}"
            self.hook(session, "message.revoked", {
                "after": {"id": action, "timestamp": now, "from": sender, "fromMe": False,
                          "source": "app", "to": f"{self.number}@c.us", "body": "",
                          "hasMedia": False},
                "before": None, "revokedMessageId": message_id.split("_", 2)[-1], "_data": {}})
            return
        self.hook(session, "message.revoked", {  # WEBJS: message_revoke_everyone(after, before)
            "after": {"id": message_id, "timestamp": now, "from": sender, "fromMe": False,
                      "to": f"{self.number}@c.us", "body": "", "hasMedia": False},
            "before": None})

    def client_reacts(self, sender: str, message_id: str, emoji: str, *,
                      session: str = "default") -> None:
        self.hook(session, "message.reaction", {
            "id": f"false_{sender}_{uuid.uuid4().hex[:16].upper()}",
            "timestamp": int(time.time()), "from": sender, "fromMe": False, "source": "app",
            "to": f"{self.number}@c.us", "participant": None,
            "reaction": {"text": emoji, "messageId": message_id}})

    # -- the API -----------------------------------------------------------------------------
    def _authorised(self, request: Request) -> bool:
        return request.headers.get("x-api-key") == self.api_key

    def _view(self, name: str) -> dict[str, Any]:
        s = self.sessions[name]
        return {"name": name, "status": s["status"], "config": s["config"],
                "me": s.get("me") if s["status"] == "WORKING" else None,
                "engine": {"engine": self.engine}}

    def _get(self, request: Request) -> tuple[int, Any]:
        if not self._authorised(request):
            return 401, {"message": "Unauthorized"}
        name = request.match.group(1)
        with self._lock:
            if name not in self.sessions:
                return 404, {"message": "Session not found"}
            return 200, self._view(name)

    def _create(self, request: Request) -> tuple[int, Any]:
        if not self._authorised(request):
            return 401, {"message": "Unauthorized"}
        body = request.json()
        name = body.get("name", "default")
        with self._lock:
            if name in self.sessions:
                return 422, {"message": f"Session '{name}' already exists"}
            self.sessions[name] = {"status": "STOPPED", "config": body.get("config") or {}}
        if body.get("start"):
            self._begin(name)
        with self._lock:
            return 201, self._view(name)

    def _update(self, request: Request) -> tuple[int, Any]:
        if not self._authorised(request):
            return 401, {"message": "Unauthorized"}
        name = request.match.group(1)
        with self._lock:
            if name not in self.sessions:
                return 404, {"message": "Session not found"}
            self.sessions[name]["config"] = request.json().get("config") or {}
            return 200, self._view(name)

    def _action(self, request: Request) -> tuple[int, Any]:
        if not self._authorised(request):
            return 401, {"message": "Unauthorized"}
        name, action = request.match.group(1), request.match.group(2)
        with self._lock:
            if name not in self.sessions:
                return 404, {"message": "Session not found"}
            session = self.sessions[name]
            if action == "stop":
                session["status"] = "STOPPED"
            elif action == "logout":
                session["status"], session["me"] = "STOPPED", None
        if action in ("start", "restart"):
            with self._lock:
                if session.get("me"):
                    session["status"] = "STARTING" if session.get("dropped") else "WORKING"
                else:
                    session["status"], session["qr"] = "SCAN_QR_CODE", None
        self._status_hook(name)
        with self._lock:
            return 201, self._view(name)

    def _begin(self, name: str) -> None:
        with self._lock:
            self.sessions[name]["status"] = "SCAN_QR_CODE"
            self.sessions[name]["qr"] = None
        self._status_hook(name)

    def _qr(self, request: Request) -> tuple[int, Any]:
        if not self._authorised(request):
            return 401, {"message": "Unauthorized"}
        name = request.match.group(1)
        with self._lock:
            session = self.sessions.get(name)
            if session is None or session["status"] != "SCAN_QR_CODE":
                return 422, {"message": "Session is not in SCAN_QR_CODE status"}
            if request.query.get("format") != "raw":
                return 400, {"message": "this fake serves format=raw only"}
            self.qr_served += 1
            session["qr"] = f"2@{secrets.token_urlsafe(32)},{secrets.token_urlsafe(24)}"
            return 200, {"value": session["qr"]}

    def _request_code(self, request: Request) -> tuple[int, Any]:
        if not self._authorised(request):
            return 401, {"message": "Unauthorized"}
        name = request.match.group(1)
        number = str(request.json().get("phoneNumber", ""))
        with self._lock:
            session = self.sessions.get(name)
            if session is None or session["status"] != "SCAN_QR_CODE":
                return 422, {"message": "Session is not in SCAN_QR_CODE status"}
            if not number.isdigit():
                return 400, {"message": "phoneNumber must be digits"}
            session["pairing"] = (number, "ABCD-EFGH")
        return 200, {"code": "ABCD-EFGH"}

    def _send_text(self, request: Request) -> tuple[int, Any]:
        if not self._authorised(request):
            return 401, {"message": "Unauthorized"}
        body = request.json()
        with self._lock:
            session = self.sessions.get(body.get("session", ""))
            if session is None or session["status"] != "WORKING":
                return 422, {"message": "Session status is not as expected"}
            sent = self._sent(body)
        return 201, self._answer(sent, {"conversation": body["text"]})

    def _file(self, request: Request) -> tuple[int, Any]:
        if not self._authorised(request):
            return 401, {"message": "Unauthorized"}
        if self.file_failures > 0:
            self.file_failures -= 1
            return 500, {"message": "Internal server error"}
        found = self.files.get(request.match.group(1))
        if found is None:
            return 404, {"message": "File not found"}
        return 200, Raw(found[0], found[1])

    def _send_media(self, request: Request) -> tuple[int, Any]:
        if not self._authorised(request):
            return 401, {"message": "Unauthorized"}
        body = request.json()
        if not self.plus:
            return 422, {"statusCode": 422, "error": "Unprocessable Entity", "message": (
                f"The feature is available only in Plus version for '{self.engine}' engine. "
                "Check this out: https://waha.devlike.pro/")}
        with self._lock:
            session = self.sessions.get(body.get("session", ""))
            if session is None or session["status"] != "WORKING":
                return 422, {"message": "Session status is not as expected"}
            file = body.get("file") or {}
            if not file.get("data") or not file.get("mimetype"):
                return 400, {"message": "file.data and file.mimetype are required"}
            sent = self._sent({"endpoint": request.match.group(1), **body,
                               "text": body.get("caption", "")})
        return 201, self._answer(sent, {"imageMessage": {"caption": body.get("caption", "")}})

    def _sent(self, body: dict[str, Any]) -> dict[str, Any]:
        """Records a message WhatsApp took (under the lock); its id as the engine makes one."""
        key_id = ("3EB0" if self.engine == "WEBJS" else "BAE5") + uuid.uuid4().hex[:16].upper()
        sent = {"id": f"true_{body['chatId']}_{key_id}", "key_id": key_id, **body}
        self.sent.append(sent)
        return sent

    def _answer(self, sent: dict[str, Any], message: dict[str, Any]) -> dict[str, Any]:
        """The answer to a send, in the engine's shape (see the module's docstring)."""
        chat, key_id = sent["chatId"], sent["key_id"]
        if self.engine == "NOWEB":
            jid = chat.replace("@c.us", "@s.whatsapp.net")
            return {"key": {"remoteJid": jid, "fromMe": True, "id": key_id},
                    "message": message, "messageTimestamp": int(self.clock()), "status": 1}
        if self.engine == "GOWS":
            return {"id": sent["id"], "_data": {"Info": {"ID": key_id, "Chat": chat}}}
        return {"id": {"fromMe": True, "remote": chat, "id": key_id, "_serialized": sent["id"]},
                "body": sent.get("text", ""), "fromMe": True, "ack": 0}

    def _lid(self, request: Request) -> tuple[int, Any]:
        if not self._authorised(request):
            return 401, {"message": "Unauthorized"}
        lid = unquote(request.match.group(2))
        if not lid.endswith("@lid"):
            return 422, {"statusCode": 422, "error": "Unprocessable Entity",
                         "message": "Invalid LID - it must end with @lid"}
        pn = self.lids.get(lid.split("@", 1)[0])
        return 200, {"lid": lid, "pn": pn}

    def _working(self, request: Request) -> tuple[int, Any] | dict[str, Any]:
        """The body of a request to a working session, or WAHA's refusal."""
        if not self._authorised(request):
            return 401, {"message": "Unauthorized"}
        body: dict[str, Any] = request.json()
        with self._lock:
            session = self.sessions.get(body.get("session", ""))
            if session is None or session["status"] != "WORKING":
                return 422, {"message": "Session status is not as expected"}
        if not isinstance(body.get("chatId"), str) or not body["chatId"]:
            return 400, {"message": ["chatId should not be empty"]}
        return body

    def _send_seen(self, request: Request) -> tuple[int, Any]:
        """`POST /api/sendSeen` (chatting.controller.ts `sendSeen`, `SendSeenRequest {session,
        chatId, messageId?, participant?}`; later versions `messageIds?`): answers what the
        engine's sendSeen returns — nothing for WEBJS."""
        body = self._working(request)
        if isinstance(body, tuple):
            return body
        with self._lock:
            self.seen.append(body)
        return 201, {}

    def _typing(self, request: Request) -> tuple[int, Any]:
        """`POST /api/startTyping|stopTyping {session, chatId}` (`ChatRequest`) → `{result:
        true}`, as chatting.controller.ts answers."""
        body = self._working(request)
        if isinstance(body, tuple):
            return body
        with self._lock:
            self.typing.append((request.match.group(1), body["chatId"]))
        return 201, {"result": True}

    # -- webhooks ----------------------------------------------------------------------------
    def _status_hook(self, name: str) -> None:
        with self._lock:
            status = self.sessions[name]["status"]
        self.hook(name, "session.status", {"status": status, "statuses": [
            {"status": status, "timestamp": int(time.time() * 1000)}]})

    def _post(self, session: str, body: dict[str, Any]) -> None:
        with self._lock:
            hooks = self.sessions.get(session, {}).get("config", {}).get("webhooks", [])
        for hook in hooks:
            if body["event"] not in hook.get("events", []):
                continue
            data = json.dumps(body).encode()
            key = (hook.get("hmac") or {}).get("key")
            # X-Webhook-Timestamp: the event's own time, kept on every retry
            headers = sign(key, data, body["timestamp"], self.hmac_version) if key else {
                "content-type": "application/json"}
            retries = hook.get("retries") or {}
            self._outgoing.put(Delivery(
                url=hook["url"], data=data, headers=headers,
                retries_left=int(retries.get("attempts", 15)),
                delay_seconds=float(retries.get("delaySeconds", 2)),
                policy=str(retries.get("policy") or "constant")))

    def _send_hooks(self) -> None:
        while True:
            item = self._outgoing.get()
            if item is None:
                return
            self._try(item)

    def _try(self, delivery: Delivery) -> bool:
        """One attempt; a failure waits for its next try on the fake's clock."""
        body = json.loads(delivery.data)
        status = 0
        if not self.unreachable:
            try:
                status = httpx.post(delivery.url, content=delivery.data,
                                    headers=delivery.headers, timeout=15).status_code
            except httpx.HTTPError:
                status = 0
            if status and self.lost_answers.get(body["id"], 0) > 0:
                self.lost_answers[body["id"]] -= 1
                status = 0  # posted, but the answer never came back
        now = self.clock()
        self.tries.append((body["id"], now, status))
        self.hooks_sent.append((body, status))
        if 200 <= status < 300:
            return True
        if delivery.retries_left > 0:
            delivery.tries += 1
            delivery.retries_left -= 1
            delivery.due = now + self._delay(delivery)
            with self._lock:
                self.waiting.append(delivery)
        return False

    def _delay(self, delivery: Delivery) -> float:
        """WAHA's retryDelay for the n-th retry (axios-retry counts from 1)."""
        base = delivery.delay_seconds
        if delivery.policy == "exponential":
            return float(2 ** delivery.tries * base * (1 + 0.2 * self.jitter))
        if delivery.policy == "linear":
            return float(delivery.tries * base)
        return base

    def retry_due(self) -> int:
        """Tries again, in this thread, every delivery whose next try is due on the fake's
        clock; answers how many were tried."""
        with self._lock:
            now = self.clock()
            due = sorted((d for d in self.waiting if d.due <= now), key=lambda d: d.due)
            self.waiting = [d for d in self.waiting if d.due > now]
        for delivery in due:
            self._try(delivery)
        return len(due)
