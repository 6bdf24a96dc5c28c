"""WAHA, the self-hosted WhatsApp HTTP API: the company's number as a linked device.

Every request carries `X-Api-Key`. The session is created with a webhook to `/webhooks/waha`
(signed with HMAC-SHA512 when a key is set) for `message`, `message.ack` and `session.status`,
with as many exponential retries as fit in the retry horizon (`retries_within`). Senders named
`…@lid` are resolved through `GET /api/{session}/lids/{lid}@lid` (the suffix URL-encoded).

WAHA's engines answer a send differently (devlikeapro/waha `src/core/engines/*/session.*.core.ts`):
WEBJS returns whatsapp-web.js's message, `id` an object with `_serialized`
(`true_79161234567@c.us_3EB0…`); GOWS `{id: "true_79161234567@c.us_…", _data}`
(`messageResponse`, `buildMessageId`); NOWEB the raw Baileys result `{key: {remoteJid:
"79161234567@s.whatsapp.net", fromMe, id}, message, status}` with no top-level `id`. Their
`message.ack` webhooks name the message `{fromMe}_{chat in @c.us form}_{id}` (WEBJS
`id._serialized`; NOWEB `buildMessageId(key)` after `toCusFormat`; GOWS `receiptToMessageAck`).
`message_id` brings every form to that one, so an ack finds the message it reports on."""

from __future__ import annotations

import base64
import threading
from collections import OrderedDict
from collections.abc import Sequence
from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from application.errors import DomainError
from application.phones import to_e164
from application.ports import GatewayError, GatewaySession, LinkedAccount, MediaFile
from infra.channels.files import read_capped

# `message.any` adds the company's own messages (typed on the phone) to `message`; the
# conversation events: see infra/channels/waha/conversation.py.
EVENTS = ["message", "message.ack", "session.status", "message.any", "message.edited",
          "message.revoked", "message.reaction"]
STATUSES = {"STOPPED", "STARTING", "SCAN_QR_CODE", "WORKING", "FAILED"}
LID_CACHE = 10_000
FILES_PATH = "/api/files/"  # where WAHA serves the media of received messages
SEND_MEDIA = {"image": "/api/sendImage", "document": "/api/sendFile"}
# The webhook retries we ask WAHA for: `exponentialDelay` in WAHA's WebhookSender waits
# 2**n * delaySeconds before the n-th retry, plus up to 20 % at random.
RETRY_DELAY_SECONDS = 2
RETRY_JITTER = 1.2
MAX_RETRIES = 15  # WAHA's own default number of attempts
PLUS_ONLY = "available only in Plus version"  # AvailableInPlusVersion's words (422)


def retries_within(horizon_seconds: float, delay_seconds: float = RETRY_DELAY_SECONDS) -> int:
    """How many exponential retries end, jitter included, within the horizon (at least one):
    the n-th retry comes about delay * (2 + 4 + ... + 2**n) = delay * (2**(n+1) - 2) after the
    event. 3600 s gives 9 (the last after about 34 minutes, 41 at the most)."""
    attempts = 1
    while attempts < MAX_RETRIES and \
            last_retry_after(attempts + 1, delay_seconds) * RETRY_JITTER <= horizon_seconds:
        attempts += 1
    return attempts


def last_retry_after(attempts: int, delay_seconds: float = RETRY_DELAY_SECONDS) -> float:
    """Seconds from the first try to the last retry, without jitter."""
    return float(delay_seconds * (2 ** (attempts + 1) - 2))


def _chat(jid: str) -> str:
    """A chat id as WAHA's webhooks write it: `…@s.whatsapp.net` → `…@c.us` (`toCusFormat`),
    a device (`79161234567:12@…`) dropped; groups and lids stay."""
    user, _, server = jid.partition("@")
    if server in ("s.whatsapp.net", "c.us"):
        return f"{user.split(':', 1)[0]}@c.us"
    return jid


def message_id(serialized: str) -> str:
    """WAHA's message id in one form, `{fromMe}_{chat}_{id}` (a group's participant kept), the
    chat as its webhooks write it. Anything else is returned as it is."""
    parts = serialized.split("_")
    if len(parts) < 3 or parts[0] not in ("true", "false") or "@" not in parts[1]:
        return serialized
    return "_".join([parts[0], _chat(parts[1]), *parts[2:]])


def chat_id(to: str) -> str:
    """WAHA's chat id of a client: `79161234567@c.us`, or `…@lid` for a client known by lid."""
    if to.startswith("lid:"):
        return f"{to[4:]}@lid"
    return f"{to.lstrip('+')}@c.us"


