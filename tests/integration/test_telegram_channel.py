"""The Telegram channel: its webhook trusts only Telegram's secret header and hands messages and
edits to the intake; at start-up it checks the token and registers its webhook with the fake
Bot API, and reports how the bot stands; an update Telegram delivers twice is stored once."""

from __future__ import annotations

import asyncio
import json
from dataclasses import fields
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest
from pydantic import ValidationError

from application.channels import (
    EditedMessage,
    IncomingMessage,
    Intake,
    RefusedItem,
    WebhookRefused,
    WebhookRequest,
)
from application.errors import DomainError
from application.handlers import Received
from application.media import MediaLimits
from infra.bootstrap import Container
from infra.channels.context import ChannelContext
from infra.channels.fakeserver import FakeServer, Request
from infra.channels.telegram import build
from infra.channels.telegram.channel import NOT_CHECKED, TelegramChannel
from infra.channels.telegram.fake import (
    BOT_USERNAME,
    SECRET,
    TOKEN,
    FakeBotApi,
    edited_update,
    text_update,
)
from infra.channels.telegram.settings import TelegramSettings
from tests.conftest import wait_for

BASE_URL = "https://switchboard.example"
CHAT = 4242


class ChannelSettings(TelegramSettings):
    """What the channel reads of the settings: the Telegram part and the public address."""

    public_url: str = BASE_URL

    @property
    def base_url(self) -> str:
        return self.public_url


class Clock:
    def now(self) -> datetime:
        return datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


class RecordingIntake:
    """The intake's three doors for Telegram, remembering what came through them."""

    def __init__(self, refuse_with: DomainError | None = None) -> None:
        self.messages: list[IncomingMessage] = []
        self.edits: list[EditedMessage] = []
        self.refused_items: list[RefusedItem] = []
        self.refuse_with = refuse_with

    async def message(self, message: IncomingMessage) -> Received:
        if self.refuse_with is not None:
            raise self.refuse_with
        self.messages.append(message)
        return Received(dialog_id=uuid4(), message_id=uuid4(), duplicate=False)

    async def edited(self, edit: EditedMessage) -> bool:
        self.edits.append(edit)
        return True

    async def refused(self, item: RefusedItem) -> bool:
        self.refused_items.append(item)
        return True


def settings_for(api_url: str, token: str = TOKEN) -> ChannelSettings:
    return ChannelSettings(telegram_bot_token=token, telegram_webhook_secret=SECRET,
                           telegram_api_url=api_url)


def context(settings: TelegramSettings, intake: Any) -> ChannelContext:
    """The channel reads the settings, the intake and the clock; the rest stays unset."""
    given: dict[str, Any] = {"settings": settings, "intake": intake, "clock": Clock()}
    unset: dict[str, Any] = {f.name: given.get(f.name) for f in fields(ChannelContext)}
    return ChannelContext(**unset)


def channel_with(intake: Any, api_url: str = "http://127.0.0.1:9", token: str = TOKEN
                 ) -> TelegramChannel:
    return TelegramChannel(context(settings_for(api_url, token), intake))


def post(channel: TelegramChannel, update: dict[str, Any] | bytes,
         secret: str | None = SECRET, method: str = "POST") -> Any:
    body = update if isinstance(update, bytes) else json.dumps(update).encode()
    headers = {"content-type": "application/json"}
    if secret is not None:
        headers["x-telegram-bot-api-secret-token"] = secret
    return asyncio.run(channel.webhook(WebhookRequest(method=method, body=body,
                                                      headers=headers)))


@pytest.fixture
def intake() -> RecordingIntake:
    return RecordingIntake()


# -- the webhook -------------------------------------------------------------------------------
@pytest.mark.parametrize("secret", [None, "", "another-secret"])
def test_an_update_without_the_secret_is_refused_401_and_nothing_taken(
        intake: RecordingIntake, secret: str | None) -> None:
    channel = channel_with(intake)
    with pytest.raises(WebhookRefused) as refused:
        post(channel, text_update(1, CHAT, "Hello"), secret=secret)
    assert refused.value.status == 401
    assert intake.messages == [] and intake.edits == []


