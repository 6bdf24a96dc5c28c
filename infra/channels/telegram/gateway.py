"""The Telegram Bot API as a gateway (https://core.telegram.org/bots/api).

Every method is `POST {api_url}/bot<token>/<method>` with a JSON body, or a multipart body to
upload a file; every answer is `{"ok": true, "result": …}` or `{"ok": false, "error_code",
"description", "parameters": {"retry_after"}}` ("Making requests"). Clients are `tg:<chat id>`;
a sent message's id here is `<chat id>:<message_id>`, as the webhook names the clients' own.

Limits from the documentation: a text is 1-4096 characters and a caption 0-1024 (`sendMessage`,
`sendPhoto`); a photo is at most 10 MB (larger images go as documents), other files 50 MB;
bots download files of up to 20 MB (`getFile`; the file is then at `/file/bot<token>/<path>`).
The FAQ asks for at most one message per second to a chat and about 30 per second in all: sends
are paced to `per_chat_per_second` and `per_bot_per_second` here (a send waits its turn), and
an answer 429 with `retry_after` holds every send, to any chat, until then — Telegram counts
the flood against the bot, not the chat."""

from __future__ import annotations

import logging
import mimetypes
import re
import threading
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

import httpx

from application.ports import GatewayError, MediaFile
from infra.channels.files import read_capped, too_large

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
ALLOWED_UPDATES = ("message", "edited_message")
CHAT_ID = re.compile(r"^tg:(-?\d{1,20})$")
TOKEN_IN_URL = re.compile(r"/bot[^/\s]+/")
_PACE_MEMORY = 10_000  # chats whose last send is remembered for pacing