class WahaWhatsAppGateway:
    kind = "waha"
    supports_linking = True
    idempotent_sends = False
    reply_window: timedelta | None = None

    def __init__(
        self, *, url: str, api_key: str, session: str, webhook_url: str = "",
        hmac_key: str = "", timeout: float = 10.0, transport: httpx.BaseTransport | None = None,
        retry_horizon_seconds: float = 3600,
    ) -> None:
        self.url = url.rstrip("/")
        self.webhook_retries = retries_within(retry_horizon_seconds)
        self.session = session
        self._webhook_url = webhook_url
        self._hmac_key = hmac_key
        self._http = httpx.Client(base_url=self.url, timeout=timeout, transport=transport,
                                  headers={"X-Api-Key": api_key, "Accept": "application/json"})
        self._lids: OrderedDict[str, str | None] = OrderedDict()
        self._lids_lock = threading.Lock()

    def close(self) -> None:
        self._http.close()

    # -- the port --------------------------------------------------------------------------
    def start(self) -> GatewaySession:
        s = self.session
        existing = self._call("GET", f"/api/sessions/{s}", missing_ok=True)
        if existing is None:
            self._call("POST", "/api/sessions",
                       json={"name": s, "start": True, "config": self._config()})
            return self.status()
        self._call("PUT", f"/api/sessions/{s}", json={"name": s, "config": self._config()})
        status = str(existing.get("status", ""))
        if status == "WORKING":
            return self._session(existing)
        self._call("POST", f"/api/sessions/{s}/{'start' if status == 'STOPPED' else 'restart'}")
        return self.status()

    def status(self) -> GatewaySession:
        found = self._call("GET", f"/api/sessions/{self.session}", missing_ok=True)
        if found is None:
            return GatewaySession("STOPPED", reason="WAHA has no such session.")
        return self._session(found)

    def qr_code(self) -> str:
        answer = self._call("GET", f"/api/{self.session}/auth/qr", params={"format": "raw"})
        value = answer.get("value") if isinstance(answer, dict) else None
        if not isinstance(value, str) or not value:
            raise GatewayError("WAHA answered no QR value.", code="GATEWAY_BAD_ANSWER")
        return value

    def request_pairing_code(self, phone: str) -> str:
        answer = self._call("POST", f"/api/{self.session}/auth/request-code",
                            json={"phoneNumber": phone.lstrip("+")})
        code = answer.get("code") if isinstance(answer, dict) else None
        if not isinstance(code, str) or not code:
            raise GatewayError("WAHA answered no pairing code.", code="GATEWAY_BAD_ANSWER")
        return code

    def logout(self) -> None:
        self._call("POST", f"/api/sessions/{self.session}/logout", missing_ok=True)

    def reconnect(self) -> GatewaySession:
        self._call("POST", f"/api/sessions/{self.session}/restart")
        return self.status()

    def resume(self, account: LinkedAccount | None) -> None:
        if account is None:
            return
        found = self._call("GET", f"/api/sessions/{self.session}", missing_ok=True)
        if found is not None and found.get("status") == "STOPPED":
            self._call("POST", f"/api/sessions/{self.session}/start")

    def send_text(self, to: str, text: str, idempotency_key: str) -> str:
        return self._send("/api/sendText", {
            "session": self.session, "chatId": chat_id(to), "text": text})

    def send_media(self, to: str, kind: str, file: MediaFile, caption: str,
                   idempotency_key: str) -> str:
        path = SEND_MEDIA.get(kind)
        if path is None:
            raise GatewayError(f"WAHA is not asked to send {kind!r} here.",
                               code="FILE_TYPE_NOT_ALLOWED", retryable=False)
        body: dict[str, Any] = {
            "session": self.session, "chatId": chat_id(to), "caption": caption,
            "file": {"mimetype": file.mime_type, "filename": file.file_name or "file",
                     "data": base64.b64encode(file.content).decode()}}
        return self._send(path, body)

    def _send(self, path: str, body: dict[str, Any]) -> str:
        """Sends; answers WAHA's message id (`message_id`'s form). A refusal while the session
        is not working says so (NOT_CONNECTED), whatever WAHA's own words; a feature of WAHA
        Plus says so (WAHA_PLUS_REQUIRED). Both are final. An answer we cannot read after WAHA
        took the message is final too (DELIVERY_UNCERTAIN): the message may have gone out, and
        sending it again could reach the client twice."""
        try:
            answer = self._call("POST", path, json=body)
        except GatewayError as error:
            if error.code == "GATEWAY_BAD_ANSWER":
                raise _uncertain(f"WAHA answered {path} with something not JSON") from None
            if error.code == "GATEWAY_REFUSED" and PLUS_ONLY in error.message:
                raise GatewayError(
                    "This WAHA cannot send files: sending images and documents needs WAHA Plus "
                    f"with this engine. WAHA says: {error.message}",
                    code="WAHA_PLUS_REQUIRED", retryable=False) from None
            if not error.retryable and error.code != "GATEWAY_UNAUTHORIZED" \
                    and self.status().status != "WORKING":
                raise GatewayError("WAHA's session is not connected.", code="NOT_CONNECTED"
                                   ) from None
            raise
        found = sent_id(answer, body["chatId"])
        if found is None:
            raise _uncertain(f"WAHA's answer to {path} names no message id we can read "
                             f"({_shape(answer)})")
        return found

    def download_media(self, source: str, max_bytes: int) -> MediaFile:
        """The file behind a message's `media.url`. Only WAHA's own files path is fetched, and
        always from the configured WAHA (the URL's host is WAHA's idea of its own address,
        which may be wrong): a webhook cannot make us fetch anything else."""
        parts = urlsplit(source)
        if not parts.path.startswith(FILES_PATH) or ".." in parts.path:
            raise GatewayError("This is not a WAHA media URL.", code="MEDIA_BAD_SOURCE",
                               retryable=False)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        try:
            with self._http.stream("GET", path) as response:
                if response.status_code == 404:
                    raise GatewayError("WAHA no longer has this file.", code="MEDIA_GONE",
                                       retryable=False)
                if response.status_code in (401, 403):
                    raise GatewayError("WAHA refused the API key (SWITCHBOARD_WAHA_API_KEY).",
                                       code="GATEWAY_UNAUTHORIZED", retryable=False)
                if response.status_code >= 400:
                    raise GatewayError(f"WAHA answered {response.status_code} for a file.",
                                       code="GATEWAY_REFUSED",
                                       retryable=response.status_code >= 500)
                content = read_capped(response, max_bytes)
                mime = response.headers.get("content-type", "").split(";")[0].strip()
        except httpx.HTTPError as error:
            raise GatewayError(f"WAHA is not reachable at {self.url}: {type(error).__name__}.",
                               code="GATEWAY_UNREACHABLE") from None
        return MediaFile(content=content, mime_type=mime,
                         file_name=parts.path.rsplit("/", 1)[-1])

    # -- what the client sees of the operators (devlikeapro/waha src/api/chatting.controller.ts)
    def mark_read(self, to: str, external_ids: Sequence[str]) -> None:
        """`POST /api/sendSeen {session, chatId, messageId, messageIds}` (`SendSeenRequest`,
        src/structures/chatting.dto.ts): WEBJS marks the whole chat seen (`chat.sendSeen()`);
        NOWEB reads the named message (`messageId`, 2024.10; later versions take every one in
        `messageIds`), so both name them: the latest, and all."""
        if not external_ids:
            return
        self._call("POST", "/api/sendSeen", json={
            "session": self.session, "chatId": chat_id(to), "messageId": external_ids[-1],
            "messageIds": list(external_ids)})

    def typing(self, to: str, on: bool, latest: str | None) -> None:
        """`POST /api/startTyping` or `/api/stopTyping {session, chatId}` (`ChatRequest`):
        "typing…" lasts until stopped (NOWEB: presence `composing`, then `paused`)."""
        self._call("POST", "/api/startTyping" if on else "/api/stopTyping",
                   json={"session": self.session, "chatId": chat_id(to)})

    # -- senders known by lid --------------------------------------------------------------
    def resolve_lid(self, lid: str) -> str | None:
        """The phone number (E.164) behind `…@lid`, or None when WAHA does not know it. An
        answer with a number is remembered; "unknown" is asked again next time."""
        key = lid.split("@", 1)[0]
        with self._lids_lock:
            if key in self._lids:
                return self._lids[key]
        # WAHA's LidsController reads `/:lid` and wants it ending in `@lid`; GOWS hands it to
        # whatsmeow's ParseJID as it is. Sent with its suffix, URL-encoded: `123%40lid`.
        answer = self._call("GET", f"/api/{self.session}/lids/{quote(key + '@lid', safe='')}",
                            missing_ok=True)
        pn = answer.get("pn") if isinstance(answer, dict) else None
        phone = None
        if isinstance(pn, str) and pn:
            try:
                phone = to_e164(pn)
            except DomainError:
                phone = None
        if phone is not None:
            with self._lids_lock:
                self._lids[key] = phone
                while len(self._lids) > LID_CACHE:
                    self._lids.popitem(last=False)
        return phone

    # -- inside ----------------------------------------------------------------------------
    def _config(self) -> dict[str, Any]:
        if not self._webhook_url:
            return {}
        hook: dict[str, Any] = {
            "url": self._webhook_url, "events": EVENTS,
            "retries": {"policy": "exponential", "delaySeconds": RETRY_DELAY_SECONDS,
                        "attempts": self.webhook_retries},
        }
        if self._hmac_key:
            hook["hmac"] = {"key": self._hmac_key}
        return {"webhooks": [hook]}

    def _session(self, body: dict[str, Any]) -> GatewaySession:
        status = str(body.get("status", ""))
        if status not in STATUSES:
            raise GatewayError(f"WAHA reports an unknown status {status!r}.",
                               code="GATEWAY_BAD_ANSWER")
        account = None
        me = body.get("me")
        if status == "WORKING" and isinstance(me, dict) and isinstance(me.get("id"), str):
            try:
                phone = to_e164(me["id"])
            except DomainError:
                phone = ""
            if phone:
                engine = body.get("engine")
                name = engine.get("engine") if isinstance(engine, dict) else None
                push = me.get("pushName")
                device = f"WAHA {name or ''}".strip()
                if isinstance(push, str) and push:
                    device += f" ({push})"
                account = LinkedAccount(phone=phone, device=device)
        return GatewaySession(status=status, account=account)

    def _call(self, method: str, path: str, *, json: Any = None,
              params: dict[str, str] | None = None, missing_ok: bool = False) -> Any:
        try:
            response = self._http.request(method, path, json=json, params=params)
        except httpx.HTTPError as error:
            raise GatewayError(f"WAHA is not reachable at {self.url}: {type(error).__name__}.",
                               code="GATEWAY_UNREACHABLE") from None
        if response.status_code == 404 and missing_ok:
            return None
        if response.status_code in (401, 403):
            raise GatewayError("WAHA refused the API key (SWITCHBOARD_WAHA_API_KEY).",
                               code="GATEWAY_UNAUTHORIZED", retryable=False)
        if response.status_code >= 400:
            raise GatewayError(
                f"WAHA answered {response.status_code} to {method} {path}: {_detail(response)}",
                code="GATEWAY_REFUSED", retryable=response.status_code >= 500)
        if not response.content:
            return {}
        try:
            return response.json()
        except ValueError:
            raise GatewayError(f"WAHA answered {method} {path} with something not JSON.",
                               code="GATEWAY_BAD_ANSWER") from None


