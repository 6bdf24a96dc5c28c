"""A fake Telegram Bot API on loopback, following https://core.telegram.org/bots/api.

Methods are `GET|POST /bot<token>/<method>` with parameters in the query string, a JSON body,
a form or a multipart body (files are uploaded as multipart parts) — "Making requests". Every
answer is `{"ok": true, "result": …}`, or `{"ok": false, "error_code", "description"}` with the
same HTTP status (and `parameters {retry_after}` with 429). A well-formed but wrong token
answers 401 "Unauthorized", a malformed one 404 "Not Found", as Telegram does.

Served: `getMe`; `setWebhook {url, secret_token, allowed_updates}` (secret_token 1-256 of
A-Z a-z 0-9 _ -), `getWebhookInfo`, `deleteWebhook`; `sendMessage {chat_id, text}` (1-4096
characters), `sendPhoto {chat_id, photo, caption}`, `sendDocument {chat_id, document, caption}`
(captions 0-1024), each answering the sent Message — `message_id` counts up per chat, as in a
private chat; `getFile {file_id}` → `File {file_id, file_unique_id, file_size, file_path}`
("file is too big" over 20 MB) and the bytes at `GET /file/bot<token>/<file_path>`;
`sendChatAction {chat_id, action}` → True ("typing" and the other documented actions).

Knobs: `add_file` (a client's file), `rate_limit(n)` (the next send answers 429 "Too Many
Requests: retry after n"), `block(chat)` (403 "Forbidden: bot was blocked by the user"),
`down` (502), `https_only` (Telegram takes only HTTPS webhooks; off so that `deliver` can reach
a loopback server). `deliver(update)` POSTs an update to the registered webhook with
`X-Telegram-Bot-Api-Secret-Token`, as Telegram does (`deliver_answered` answers the webhook's
body too); the builders below write updates, and `next_message_id(chat)` numbers a user's
message in the chat's one sequence."""

from __future__ import annotations

import email.parser
import email.policy
import json
import re
import secrets
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import httpx

from infra.channels.fakeserver import FakeServer, Raw, Request

TOKEN = "123456789:AAF-fake_telegram_token_for_tests0"
SECRET = "telegram-webhook-secret"
BOT_ID = 123456789
BOT_USERNAME = "acme_support_bot"
MAX_DOWNLOAD = 20 * 1024 * 1024
SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
WELL_FORMED_TOKEN = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
FOLDERS = {"image": "photos", "audio": "voice", "video": "videos"}
CHAT_ACTIONS = frozenset({"typing", "upload_photo", "record_video", "upload_video",
                          "record_voice", "upload_voice", "upload_document", "choose_sticker",
                          "find_location", "record_video_note", "upload_video_note"})


@dataclass
class _File:
    file_id: str
    unique_id: str
    content: bytes
    mime: str
    path: str
    size: int


@dataclass
class _Upload:
    file_name: str
    mime: str
    content: bytes


def _error(code: int, description: str, **parameters: Any) -> tuple[int, Any]:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return code, body


def _ok(result: Any, description: str = "") -> tuple[int, Any]:
    body: dict[str, Any] = {"ok": True, "result": result}
    if description:
        body["description"] = description
    return 200, body