class _RedactTokens(logging.Filter):
    """httpx logs every request's URL at INFO; the Bot API's URLs carry the token."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            message = record.getMessage()
            if "/bot" in message:
                record.msg, record.args = TOKEN_IN_URL.sub("/bot<token>/", message), ()
        elif isinstance(record.msg, str) and "/bot" in record.msg:
            record.msg = TOKEN_IN_URL.sub("/bot<token>/", record.msg)
        return True


_REDACT = _RedactTokens()


def chat_id_of(to: str) -> int:
    """The chat of a client known as `tg:<chat id>`."""
    found = CHAT_ID.match(to)
    if found is None:
        raise GatewayError(f"{to!r} is not a Telegram client (tg:<chat id>).",
                           code="TELEGRAM_BAD_REQUEST", retryable=False)
    return int(found.group(1))


class BotApiTelegramGateway:
    kind = "telegram"
    idempotent_sends = False
    reply_window: timedelta | None = None

    def __init__(
        self, api_url: str, token: str, *, per_chat_per_second: float = 1.0,
        per_bot_per_second: float = 30.0, clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep, timeout: float = 10.0,
        download_timeout: float = 60.0, transport: httpx.BaseTransport | None = None,
    ) -> None:
        if per_chat_per_second <= 0 or per_bot_per_second <= 0:
            raise ValueError("Sends per second must be above zero.")
        self.api_url = api_url.rstrip("/")
        self._token = token
        self._chat_interval = 1.0 / per_chat_per_second
        self._bot_interval = 1.0 / per_bot_per_second
        self._clock = clock
        self._sleep = sleep
        self._download_timeout = download_timeout
        self._http = httpx.Client(base_url=self.api_url, timeout=timeout, transport=transport,
                                  headers={"Accept": "application/json"})
        self._lock = threading.Lock()
        self._chat_next: dict[int, float] = {}  # when each chat may be sent to next
        self._bot_next = 0.0  # when the bot may send next
        self._quiet_until = 0.0  # Telegram's retry_after, as a moment of `clock`
        logger = logging.getLogger("httpx")
        if _REDACT not in logger.filters:
            logger.addFilter(_REDACT)

    def close(self) -> None:
        self._http.close()

    # -- the bot and its webhook -------------------------------------------------------------
    def get_me(self) -> dict[str, Any]:
        """The bot's User (`id`, `is_bot`, `first_name`, `username`): checks the token."""
        return _object(self._call("getMe"), "getMe")

    def set_webhook(self, url: str, secret_token: str,
                    allowed_updates: list[str] | None = None) -> bool:
        """Makes Telegram POST every update to `url` with `X-Telegram-Bot-Api-Secret-Token`."""
        body = {"url": url, "secret_token": secret_token,
                "allowed_updates": list(ALLOWED_UPDATES if allowed_updates is None
                                        else allowed_updates)}
        return self._call("setWebhook", json=body) is True

    def webhook_info(self) -> dict[str, Any]:
        """getWebhookInfo: `url`, `pending_update_count`, `last_error_date`,
        `last_error_message`, `allowed_updates`, …"""
        return _object(self._call("getWebhookInfo"), "getWebhookInfo")

    def delete_webhook(self) -> bool:
        return self._call("deleteWebhook") is True

    # -- the port --------------------------------------------------------------------------
    def send_text(self, to: str, text: str, idempotency_key: str) -> str:
        chat = chat_id_of(to)
        if not text.strip() or len(text) > MAX_TEXT:
            raise GatewayError(f"A Telegram message is 1 to {MAX_TEXT} characters.",
                               code="TEXT_TOO_LONG", retryable=False)
        self._wait_turn(chat)
        return _message_id(self._call("sendMessage", json={"chat_id": chat, "text": text}),
                           chat)

    def send_media(self, to: str, kind: str, file: MediaFile, caption: str,
                   idempotency_key: str) -> str:
        """An image as a photo (`sendPhoto`; one over 10 MB as a document), anything else as a
        document (`sendDocument`), uploaded as multipart/form-data with its caption."""
        chat = chat_id_of(to)
        if len(caption) > MAX_CAPTION:
            raise GatewayError(f"A Telegram caption is at most {MAX_CAPTION} characters.",
                               code="CAPTION_TOO_LONG", retryable=False)
        if len(file.content) > MAX_UPLOAD_BYTES:
            raise GatewayError("Telegram takes files of up to 50 MB from bots.",
                               code="FILE_TOO_LARGE", retryable=False)
        as_photo = kind == "image" and len(file.content) <= MAX_PHOTO_BYTES
        method, field = ("sendPhoto", "photo") if as_photo else ("sendDocument", "document")
        data = {"chat_id": str(chat)}
        if caption:
            data["caption"] = caption
        name = file.file_name or _default_name(field, file.mime_type)
        self._wait_turn(chat)
        result = self._call(method, data=data,
                            files={field: (name, file.content, file.mime_type or
                                           "application/octet-stream")})
        return _message_id(result, chat)

    def download_media(self, source: str, max_bytes: int) -> MediaFile:
        """A client's file by its `file_id`: `getFile` names its `file_path` and `file_size`
        (refused here, before any download, when over `max_bytes` or Telegram's 20 MB), then
        the bytes come from `/file/bot<token>/<file_path>`, read no further than the limit."""
        if not source or len(source) > 1024:
            raise GatewayError("This is not a Telegram file id.", code="MEDIA_BAD_SOURCE",
                               retryable=False)
        try:
            found = _object(self._call("getFile", json={"file_id": source}), "getFile")
        except GatewayError as error:
            if error.code == "TELEGRAM_BAD_REQUEST" and "too big" in error.message:
                raise _over_download_limit() from None
            raise
        size = found.get("file_size")
        if isinstance(size, int) and size > max_bytes:
            raise too_large(max_bytes)
        if isinstance(size, int) and size > MAX_DOWNLOAD_BYTES:
            raise _over_download_limit()
        path = found.get("file_path")
        if not isinstance(path, str) or not path or ".." in path or path.startswith("/"):
            raise GatewayError("Telegram named no file path for this file.",
                               code="GATEWAY_BAD_ANSWER")
        try:
            with self._http.stream("GET", f"/file/bot{self._token}/{path}",
                                   timeout=self._download_timeout) as response:
                if response.status_code == 404:
                    raise GatewayError("Telegram no longer has this file.", code="MEDIA_GONE",
                                       retryable=False)
                if response.status_code in (401, 403):
                    raise _unauthorized("the file server refused it")
                if response.status_code >= 400:
                    raise GatewayError(f"Telegram answered {response.status_code} for a file.",
                                       code="GATEWAY_REFUSED",
                                       retryable=response.status_code >= 500)
                content = read_capped(response, max_bytes)
                served = response.headers.get("content-type", "").split(";")[0].strip()
        except httpx.HTTPError as error:
            raise _unreachable(self.api_url, error) from None
        name = path.rsplit("/", 1)[-1]
        guessed = mimetypes.guess_type(name)[0] or ""
        mime = served if served and served != "application/octet-stream" else guessed
        return MediaFile(content=content, mime_type=mime or "application/octet-stream",
                         file_name=name)

    # -- what the client sees of the operators -------------------------------------------------
    def mark_read(self, to: str, external_ids: Sequence[str]) -> None:
        """The Bot API has no read receipts: a bot's chats show nothing read."""

    def typing(self, to: str, on: bool, latest: str | None) -> None:
        """`sendChatAction {chat_id, action: "typing"}` → True: shown "for 5 seconds or less
        (when a message arrives from your bot, Telegram clients clear its typing status)".
        There is no request to stop it. Not paced as a message is (it sends none)."""
        if on:
            self._call("sendChatAction", json={"chat_id": chat_id_of(to), "action": "typing"})

    # -- inside ----------------------------------------------------------------------------
    def _wait_turn(self, chat: int) -> None:
        """Takes the next free moment for this chat and the bot (thread-safe: each caller
        reserves its own moment under the lock, then waits outside it); refuses at once while
        Telegram's retry_after runs."""
        with self._lock:
            now = self._clock()
            self._check_quiet(now)
            at = max(now, self._chat_next.get(chat, now), self._bot_next)
            self._chat_next[chat] = at + self._chat_interval
            self._bot_next = at + self._bot_interval
            if len(self._chat_next) > _PACE_MEMORY:
                self._chat_next = {c: t for c, t in self._chat_next.items() if t > now}
        if at > now:
            self._sleep(at - now)
            with self._lock:  # a 429 may have come while this send waited
                self._check_quiet(self._clock())

    def _check_quiet(self, now: float) -> None:
        if now < self._quiet_until:
            wait = self._quiet_until - now
            raise GatewayError(f"Telegram asked the bot to wait {wait:.0f} s more before "
                               "sending (Too Many Requests).", code="RATE_LIMITED")

    def _hold(self, retry_after: int) -> None:
        with self._lock:
            self._quiet_until = max(self._quiet_until, self._clock() + retry_after)

    def _call(self, method: str, *, json: Any = None, data: dict[str, str] | None = None,
              files: dict[str, tuple[str, bytes, str]] | None = None) -> Any:
        try:
            response = self._http.post(f"/bot{self._token}/{method}", json=json, data=data,
                                       files=files)
        except httpx.HTTPError as error:
            raise _unreachable(self.api_url, error) from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and body.get("ok") is True and "result" in body:
            return body["result"]
        raise self._refusal(method, response.status_code, body)

    def _refusal(self, method: str, status: int, body: Any) -> GatewayError:
        """Telegram's refusal as a GatewayError; a 429 also holds every send until its
        `retry_after`."""
        body = body if isinstance(body, dict) else {}
        code = body.get("error_code")
        code = code if isinstance(code, int) else status
        description = str(body.get("description") or f"HTTP {status}")[:300]
        if code == 429:
            parameters = body.get("parameters")
            wait = parameters.get("retry_after") if isinstance(parameters, dict) else None
            seconds = wait if isinstance(wait, int) and 0 < wait <= 86400 else 1
            self._hold(seconds)
            return GatewayError(f"Telegram asked the bot to wait {seconds} s: {description}",
                                code="RATE_LIMITED")
        if code in (401, 404):
            return _unauthorized(description)
        if code == 403:
            return GatewayError(f"Telegram refused {method}: {description}",
                                code="TELEGRAM_FORBIDDEN", retryable=False)
        if code == 400:
            return GatewayError(f"Telegram refused {method}: {description}",
                                code="TELEGRAM_BAD_REQUEST", retryable=False)
        if code >= 500 or status >= 500:
            return GatewayError(f"Telegram failed {method}: {description}",
                                code="GATEWAY_REFUSED")
        if status < 400 and not body:
            return GatewayError(f"Telegram answered {method} with something not JSON.",
                                code="GATEWAY_BAD_ANSWER")
        return GatewayError(f"Telegram refused {method} ({code}): {description}",
                            code="GATEWAY_REFUSED", retryable=False)