def test_only_post_is_taken(intake: RecordingIntake) -> None:
    with pytest.raises(WebhookRefused) as refused:
        post(channel_with(intake), b"", method="GET")
    assert refused.value.status == 405


def test_a_text_update_is_handed_to_the_intake_as_the_chats_message(
        intake: RecordingIntake) -> None:
    answer = post(channel_with(intake), text_update(17, CHAT, "Where is my order?",
                                                    message_id=31, first_name="Ivan"))
    [message] = intake.messages
    assert (message.channel, message.sender, message.external_id, message.text, message.name) \
        == ("telegram", f"tg:{CHAT}", f"{CHAT}:31", "Where is my order?", "Ivan")
    assert answer["status"] == "accepted"
    assert answer["update_id"] == 17


def test_an_edit_is_handed_to_the_intake_as_an_edit(intake: RecordingIntake) -> None:
    answer = post(channel_with(intake), edited_update(18, CHAT, 31, "Order #1234, please"))
    [edit] = intake.edits
    assert (edit.external_id, edit.text) == (f"{CHAT}:31", "Order #1234, please")
    assert intake.messages == []
    assert answer == {"status": "edited", "update_id": 18}


def test_a_group_message_is_answered_ignored(intake: RecordingIntake) -> None:
    answer = post(channel_with(intake), text_update(19, -1001, "hi all", chat_type="group"))
    assert answer == {"status": "ignored", "update_id": 19}
    assert intake.messages == []


def test_a_malformed_update_is_recorded_as_refused_and_answered_200(
        intake: RecordingIntake) -> None:
    answer = post(channel_with(intake), b'{"update_id": "twelve"}')
    assert answer["status"] == "refused" and "update_id" in answer["reason"]
    [refused] = intake.refused_items
    assert (refused.channel, refused.where, refused.item_id) == ("telegram", "update", "")
    assert refused.raw == b'{"update_id": "twelve"}' and intake.messages == []


def test_a_message_the_domain_refuses_is_recorded_as_refused_with_its_update_id(
        intake: RecordingIntake) -> None:
    intake.refuse_with = DomainError("Malformed sender.")
    answer = post(channel_with(intake), text_update(20, CHAT, "Hello"))
    assert answer == {"status": "refused", "reason": "Malformed sender.", "update_id": 20}
    [refused] = intake.refused_items
    assert (refused.item_id, refused.reason) == ("20", "Malformed sender.")


# -- the settings ------------------------------------------------------------------------------
def test_a_bot_token_without_a_webhook_secret_is_refused() -> None:
    with pytest.raises(ValidationError, match="SWITCHBOARD_TELEGRAM_WEBHOOK_SECRET"):
        TelegramSettings(telegram_bot_token=TOKEN)


def test_a_webhook_secret_telegram_would_not_take_is_refused() -> None:
    with pytest.raises(ValidationError, match="telegram_webhook_secret"):
        TelegramSettings(telegram_bot_token=TOKEN, telegram_webhook_secret="has spaces!")


def test_the_channel_is_on_when_a_token_is_set() -> None:
    assert TelegramSettings().telegram_enabled is False
    assert settings_for("https://api.telegram.org").telegram_enabled is True


# -- the bot's standing ------------------------------------------------------------------------
def test_build_makes_no_channel_without_a_bot_token(intake: RecordingIntake) -> None:
    assert build(context(ChannelSettings(), intake)) is None
    assert isinstance(build(context(settings_for("http://127.0.0.1:9"), intake)),
                      TelegramChannel)


def test_start_registers_the_webhook_with_the_secret_in_the_background(
        telegram: FakeBotApi, intake: RecordingIntake) -> None:
    channel = channel_with(intake, telegram.url)
    assert channel.status().ok is False  # before Telegram answered
    channel.start()
    status = wait_for(lambda: (s := channel.status()).ok and s)
    channel.stop()
    assert telegram.webhook == {"url": f"{BASE_URL}/webhooks/telegram", "secret_token": SECRET,
                                "allowed_updates": ["message", "edited_message"]}
    assert (status.name, status.medium, status.error) == ("telegram", "telegram", "")
    assert status.detail["bot"] == f"@{BOT_USERNAME}"
    assert status.detail["webhook_url"] == f"{BASE_URL}/webhooks/telegram"
    assert status.detail["webhook_set"] is True
    assert status.detail["pending_update_count"] == 0


