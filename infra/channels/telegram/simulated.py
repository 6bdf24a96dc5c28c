"""Telegram played on this machine, with no outside account (`SWITCHBOARD_TELEGRAM_SIMULATED`;
by default in development with the WhatsApp simulator and no bot token).

The fake Bot API (`fake.py`) runs in process on 127.0.0.1 as the bot's server, and the real
adapter — `TelegramChannel` with its `BotApiTelegramGateway` — talks to it exactly as to
Telegram: `getMe` and `setWebhook` with the secret at start-up, `sendMessage`, `sendPhoto`,
`getFile` for the clients' files. `SimulatedTelegram` plays the clients: a user writes, sends a
file, shares a place or a contact, or edits a message, and each becomes an update the fake
POSTs to `/webhooks/telegram` with the secret header, as Telegram does; what the bot sent to a
chat is the fake's record. Every call that delivers blocks on our own webhook: call it from a
thread (the phone routes do)."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import threading
import time
from dataclasses import dataclass
from typing import Any

from infra.channels.telegram import fake
from infra.channels.telegram.fake import FakeBotApi

WEBHOOK_LABEL = b"switchboard: the simulated Telegram's webhook secret"


def webhook_secret(simulator_secret: str) -> str:
    """The webhook's secret_token, derived from the simulator's secret: 64 hex digits, which
    Telegram's charset (A-Z a-z 0-9 _ -) takes."""
    return hmac.new(simulator_secret.encode(), WEBHOOK_LABEL, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class TelegramUser:
    """A client writing to the bot: their user id (also their private chat's), their name and,
    optionally, their @username."""

    id: int
    name: str = ""
    username: str = ""

    def sender(self) -> dict[str, Any]:
        """The `from` of their messages, as the update builders take it."""
        first, _, last = self.name.strip().partition(" ")
        return {"first_name": first, "last_name": last.strip(), "username": self.username}


@dataclass(frozen=True)
class Delivered:
    """An update delivered to our webhook: its HTTP status, its answer, and the ids Telegram
    gave (the message's id is what an edit names)."""

    status: int
    answer: Any
    update_id: int
    message_id: int

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class NotDelivered(Exception):
    """The simulated Telegram could not deliver (no webhook set yet)."""


class SimulatedTelegram:
    def __init__(self, api: FakeBotApi) -> None:
        self.api = api
        self._update_ids = itertools.count(int(time.time()))
        self._lock = threading.Lock()
        self._stopped = False

    @classmethod
    def start(cls) -> SimulatedTelegram:
        """The fake Bot API on a free loopback port, serving. It takes an http:// webhook (ours,
        on loopback), and every chat's message ids start above those of an earlier run."""
        api = FakeBotApi(message_ids_after=int(time.time() * 1000))
        api.https_only = False
        return cls(api.start())

    def stop(self) -> None:
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        self.api.stop()

    @property
    def url(self) -> str:
        return self.api.url

    @property
    def token(self) -> str:
        return self.api.token

    @property
    def bot(self) -> str:
        return f"@{self.api.me['username']}"

    @property
    def webhook_set(self) -> bool:
        return bool(self.api.webhook["url"])

    # -- a client, to the bot ------------------------------------------------------------------
    def write(self, user: TelegramUser, text: str) -> Delivered:
        update_id, message_id = self._ids(user)
        return self._deliver(fake.text_update(update_id, user.id, text, message_id=message_id,
                                              **user.sender()), update_id, message_id)

    def send_file(self, user: TelegramUser, content: bytes, mime: str, file_name: str,
                  caption: str = "") -> Delivered:
        """A photo (an image), a voice note (audio) or else a document, as a Telegram app
        sends it: the file is kept on the fake's servers, the update names its file_id."""
        file_id = self.api.add_file(content, mime, file_name=file_name)
        update_id, message_id = self._ids(user)
        who = user.sender()
        if mime.startswith("image/") and mime not in ("image/gif", "image/svg+xml"):
            update = fake.photo_update(update_id, user.id, file_id, caption=caption,
                                       file_size=len(content), message_id=message_id, **who)
        elif mime.startswith("audio/") and not caption:  # a voice note has no caption here
            update = fake.voice_update(update_id, user.id, file_id, mime_type=mime,
                                       file_size=len(content), message_id=message_id, **who)
        else:
            update = fake.document_update(update_id, user.id, file_id,
                                          file_name=file_name or "file", mime_type=mime,
                                          file_size=len(content), caption=caption,
                                          message_id=message_id, **who)
        return self._deliver(update, update_id, message_id)

    def share_location(self, user: TelegramUser, latitude: float, longitude: float,
                       place: str = "") -> Delivered:
        """A location; with `place`, a venue (Telegram sends its location too)."""
        update_id, message_id = self._ids(user)
        update = fake.location_update(update_id, user.id, latitude, longitude,
                                      message_id=message_id, **user.sender())
        if place.strip():
            update["message"]["venue"] = {
                "location": {"latitude": latitude, "longitude": longitude},
                "title": place.strip(), "address": ""}
        return self._deliver(update, update_id, message_id)

    def share_contact(self, user: TelegramUser, phone_number: str, name: str) -> Delivered:
        """A contact from the user's address book (`contact_update`, sent by this user)."""
        first, _, last = name.strip().partition(" ")
        contact = {"phone_number": phone_number, "first_name": first}
        if last.strip():
            contact["last_name"] = last.strip()
        update_id, message_id = self._ids(user)
        update = {"update_id": update_id, "message": fake.message(
            user.id, message_id, contact=contact, **user.sender())}
        return self._deliver(update, update_id, message_id)

    def edit(self, user: TelegramUser, message_id: int, text: str) -> Delivered:
        """The user changes the text of their message `message_id` (an `edited_message`)."""
        update_id = next(self._update_ids)
        return self._deliver(fake.edited_update(update_id, user.id, message_id, text,
                                                **user.sender()), update_id, message_id)

    # -- the bot, to a client --------------------------------------------------------------
    def received(self, user_id: int) -> list[dict[str, Any]]:
        """What the bot sent to this user's chat, oldest first: `message_id`, `at` (ISO 8601),
        `kind` (text, photo or document), `text` (the text or the caption), and for a file its
        `file_name`, `mime_type` and `size`."""
        shown = []
        for sent in self.api.sent(user_id):
            kind = {"sendPhoto": "photo", "sendDocument": "document"}.get(sent["method"], "text")
            entry: dict[str, Any] = {
                "message_id": sent["message_id"],
                "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(sent["date"])),
                "kind": kind, "text": sent["text"] or sent["caption"]}
            if kind != "text":
                entry.update(file_name=sent.get("file_name", ""),
                             mime_type=sent.get("mime_type", ""),
                             size=len(sent.get("content", b"")))
            shown.append(entry)
        return shown

    def file(self, user_id: int, message_id: int) -> tuple[bytes, str, str] | None:
        """The file the bot sent in this message: its bytes, type and name."""
        for sent in self.api.sent(user_id):
            if sent["message_id"] == message_id and "content" in sent:
                return sent["content"], sent.get("mime_type", ""), sent.get("file_name", "")
        return None

    # -- inside ----------------------------------------------------------------------------
    def _ids(self, user: TelegramUser) -> tuple[int, int]:
        return next(self._update_ids), self.api.next_message_id(user.id)

    def _deliver(self, update: dict[str, Any], update_id: int, message_id: int) -> Delivered:
        if not self.webhook_set:
            raise NotDelivered("The simulated Telegram has no webhook yet: the channel sets it "
                               "at start-up (a moment after the server starts).")
        status, answer = self.api.deliver_answered(update)
        return Delivered(status=status, answer=answer, update_id=update_id,
                         message_id=message_id)