class FakeBotApi:
    def __init__(self, token: str = TOKEN, username: str = BOT_USERNAME, *,
                 message_ids_after: int = 0) -> None:
        """`message_ids_after`: where every chat's message_ids start counting (a fake started
        again over the same database starts above the ids it used before)."""
        self.token = token
        self._message_ids_after = message_ids_after
        self.me = {"id": BOT_ID, "is_bot": True, "first_name": "Acme Support",
                   "username": username, "can_join_groups": True,
                   "can_read_all_group_messages": False, "supports_inline_queries": False}
        self.webhook: dict[str, Any] = {"url": "", "secret_token": "", "allowed_updates": []}
        self.pending_update_count = 0
        self.last_error: tuple[int, str] | None = None  # (date, message) of a failed delivery
        self.calls: Counter[str] = Counter()  # method (and "download") → times asked
        self.down = False
        self.https_only = False
        self.delivered: list[tuple[dict[str, Any], int]] = []
        self._files: dict[str, _File] = {}
        self._sent: dict[int, list[dict[str, Any]]] = {}
        self._last_message_id: dict[int, int] = {}  # per chat: the bot's and the user's
        self._blocked: set[int] = set()
        self._rate_limit: int | None = None
        self._lock = threading.Lock()
        self._methods = {
            "getMe": self._get_me, "setWebhook": self._set_webhook,
            "getWebhookInfo": self._webhook_info, "deleteWebhook": self._delete_webhook,
            "sendMessage": self._send_message, "sendPhoto": self._send_photo,
            "sendDocument": self._send_document, "getFile": self._get_file,
            "sendChatAction": self._send_chat_action,
        }
        self.actions: list[tuple[int, str]] = []  # sendChatAction's (chat_id, action)
        self.server = FakeServer()
        for verb in ("GET", "POST"):
            self.server.route(verb, r"/bot([^/]*)/([A-Za-z]+)", self._method)
        self.server.route("GET", r"/file/bot([^/]*)/(.+)", self._download)
        # stop() waits for serve_forever's next poll: poll often, so that tests stop at once
        self.server.thread = threading.Thread(target=self.server.httpd.serve_forever,
                                              kwargs={"poll_interval": 0.02}, daemon=True)

    @property
    def url(self) -> str:
        return self.server.url

    def start(self) -> FakeBotApi:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    # -- knobs -------------------------------------------------------------------------------
    def add_file(self, content: bytes, mime: str, *, file_name: str = "",
                 declared_size: int | None = None) -> str:
        """A file a client sent; answers its file_id. `declared_size` is what getFile reports
        (default: the length of `content`)."""
        with self._lock:
            return self._keep(content, mime, file_name, declared_size).file_id

    def rate_limit(self, retry_after: int) -> None:
        """The next send answers 429 with `retry_after`."""
        with self._lock:
            self._rate_limit = retry_after

    def block(self, chat_id: int) -> None:
        """The user blocked the bot: sends to this chat answer 403."""
        with self._lock:
            self._blocked.add(chat_id)

    def sent(self, chat_id: int) -> list[dict[str, Any]]:
        """What the bot sent to a chat: `message_id`, `date`, `method`, `text` or `caption`,
        and for a file its `content`, `file_name` and `mime_type`."""
        with self._lock:
            return [dict(m) for m in self._sent.get(chat_id, [])]

    def next_message_id(self, chat_id: int) -> int:
        """A new message_id in a chat for a message the user writes: in a private chat the
        user's messages and the bot's count up together."""
        with self._lock:
            return self._next_message_id(chat_id)

    # -- what Telegram does ------------------------------------------------------------------
    def deliver(self, update: dict[str, Any], timeout: float = 10.0) -> int:
        """POSTs `update` to the webhook as Telegram does; answers the HTTP status (0 when the
        webhook could not be reached). A failure is kept as getWebhookInfo's last error."""
        return self.deliver_answered(update, timeout)[0]

    def deliver_answered(self, update: dict[str, Any], timeout: float = 10.0
                         ) -> tuple[int, Any]:
        """As `deliver`, answering the webhook's body too (JSON, else its text; None when it
        could not be reached)."""
        with self._lock:
            url, secret = self.webhook["url"], self.webhook["secret_token"]
        if not url:
            raise RuntimeError("No webhook is set (setWebhook was not called).")
        headers = {"content-type": "application/json"}
        if secret:
            headers["x-telegram-bot-api-secret-token"] = secret
        body: Any = None
        try:
            response = httpx.post(url, content=json.dumps(update).encode(), headers=headers,
                                  timeout=timeout)
            status = response.status_code
            try:
                body = response.json()
            except ValueError:
                body = response.text
            failure = "" if 200 <= status < 300 else f"Wrong response from the webhook: {status}"
        except httpx.HTTPError as error:
            status, failure = 0, f"Connection failed: {type(error).__name__}"
        with self._lock:
            self.delivered.append((update, status))
            if failure:
                self.last_error = (int(time.time()), failure)
                self.pending_update_count += 1
        return status, body

    # -- the API -----------------------------------------------------------------------------
    def _method(self, request: Request) -> tuple[int, Any]:
        token, method = request.match.group(1), request.match.group(2)
        with self._lock:
            self.calls[method] += 1
        refused = self._refused(token)
        if refused is not None:
            return refused
        handler = self._methods.get(method)
        if handler is None:
            return _error(404, "Not Found")
        try:
            params, files = _parameters(request)
        except ValueError:
            return _error(400, "Bad Request: can't parse request body")
        with self._lock:
            return handler(params, files)

    def _refused(self, token: str) -> tuple[int, Any] | None:
        if self.down:
            return _error(502, "Bad Gateway")
        if not WELL_FORMED_TOKEN.match(token):
            return _error(404, "Not Found")
        if token != self.token:
            return _error(401, "Unauthorized")
        return None

    def _get_me(self, params: dict[str, Any], files: dict[str, _Upload]) -> tuple[int, Any]:
        return _ok(dict(self.me))

    def _set_webhook(self, params: dict[str, Any], files: dict[str, _Upload]
                     ) -> tuple[int, Any]:
        url = str(params.get("url", ""))
        secret = str(params.get("secret_token", ""))
        if secret and not SECRET_TOKEN.match(secret):
            return _error(400, "Bad Request: secret token contains unallowed characters")
        if url and self.https_only and not url.startswith("https://"):
            return _error(400, "Bad Request: bad webhook: An HTTPS URL must be provided for "
                               "webhook")
        allowed = params.get("allowed_updates", [])
        if isinstance(allowed, str):
            try:
                allowed = json.loads(allowed)
            except ValueError:
                return _error(400, "Bad Request: can't parse allowed updates")
        if not isinstance(allowed, list) or not all(isinstance(a, str) for a in allowed):
            return _error(400, "Bad Request: can't parse allowed updates")
        self.webhook = {"url": url, "secret_token": secret, "allowed_updates": allowed}
        self.last_error = None
        return _ok(True, "Webhook was set" if url else "Webhook was deleted")

    def _webhook_info(self, params: dict[str, Any], files: dict[str, _Upload]
                      ) -> tuple[int, Any]:
        info: dict[str, Any] = {"url": self.webhook["url"], "has_custom_certificate": False,
                                "pending_update_count": self.pending_update_count}
        if self.webhook["url"]:
            info["max_connections"] = 40
            info["ip_address"] = "127.0.0.1"
            if self.webhook["allowed_updates"]:
                info["allowed_updates"] = list(self.webhook["allowed_updates"])
        if self.last_error is not None:
            info["last_error_date"], info["last_error_message"] = self.last_error
        return _ok(info)

    def _delete_webhook(self, params: dict[str, Any], files: dict[str, _Upload]
                        ) -> tuple[int, Any]:
        self.webhook = {"url": "", "secret_token": "", "allowed_updates": []}
        return _ok(True, "Webhook was deleted")

    def _send_refused(self, params: dict[str, Any]) -> tuple[int, Any] | int:
        """The chat of a send, or Telegram's refusal."""
        if self._rate_limit is not None:
            wait, self._rate_limit = self._rate_limit, None
            return _error(429, f"Too Many Requests: retry after {wait}", retry_after=wait)
        try:
            chat = int(str(params.get("chat_id", "")))
        except ValueError:
            return _error(400, "Bad Request: chat not found")
        if chat in self._blocked:
            return _error(403, "Forbidden: bot was blocked by the user")
        return chat

    def _send_message(self, params: dict[str, Any], files: dict[str, _Upload]
                      ) -> tuple[int, Any]:
        chat = self._send_refused(params)
        if isinstance(chat, tuple):
            return chat
        text = str(params.get("text", ""))
        if not text.strip():
            return _error(400, "Bad Request: message text is empty")
        if len(text) > 4096:
            return _error(400, "Bad Request: message is too long")
        return _ok(self._record(chat, "sendMessage", {"text": text}, {}))

    def _send_chat_action(self, params: dict[str, Any], files: dict[str, _Upload]
                          ) -> tuple[int, Any]:
        """`sendChatAction {chat_id, action}` → True; `action` one of the documented kinds
        ("typing", "upload_photo", …), else 400 "Bad Request: wrong parameter action in
        request"; a blocked chat refuses as a send does."""
        chat = self._send_refused(params)
        if isinstance(chat, tuple):
            return chat
        action = str(params.get("action", ""))
        if action not in CHAT_ACTIONS:
            return _error(400, "Bad Request: wrong parameter action in request")
        self.actions.append((chat, action))
        return _ok(True)

    def _send_photo(self, params: dict[str, Any], files: dict[str, _Upload]
                    ) -> tuple[int, Any]:
        return self._send_file(params, files, "photo")

    def _send_document(self, params: dict[str, Any], files: dict[str, _Upload]
                       ) -> tuple[int, Any]:
        return self._send_file(params, files, "document")

    def _send_file(self, params: dict[str, Any], files: dict[str, _Upload], field: str
                   ) -> tuple[int, Any]:
        chat = self._send_refused(params)
        if isinstance(chat, tuple):
            return chat
        caption = str(params.get("caption", ""))
        if len(caption) > 1024:
            return _error(400, "Bad Request: message caption is too long")
        upload = files.get(field)
        if upload is not None:
            kept = self._keep(upload.content, upload.mime, upload.file_name, None)
        else:  # a file_id Telegram already has
            known = self._files.get(str(params.get(field, "")))
            if known is None:
                return _error(400, f"Bad Request: there is no {field} in the request")
            kept = known
        if field == "photo":
            shown: dict[str, Any] = {"photo": [
                {"file_id": kept.file_id, "file_unique_id": kept.unique_id, "width": 1280,
                 "height": 960, "file_size": kept.size}]}
        else:
            shown = {"document": {"file_id": kept.file_id, "file_unique_id": kept.unique_id,
                                  "file_name": upload.file_name if upload else "",
                                  "mime_type": kept.mime, "file_size": kept.size}}
        if caption:
            shown["caption"] = caption
        method = "sendPhoto" if field == "photo" else "sendDocument"
        return _ok(self._record(chat, method, shown, {
            "content": kept.content, "file_name": upload.file_name if upload else "",
            "mime_type": kept.mime}))

    def _get_file(self, params: dict[str, Any], files: dict[str, _Upload]) -> tuple[int, Any]:
        found = self._files.get(str(params.get("file_id", "")))
        if found is None:
            return _error(400, "Bad Request: invalid file_id")
        if found.size > MAX_DOWNLOAD:
            return _error(400, "Bad Request: file is too big")
        return _ok({"file_id": found.file_id, "file_unique_id": found.unique_id,
                    "file_size": found.size, "file_path": found.path})

    def _download(self, request: Request) -> tuple[int, Any]:
        token, path = request.match.group(1), request.match.group(2)
        with self._lock:
            self.calls["download"] += 1
            refused = self._refused(token)
            if refused is not None:
                return refused
            found = next((f for f in self._files.values() if f.path == path), None)
        if found is None:
            return _error(404, "Not Found")
        return 200, Raw(found.content, found.mime or "application/octet-stream")

    # -- inside (under the lock) -------------------------------------------------------------
    def _keep(self, content: bytes, mime: str, file_name: str,
              declared_size: int | None) -> _File:
        n = len(self._files) + 1
        kind = mime.split("/", 1)[0]
        folder = FOLDERS.get(kind, "documents")
        extension = file_name.rsplit(".", 1)[-1] if "." in file_name else (
            mime.split("/", 1)[-1].split(";")[0] or "bin")
        kept = _File(file_id=f"AgAC{secrets.token_urlsafe(24)}", unique_id=f"AQAD{n}",
                     content=content, mime=mime, path=f"{folder}/file_{n}.{extension}",
                     size=len(content) if declared_size is None else declared_size)
        self._files[kept.file_id] = kept
        return kept

    def _next_message_id(self, chat: int) -> int:
        self._last_message_id[chat] = self._last_message_id.get(
            chat, self._message_ids_after) + 1
        return self._last_message_id[chat]

    def _record(self, chat: int, method: str, shown: dict[str, Any],
                kept: dict[str, Any]) -> dict[str, Any]:
        sent = self._sent.setdefault(chat, [])
        message = {"message_id": self._next_message_id(chat), "from": {
            "id": BOT_ID, "is_bot": True, "first_name": self.me["first_name"],
            "username": self.me["username"]}, "chat": {"id": chat, "type": "private"},
            "date": int(time.time()), **shown}
        sent.append({"message_id": message["message_id"], "date": message["date"],
                     "method": method, "text": shown.get("text", ""),
                     "caption": shown.get("caption", ""), **kept})
        return message