def test_check_points_a_webhook_set_elsewhere_back_at_us(telegram: FakeBotApi,
                                                        intake: RecordingIntake) -> None:
    telegram.webhook = {"url": "https://old.example/hook", "secret_token": "x",
                        "allowed_updates": []}
    status = channel_with(intake, telegram.url).check()
    assert status.ok is True
    assert status.detail["bot"] == f"@{BOT_USERNAME}"
    assert status.detail["webhook_set"] is True
    assert telegram.webhook["url"] == f"{BASE_URL}/webhooks/telegram"
    assert telegram.webhook["secret_token"] == SECRET


def test_a_bad_token_leaves_the_channel_not_ok_with_telegrams_words(
        telegram: FakeBotApi, intake: RecordingIntake) -> None:
    channel = channel_with(intake, telegram.url, token="987654321:AAwrong-token")
    channel.start()
    status = wait_for(lambda: (s := channel.status()).code != NOT_CHECKED and s)
    channel.stop()
    assert (status.ok, status.code) == (False, "TELEGRAM_UNAUTHORIZED")
    assert "Unauthorized" in status.error
    assert status.detail["last_error"] == ""  # Telegram delivered nothing that failed
    assert telegram.webhook["url"] == ""


def test_telegram_unreachable_at_start_is_reported_not_raised(intake: RecordingIntake) -> None:
    channel = channel_with(intake, "http://127.0.0.1:9")
    channel.start()
    status = wait_for(lambda: (s := channel.status()).code != NOT_CHECKED and s)
    channel.stop()
    assert (status.ok, status.code) == (False, "GATEWAY_UNREACHABLE")
    assert "not reachable" in status.error


# -- updates as Telegram delivers them ---------------------------------------------------------
class WebhookServer:
    """`POST /webhooks/telegram` on loopback, handing each request to the channel."""

    def __init__(self, channel: TelegramChannel) -> None:
        self.channel = channel
        self.answers: list[Any] = []
        self.server = FakeServer()
        self.server.route("POST", "/webhooks/telegram", self._serve)

    def _serve(self, request: Request) -> tuple[int, Any]:
        try:
            answer = asyncio.run(self.channel.webhook(WebhookRequest(
                method="POST", body=request.body, headers=request.headers)))
        except WebhookRefused as refused:
            return refused.status, {"detail": refused.reason}
        self.answers.append(answer)
        return 200, answer

    def __enter__(self) -> str:
        self.server.start()
        return f"{self.server.url}/webhooks/telegram"

    def __exit__(self, *exc: object) -> None:
        self.server.stop()


def test_an_update_telegram_delivers_with_its_secret_reaches_the_intake(
        telegram: FakeBotApi, intake: RecordingIntake) -> None:
    channel = channel_with(intake, telegram.url)
    with WebhookServer(channel) as url:
        telegram.webhook = {"url": url, "secret_token": SECRET, "allowed_updates": []}
        assert telegram.deliver(text_update(21, CHAT, "Hello from Telegram")) == 200
        telegram.webhook["secret_token"] = "somebody-else"
        assert telegram.deliver(text_update(22, CHAT, "Forged")) == 401
    assert [m.text for m in intake.messages] == ["Hello from Telegram"]


def test_an_update_delivered_twice_is_stored_once(container: Container,
                                                  telegram: FakeBotApi) -> None:
    async def no_reports(reports: Any) -> None:
        return None

    real = Intake(container.writer, limits=MediaLimits, media_arrived=lambda: None,
                  reports=no_reports)
    channel = channel_with(real, telegram.url)
    server = WebhookServer(channel)
    with server as url:
        telegram.webhook = {"url": url, "secret_token": SECRET, "allowed_updates": []}
        update = text_update(23, CHAT, "Is anyone there?", message_id=5)
        assert telegram.deliver(update) == 200
        assert telegram.deliver(update) == 200  # Telegram did not see the first answer
    first, again = server.answers
    assert (first["status"], again["status"]) == ("accepted", "duplicate")
    assert first["message_id"] == again["message_id"]
    assert first["dialog_id"] == again["dialog_id"]