def sent_id(answer: Any, chat: str) -> str | None:
    """The message id in a send's answer, whichever engine answered: WEBJS `id._serialized` (or
    its parts), GOWS `id`, NOWEB `key {remoteJid, fromMe, id}`; a bare id is taken as ours in
    `chat`. None when there is none."""
    if not isinstance(answer, dict):
        return None
    raw = answer.get("id")
    if isinstance(raw, dict):  # WEBJS: {fromMe, remote, id, _serialized}
        serialized = raw.get("_serialized")
        if isinstance(serialized, str) and serialized:
            return message_id(serialized)
        answer = {"key": {"remoteJid": raw.get("remote"), "fromMe": raw.get("fromMe", True),
                          "id": raw.get("id")}}
    elif isinstance(raw, str) and raw:
        return message_id(raw) if "_" in raw else f"true_{_chat(chat)}_{raw}"
    key = answer.get("key")  # NOWEB: Baileys' WAMessage
    if isinstance(key, dict) and isinstance(key.get("id"), str) and key["id"]:
        remote = key.get("remoteJid")
        remote = remote if isinstance(remote, str) and "@" in remote else chat
        from_me = "true" if key.get("fromMe", True) is not False else "false"
        return f"{from_me}_{_chat(remote)}_{key['id']}"
    return None


def _uncertain(why: str) -> GatewayError:
    return GatewayError(
        f"{why}. The message may have gone out: check with the client before sending it again.",
        code="DELIVERY_UNCERTAIN", retryable=False)


def _shape(answer: Any) -> str:
    if isinstance(answer, dict):
        keys = sorted(str(k) for k in answer)[:10]
        return f"keys: {', '.join(keys)}" if keys else "an empty object"
    return type(answer).__name__


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        for key in ("message", "error", "detail"):
            if isinstance(body.get(key), str):
                return str(body[key])[:200]
    return str(body)[:200]