def _parameters(request: Request) -> tuple[dict[str, Any], dict[str, _Upload]]:
    """A method's parameters from the query string and the body, as Telegram reads them."""
    params: dict[str, Any] = dict(request.query)
    files: dict[str, _Upload] = {}
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if not request.body:
        return params, files
    if kind == "application/json":
        body = json.loads(request.body)
        if not isinstance(body, dict):
            raise ValueError("not an object")
        params.update(body)
    elif kind == "application/x-www-form-urlencoded":
        params.update({k: v[0] for k, v in parse_qs(request.body.decode()).items()})
    elif kind == "multipart/form-data":
        head = f"Content-Type: {request.headers['content-type']}\r\nMIME-Version: 1.0\r\n\r\n"
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            head.encode() + request.body)
        if not message.is_multipart():
            raise ValueError("not multipart")
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if not isinstance(name, str):
                continue
            payload = part.get_payload(decode=True)
            content = payload if isinstance(payload, bytes) else b""
            filename = part.get_filename()
            if filename is None:
                params[name] = content.decode()
            else:
                files[name] = _Upload(file_name=filename, mime=part.get_content_type(),
                                      content=content)
    return params, files


# -- updates, as Telegram writes them --------------------------------------------------------
def message(chat_id: int, message_id: int, *, first_name: str = "Ivan", last_name: str = "",
            username: str = "", chat_type: str = "private", date: int | None = None,
            **content: Any) -> dict[str, Any]:
    """A Message from a user (whose id is the chat's, in a private chat)."""
    user: dict[str, Any] = {"id": chat_id, "is_bot": False, "first_name": first_name,
                            "language_code": "ru"}
    chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
    if chat_type == "private":
        chat["first_name"] = first_name
    else:
        chat["title"] = "Acme customers"
    if last_name:
        user["last_name"] = chat["last_name"] = last_name
    if username:
        user["username"] = chat["username"] = username
    return {"message_id": message_id, "from": user, "chat": chat,
            "date": int(time.time()) if date is None else date, **content}


