"""A fake WAHA on loopback, following its documented API: `X-Api-Key` on every request; sessions
(`POST /api/sessions {name, start, config}`, `GET|PUT /api/sessions/{s}`, `POST
/api/sessions/{s}/start|stop|restart|logout`); `GET /api/{s}/auth/qr?format=raw` → `{value}`;
`POST /api/{s}/auth/request-code {phoneNumber}` → `{code}`; `POST /api/sendText {session, chatId,
text}`; `GET /api/{s}/lids/{lid}` → `{lid, pn}`. Webhooks go to the session's configured URL with
the documented envelope, signed (`X-Webhook-Hmac`, HMAC-SHA512 of the body) when the session's
webhook has an `hmac.key`, and are sent from a thread of their own, as WAHA does."""

from __future__ import annotations

import hashlib
import hmac
import json
import queue
import secrets
import threading
import time
import uuid
from typing import Any

import httpx

from infra.channels.fakeserver import FakeServer, Raw, Request

API_KEY = "waha-test-key"


def envelope(event: str, session: str, payload: dict[str, Any],
             me: dict[str, Any] | None = None, timestamp_ms: int | None = None) -> dict[str, Any]:
    return {"id": f"evt_{uuid.uuid4().hex}", "timestamp": timestamp_ms or int(time.time() * 1000),
            "event": event, "session": session, "metadata": {}, "me": me,
            "payload": payload, "engine": "WEBJS", "environment": {"version": "2025.11"}}


def sign(key: str, body: bytes, timestamp_ms: int | None = None) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "x-webhook-request-id": uuid.uuid4().hex,
        "x-webhook-timestamp": str(timestamp_ms or int(time.time() * 1000)),
        "x-webhook-hmac": hmac.new(key.encode(), body, hashlib.sha512).hexdigest(),
        "x-webhook-hmac-algorithm": "sha512",
    }


class FakeWaha:
    def __init__(self, api_key: str = API_KEY, number: str = "79990001122") -> None:
        self.api_key = api_key
        self.number = number  # the company's, digits as WhatsApp writes them
        self.sessions: dict[str, dict[str, Any]] = {}
        self.sent: list[dict[str, Any]] = []
        self.lids: dict[str, str | None] = {}
        self.qr_served = 0
        self.hooks_sent: list[tuple[dict[str, Any], int]] = []
        self._outgoing: queue.Queue[tuple[str, bytes, dict[str, str]] | None] = queue.Queue()
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
            "id": mid, "timestamp": int(time.time()), "from": sender, "fromMe": False,
            "source": "app", "to": f"{self.number}@c.us", "body": text, "hasMedia": False,
            "media": None, "ack": 1, "replyTo": None, "_data": {"notifyName": name}})
        return mid

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

    def hook(self, session: str, event: str, payload: dict[str, Any]) -> None:
        with self._lock:
            me = self.sessions.get(session, {}).get("me")
        self._post(session, envelope(event, session, payload, me))

    def wait_for_hooks(self, count: int, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.hooks_sent) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.hooks_sent) >= count, self.hooks_sent

    # -- the API -----------------------------------------------------------------------------
    def _authorised(self, request: Request) -> bool:
        return request.headers.get("x-api-key") == self.api_key

    def _view(self, name: str) -> dict[str, Any]:
        s = self.sessions[name]
        return {"name": name, "status": s["status"], "config": s["config"],
                "me": s.get("me") if s["status"] == "WORKING" else None,
                "engine": {"engine": "WEBJS"}}

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
            external = f"true_{body['chatId']}_{uuid.uuid4().hex[:20].upper()}"
            self.sent.append({"id": external, **body})
        return 201, {"id": {"fromMe": True, "remote": body["chatId"], "id": external[-20:],
                            "_serialized": external}, "body": body["text"]}

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
        with self._lock:
            session = self.sessions.get(body.get("session", ""))
            if session is None or session["status"] != "WORKING":
                return 422, {"message": "Session status is not as expected"}
            file = body.get("file") or {}
            if not file.get("data") or not file.get("mimetype"):
                return 400, {"message": "file.data and file.mimetype are required"}
            external = f"true_{body['chatId']}_{uuid.uuid4().hex[:20].upper()}"
            self.sent.append({"id": external, "endpoint": request.match.group(1), **body,
                              "text": body.get("caption", "")})
        return 201, {"id": {"fromMe": True, "remote": body["chatId"], "id": external[-20:],
                            "_serialized": external}}

    def _lid(self, request: Request) -> tuple[int, Any]:
        if not self._authorised(request):
            return 401, {"message": "Unauthorized"}
        lid = request.match.group(2).split("@", 1)[0]
        pn = self.lids.get(lid)
        return 200, {"lid": f"{lid}@lid", "pn": pn}

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
            headers = sign(key, data) if key else {"content-type": "application/json"}
            self._outgoing.put((hook["url"], data, headers))

    def _send_hooks(self) -> None:
        while True:
            item = self._outgoing.get()
            if item is None:
                return
            url, data, headers = item
            try:
                answer = httpx.post(url, content=data, headers=headers, timeout=15)
                self.hooks_sent.append((json.loads(data), answer.status_code))
            except httpx.HTTPError:
                self.hooks_sent.append((json.loads(data), 0))
