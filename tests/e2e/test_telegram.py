"""Telegram end to end: a live server whose Telegram channel talks to the fake Bot API on
loopback. Updates the fake delivers reach every queue member live; replies reach the fake once,
even after a 429; a repeated update, or one without Telegram's secret, changes nothing; a
client's photo is fetched through getFile; the same person on WhatsApp and Telegram has two
dialogs; the admin area's `channels` and `checkTelegram` report how the bot stands."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from infra.bootstrap import Container
from infra.channels.telegram.fake import (
    BOT_USERNAME,
    SECRET,
    TOKEN,
    FakeBotApi,
    message,
    photo_update,
    text_update,
)
from tests.conftest import (
    ADMIN_PASSWORD,
    GraphQLClient,
    LiveServer,
    client_message,
    free_port,
    make_settings,
    running_container,
    simulator_post,
    wait_for,
)
from tests.e2e.test_http_colleagues_media import Listener, media_of
from tests.e2e.test_http_inbox import signed_in
from tests.e2e.test_http_routing import add_operator

CHAT = 4242
WRONG_TOKEN = "987654321:AAF-not_the_bots_token_at_all000000"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 300 + b"\xff\xd9"

INBOX_CHANGED = ("subscription { inboxChanged { dialog { id channel client { phone name } "
                 "lastMessage { text } } } }")
INBOX = "{ inbox(first: 20) { edges { node { id channel client { phone name } } } } }"
DIALOG = """query($id: ID!) { dialog(id: $id) { channel entry { client { phone name } }
  messages { direction text status attempts failureCode } } }"""
SEND = """mutation($d: ID!, $t: String!) { sendMessage(dialogId: $d, text: $t) { __typename
  ... on SendMessageSuccess { outgoing { id status } } ... on UserError { code message } } }"""
CHANNELS = """{ channels { name messenger ok error errorCode bot webhookUrl webhookSet
  pendingUpdates lastError checkedAt } }"""
CHECK = """mutation { checkTelegram { __typename
  ... on ChannelStatePayload { channel { name messenger ok error errorCode bot webhookUrl webhookSet
    pendingUpdates lastError checkedAt } }
  ... on UserError { code message } } }"""


@contextlib.contextmanager
def telegram_app(database_url: str, fake: FakeBotApi, token: str = TOKEN,
                 **overrides: Any) -> Iterator[tuple[Container, LiveServer]]:
    port = free_port()
    settings = make_settings(database_url, telegram_bot_token=token,
                             telegram_webhook_secret=SECRET, telegram_api_url=fake.url,
                             public_url=f"http://127.0.0.1:{port}", **overrides)
    with running_container(settings) as container:
        server = LiveServer(container, port)
        with server:
            yield container, server


@pytest.fixture
def app(database_url: str, telegram: FakeBotApi) -> Iterator[tuple[Container, LiveServer]]:
    with telegram_app(database_url, telegram) as (container, server):
        channel = container.channels.named("telegram")
        assert channel is not None
        wait_for(lambda: channel.status().ok, timeout=15)  # getMe and setWebhook done
        yield container, server


def head(container: Container) -> int:
    return container.store.recorder.max_notification_id() or 0


def post_update(server: LiveServer, update: dict[str, Any],
                secret: str | None = SECRET) -> httpx.Response:
    """An update POSTed as Telegram does, with the secret header unless `secret` is None."""
    headers = {"content-type": "application/json"}
    if secret is not None:
        headers["x-telegram-bot-api-secret-token"] = secret
    return httpx.post(f"{server.url}/webhooks/telegram", json=update, headers=headers,
                      timeout=15)


def dialog_of(gql: GraphQLClient, phone: str) -> str:
    return str(wait_for(lambda: next((e["node"]["id"] for e in gql(INBOX)["inbox"]["edges"]
                                      if e["node"]["client"]["phone"] == phone), None)))


def sent_messages(fake: FakeBotApi, chat: int = CHAT) -> list[dict[str, Any]]:
    return [m for m in fake.sent(chat) if m["method"] == "sendMessage"]


def last_message(gql: GraphQLClient, dialog_id: str) -> dict[str, Any]:
    message: dict[str, Any] = gql(DIALOG, {"id": dialog_id})["dialog"]["messages"][-1]
    return message


def telegram_state(gql: GraphQLClient) -> dict[str, Any]:
    state: dict[str, Any] = next(c for c in gql(CHANNELS)["channels"] if c["name"] == "telegram")
    return state


# -- receiving ---------------------------------------------------------------------------------
def test_an_update_the_fake_delivers_reaches_every_queue_member_live_as_a_telegram_dialog(
        app: tuple[Container, LiveServer], telegram: FakeBotApi) -> None:
    container, server = app
    add_operator(container, "olga")
    admin = signed_in(server, "admin", ADMIN_PASSWORD)
    olga = signed_in(server, "olga", "olga-pass-1")
    with Listener(server, admin.token, INBOX_CHANGED) as admin_hears, \
            Listener(server, olga.token, INBOX_CHANGED) as olga_hears:
        status = telegram.deliver(text_update(101, CHAT, "Where is my order?",
                                              first_name="Ivan", last_name="Petrov"))
        assert status == 200
        wait_for(lambda: admin_hears.received and olga_hears.received, timeout=10)
    for heard in (admin_hears, olga_hears):
        change = heard.received[-1]["dialog"]
        assert change["channel"] == "TELEGRAM"
        assert change["client"] == {"phone": f"tg:{CHAT}", "name": "Ivan Petrov"}
        assert change["lastMessage"]["text"] == "Where is my order?"


def test_the_same_update_delivered_twice_is_stored_once_and_answered_duplicate(
        app: tuple[Container, LiveServer]) -> None:
    container, server = app
    admin = signed_in(server, "admin", ADMIN_PASSWORD)
    update = text_update(102, CHAT, "Hello?")
    first = post_update(server, update)
    assert first.status_code == 200 and first.json()["status"] == "accepted", first.text
    stored = head(container)
    again = post_update(server, update)
    assert again.status_code == 200
    assert again.json()["status"] == "duplicate"
    assert again.json()["dialog_id"] == first.json()["dialog_id"]
    assert head(container) == stored
    messages = wait_for(lambda: admin(DIALOG, {"id": first.json()["dialog_id"]})["dialog"])[
        "messages"]
    assert [m["text"] for m in messages] == ["Hello?"]


@pytest.mark.parametrize("secret", [None, "", "not-the-secret"])
def test_an_update_without_telegrams_secret_is_refused_401_and_nothing_is_stored(
        app: tuple[Container, LiveServer], secret: str | None) -> None:
    container, server = app
    before = head(container)
    answer = post_update(server, text_update(103, CHAT, "Let me in"), secret=secret)
    assert answer.status_code == 401
    assert head(container) == before


def test_the_same_person_on_whatsapp_and_telegram_has_two_dialogs(
        app: tuple[Container, LiveServer]) -> None:
    _, server = app
    admin = signed_in(server, "admin", ADMIN_PASSWORD)
    whatsapp = simulator_post(server.url, client_message("+79161234567", "Hi from WhatsApp",
                                                         name="Ivan Petrov"))
    assert whatsapp.status_code == 200, whatsapp.text
    telegram = post_update(server, text_update(104, CHAT, "Hi from Telegram",
                                               first_name="Ivan", last_name="Petrov"))
    assert telegram.status_code == 200, telegram.text
    # even when they share, in Telegram, the very number they write from on WhatsApp
    shared = post_update(server, {"update_id": 105, "message": message(
        CHAT, 105, first_name="Ivan", last_name="Petrov", contact={
            "phone_number": "+79161234567", "first_name": "Ivan", "last_name": "Petrov"})})
    assert shared.status_code == 200, shared.text
    assert telegram.json()["dialog_id"] != whatsapp.json()["dialog_id"]
    assert shared.json()["dialog_id"] == telegram.json()["dialog_id"]
    entries = wait_for(lambda: (lambda e: e if len(e) == 2 else None)(
        [e["node"] for e in admin(INBOX)["inbox"]["edges"]]))
    assert sorted((e["channel"], e["client"]["phone"], e["client"]["name"]) for e in entries) \
        == [("TELEGRAM", f"tg:{CHAT}", "Ivan Petrov"),
            ("WHATSAPP", "+79161234567", "Ivan Petrov")]


def test_a_photo_from_the_client_is_fetched_through_get_file_into_the_dialogs_media(
        app: tuple[Container, LiveServer], telegram: FakeBotApi) -> None:
    _, server = app
    admin = signed_in(server, "admin", ADMIN_PASSWORD)
    file_id = telegram.add_file(JPEG, "image/jpeg")
    answer = post_update(server, photo_update(106, CHAT, file_id, caption="The broken box",
                                              file_size=len(JPEG)))
    assert answer.status_code == 200 and answer.json()["status"] == "accepted", answer.text
    wait_for(lambda: admin(DIALOG, {"id": answer.json()["dialog_id"]})["dialog"])
    [media] = media_of(admin, answer.json()["dialog_id"], 1)
    assert media["state"] == "STORED", media
    assert (media["kind"], media["mimeType"], media["size"], media["caption"]) == (
        "IMAGE", "image/jpeg", len(JPEG), "The broken box")
    assert telegram.calls["getFile"] >= 1 and telegram.calls["download"] >= 1
    served = httpx.get(f"{server.url}{media['url']}" if media["url"].startswith("/")
                       else media["url"], timeout=15)
    assert served.status_code == 200 and served.content == JPEG


# -- replying ----------------------------------------------------------------------------------
def test_an_operators_reply_reaches_the_bot_api_once_and_shows_as_sent(
        app: tuple[Container, LiveServer], telegram: FakeBotApi) -> None:
    _, server = app
    admin = signed_in(server, "admin", ADMIN_PASSWORD)
    dialog_id = post_update(server, text_update(107, CHAT, "Is it shipped?")).json()["dialog_id"]
    wait_for(lambda: admin(DIALOG, {"id": dialog_id})["dialog"])
    sent = admin(SEND, {"d": dialog_id, "t": "Yes, this morning."})["sendMessage"]
    assert sent["__typename"] == "SendMessageSuccess", sent
    wait_for(lambda: last_message(admin, dialog_id)["status"] == "SENT", timeout=15)
    time.sleep(1.5)  # another run of the sync job (every second) sends nothing more
    assert [m["text"] for m in sent_messages(telegram)] == ["Yes, this morning."]
    assert telegram.calls["sendMessage"] == 1
    shown = last_message(admin, dialog_id)
    assert (shown["direction"], shown["text"], shown["status"]) == (
        "OUT", "Yes, this morning.", "SENT")


def test_a_reply_telegram_refuses_with_429_is_sent_again_after_retry_after_and_arrives_once(
        app: tuple[Container, LiveServer], telegram: FakeBotApi) -> None:
    _, server = app
    admin = signed_in(server, "admin", ADMIN_PASSWORD)
    dialog_id = post_update(server, text_update(108, CHAT, "Hello?")).json()["dialog_id"]
    wait_for(lambda: admin(DIALOG, {"id": dialog_id})["dialog"])
    telegram.rate_limit(1)
    sent = admin(SEND, {"d": dialog_id, "t": "One moment, please."})["sendMessage"]
    assert sent["__typename"] == "SendMessageSuccess", sent
    wait_for(lambda: telegram.calls["sendMessage"] >= 1, timeout=15)
    assert sent_messages(telegram) == []  # the first try was refused
    wait_for(lambda: last_message(admin, dialog_id)["status"] == "SENT", timeout=30)
    time.sleep(1.5)
    assert [m["text"] for m in sent_messages(telegram)] == ["One moment, please."]
    assert telegram.calls["sendMessage"] == 2
    assert last_message(admin, dialog_id)["attempts"] >= 2


# -- the admin area ----------------------------------------------------------------------------
def test_channels_report_telegram_working_and_check_telegram_asks_again(
        app: tuple[Container, LiveServer], telegram: FakeBotApi) -> None:
    container, server = app
    admin = signed_in(server, "admin", ADMIN_PASSWORD)
    channels = admin(CHANNELS)["channels"]
    assert {(c["name"], c["messenger"]) for c in channels} == {
        ("simulator", "WHATSAPP"), ("telegram", "TELEGRAM")}
    state = telegram_state(admin)
    assert (state["ok"], state["error"], state["errorCode"], state["bot"],
            state["webhookSet"]) == (True, "", None, f"@{BOT_USERNAME}", True)
    assert state["webhookUrl"] == f"{server.url}/webhooks/telegram"
    assert state["pendingUpdates"] == 0 and state["lastError"] is None
    assert state["checkedAt"]

    httpx.post(f"{telegram.url}/bot{TOKEN}/deleteWebhook", timeout=5)  # someone unset it
    telegram.pending_update_count = 3
    assert telegram_state(admin)["webhookSet"] is True  # as last seen
    checked = admin(CHECK)["checkTelegram"]
    assert checked["__typename"] == "ChannelStatePayload", checked
    now = checked["channel"]
    assert (now["ok"], now["webhookSet"], now["webhookUrl"], now["pendingUpdates"]) == (
        True, True, f"{server.url}/webhooks/telegram", 3)  # set again by the check
    assert telegram.webhook["url"] == f"{server.url}/webhooks/telegram"
    assert now["checkedAt"] >= state["checkedAt"]
    assert telegram_state(admin) == now

    add_operator(container, "olga")
    olga = signed_in(server, "olga", "olga-pass-1")
    refused = olga.raw(CHECK)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_with_a_wrong_token_telegram_is_reported_not_working_with_telegrams_description(
        database_url: str, telegram: FakeBotApi) -> None:
    with telegram_app(database_url, telegram, token=WRONG_TOKEN) as (container, server):
        channel = container.channels.named("telegram")
        assert channel is not None
        wait_for(lambda: channel.status().detail["checked_at"], timeout=15)
        admin = signed_in(server, "admin", ADMIN_PASSWORD)
        state = telegram_state(admin)
        assert (state["ok"], state["bot"], state["webhookSet"]) == (False, None, False)
        assert state["errorCode"] == "TELEGRAM_UNAUTHORIZED"
        assert "Unauthorized" in state["error"]
        assert "SWITCHBOARD_TELEGRAM_BOT_TOKEN" in state["error"]
        assert telegram.webhook["url"] == ""  # nothing was registered
        checked = admin(CHECK)["checkTelegram"]["channel"]
        assert (checked["ok"], checked["errorCode"]) == (False, "TELEGRAM_UNAUTHORIZED")
        assert checked["checkedAt"] >= state["checkedAt"]


def test_check_telegram_answers_telegram_not_active_where_no_bot_is_configured(
        graphql_client: GraphQLClient) -> None:
    graphql_client.login("admin", ADMIN_PASSWORD)
    checked = graphql_client(CHECK)["checkTelegram"]
    assert checked["__typename"] == "UserError"
    assert checked["code"] == "TELEGRAM_NOT_ACTIVE"
    assert [c["name"] for c in graphql_client(CHANNELS)["channels"]] == ["simulator"]