def text_update(update_id: int, chat_id: int, text: str, *, message_id: int | None = None,
                **sender: Any) -> dict[str, Any]:
    return {"update_id": update_id, "message": message(
        chat_id, update_id if message_id is None else message_id, text=text, **sender)}


def photo_update(update_id: int, chat_id: int, file_id: str, *, caption: str = "",
                 file_size: int | None = None, sizes: list[dict[str, Any]] | None = None,
                 message_id: int | None = None, **sender: Any) -> dict[str, Any]:
    """A photo as Telegram sends it: the same picture in several sizes, the largest last
    (`sizes` overrides them)."""
    photo = sizes if sizes is not None else [
        {"file_id": f"{file_id}-thumb", "file_unique_id": "AQADthumb", "width": 90,
         "height": 68, "file_size": 1200},
        {"file_id": file_id, "file_unique_id": "AQADfull", "width": 1280, "height": 960,
         "file_size": file_size if file_size is not None else 98000}]
    content: dict[str, Any] = {"photo": photo}
    if caption:
        content["caption"] = caption
    return {"update_id": update_id, "message": message(
        chat_id, update_id if message_id is None else message_id, **content, **sender)}


def document_update(update_id: int, chat_id: int, file_id: str, *,
                    file_name: str = "invoice.pdf", mime_type: str = "application/pdf",
                    file_size: int = 48213, caption: str = "", message_id: int | None = None,
                    **sender: Any) -> dict[str, Any]:
    content: dict[str, Any] = {"document": {
        "file_id": file_id, "file_unique_id": "AgADdoc", "file_name": file_name,
        "mime_type": mime_type, "file_size": file_size}}
    if caption:
        content["caption"] = caption
    return {"update_id": update_id, "message": message(
        chat_id, update_id if message_id is None else message_id, **content, **sender)}