def _object(result: Any, method: str) -> dict[str, Any]:
    if not isinstance(result, dict):
        raise GatewayError(f"Telegram answered {method} with no object.",
                           code="GATEWAY_BAD_ANSWER")
    return result


def _message_id(result: Any, chat: int) -> str:
    """`<chat id>:<message_id>` of the Message a send answers."""
    message = _object(result, "a send")
    mid = message.get("message_id")
    where = message.get("chat")
    chat_id = where.get("id") if isinstance(where, dict) else None
    if not isinstance(mid, int):
        raise GatewayError("Telegram answered no message_id.", code="GATEWAY_BAD_ANSWER")
    return f"{chat_id if isinstance(chat_id, int) else chat}:{mid}"


def _default_name(field: str, mime: str) -> str:
    extension = mimetypes.guess_extension(mime or "") or (".jpg" if field == "photo" else "")
    return f"{field}{extension}"


def _unauthorized(description: str) -> GatewayError:
    return GatewayError("Telegram refused the bot token (SWITCHBOARD_TELEGRAM_BOT_TOKEN): "
                        f"{description}", code="TELEGRAM_UNAUTHORIZED", retryable=False)


def _unreachable(url: str, error: Exception) -> GatewayError:
    return GatewayError(f"Telegram is not reachable at {url}: {type(error).__name__}.",
                        code="GATEWAY_UNREACHABLE")


def _over_download_limit() -> GatewayError:
    return GatewayError("Telegram lets bots download files of up to 20 MB; this one is larger.",
                        code="FILE_TOO_LARGE", retryable=False)