def voice_update(update_id: int, chat_id: int, file_id: str, *, duration: int = 4,
                 mime_type: str = "audio/ogg", file_size: int = 9120,
                 message_id: int | None = None, **sender: Any) -> dict[str, Any]:
    return {"update_id": update_id, "message": message(
        chat_id, update_id if message_id is None else message_id, voice={
            "file_id": file_id, "file_unique_id": "AgADvoice", "duration": duration,
            "mime_type": mime_type, "file_size": file_size}, **sender)}


def location_update(update_id: int, chat_id: int, latitude: float, longitude: float, *,
                    message_id: int | None = None, **sender: Any) -> dict[str, Any]:
    return {"update_id": update_id, "message": message(
        chat_id, update_id if message_id is None else message_id,
        location={"latitude": latitude, "longitude": longitude}, **sender)}


def contact_update(update_id: int, chat_id: int, phone_number: str, first_name: str,
                   last_name: str = "", *, message_id: int | None = None,
                   **sender: Any) -> dict[str, Any]:
    contact: dict[str, Any] = {"phone_number": phone_number, "first_name": first_name}
    if last_name:
        contact["last_name"] = last_name
    return {"update_id": update_id, "message": message(
        chat_id, update_id if message_id is None else message_id, contact=contact, **sender)}


def edited_update(update_id: int, chat_id: int, message_id: int, text: str, *,
                  edit_date: int | None = None, **sender: Any) -> dict[str, Any]:
    """The client changed the text of their message `message_id`."""
    now = int(time.time())
    edited = message(chat_id, message_id, text=text, date=now - 60, **sender)
    edited["edit_date"] = now if edit_date is None else edit_date
    return {"update_id": update_id, "edited_message": edited}
