"""Telegram with no outside account: the server plays it end to end — the real adapter against
the fake Bot API started in process — and the phone routes (`/simulator/telegram/…`) and
`switchboard phone send --channel telegram` play its users. A user's text reaches the inbox as a
Telegram dialog, an operator's reply reaches the user's chat once, an edit changes the shown
text, a photo is fetched through getFile; the routes say why they refuse what is malformed."""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from application.ports import MediaFile
from infra.bootstrap import Container
from infra.channels.telegram.channel import TelegramChannel
from infra.channels.telegram.simulated import SimulatedTelegram
from tests.conftest import (
    ADMIN_PASSWORD,
    GraphQLClient,
    LiveServer,
    cli,
    cli_env,
    free_port,
    make_settings,
    running_container,
    wait_for,
)
from tests.e2e.conftest import ADMIN, PanelServer
from tests.e2e.test_http_colleagues_media import media_of
from tests.e2e.test_http_inbox import signed_in

USER = "4242"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 300 + b"\xff\xd9"
INBOX = "{ inbox(first: 20) { edges { node { id channel client { phone name } } } } }"
DIALOG = """query($id: ID!) { dialog(id: $id) { channel
  messages { direction text status editedAt } } }"""
SEND = """mutation($d: ID!, $t: String!) { sendMessage(dialogId: $d, text: $t) { __typename
  ... on SendMessageSuccess { outgoing { id status } } ... on UserError { code message } } }"""


@pytest.fixture
def app(database_url: str) -> Iterator[tuple[Container, LiveServer]]:
    """A server in the test environment with Telegram simulated (tests ask for it: the automatic
    rule plays it in development only), on a port known before start-up: the channel registers
    `<base URL>/webhooks/telegram` with the simulated Bot API then."""
    port = free_port()
    settings = make_settings(database_url, telegram_simulated=True, host="127.0.0.1",
                             port=port)
    with running_container(settings) as container, LiveServer(container, port) as server:
        wait_for(lambda: simulated(container).webhook_set, timeout=15)
        yield container, server


def simulated(container: Container) -> SimulatedTelegram:
    channel = container.channels.named("telegram")
    assert isinstance(channel, TelegramChannel) and channel.simulated is not None
    return channel.simulated


def post(server: LiveServer, path: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{server.url}/simulator/telegram{path}", json=body, timeout=15)


def write(server: LiveServer, text: str, user: str = USER, name: str = "Ivan Petrov"
          ) -> dict[str, Any]:
    answer = post(server, "/send", {"from": user, "name": name, "text": text})
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def received(server: LiveServer, user: str = USER) -> list[dict[str, Any]]:
    answer = httpx.get(f"{server.url}/simulator/telegram/{user}/messages", timeout=10)
    assert answer.status_code == 200, answer.text
    messages: list[dict[str, Any]] = answer.json()
    return messages


def texts(gql: GraphQLClient, dialog_id: str) -> list[tuple[str, str]]:
    shown = gql(DIALOG, {"id": dialog_id})["dialog"]
    return [(m["direction"], m["text"]) for m in shown["messages"]] if shown else []


# -- the simulated Telegram --------------------------------------------------------------------
def test_the_channel_is_the_real_adapter_registered_with_the_simulated_bot_api(
        app: tuple[Container, LiveServer]) -> None:
    container, server = app
    telegram = simulated(container)
    assert telegram.api.webhook["url"] == f"{server.url}/webhooks/telegram"
    assert telegram.api.webhook["secret_token"] not in ("", "test-sim")
    channel = container.channels.named("telegram")
    assert channel is not None
    status = wait_for(lambda: (s := channel.status()).ok and s)
    assert status.detail["bot"] == telegram.bot and status.detail["simulated"] is True
    state = httpx.get(f"{server.url}/simulator/telegram", timeout=10).json()
    assert state == {"active": True, "bot": telegram.bot, "webhook_set": True}
    admin = signed_in(server, "admin", ADMIN_PASSWORD)
    channels = admin("{ channels { name simulated } }")["channels"]
    assert {c["name"]: c["simulated"] for c in channels}["telegram"] is True


def test_a_users_text_reaches_the_inbox_as_a_telegram_dialog(
        app: tuple[Container, LiveServer]) -> None:
    _, server = app
    admin = signed_in(server, "admin", ADMIN_PASSWORD)
    first = write(server, "Where is my order?")
    second = write(server, "It is #1234.")
    assert (first["status"], second["status"]) == ("accepted", "accepted")
    assert second["telegram_message_id"] > first["telegram_message_id"]
    assert second["update_id"] > first["update_id"]
    assert second["dialog_id"] == first["dialog_id"]
    [entry] = wait_for(lambda: [e["node"] for e in admin(INBOX)["inbox"]["edges"]])
    assert (entry["id"], entry["channel"], entry["client"]) == (
        first["dialog_id"], "TELEGRAM", {"phone": f"tg:{USER}", "name": "Ivan Petrov"})


def test_an_operators_reply_arrives_at_the_users_chat_exactly_once(
        app: tuple[Container, LiveServer]) -> None:
    _, server = app
    admin = signed_in(server, "admin", ADMIN_PASSWORD)
    dialog_id = write(server, "Is it shipped?")["dialog_id"]
    wait_for(lambda: texts(admin, dialog_id))
    sent = admin(SEND, {"d": dialog_id, "t": "Yes, this morning."})["sendMessage"]
    assert sent["__typename"] == "SendMessageSuccess", sent
    wait_for(lambda: received(server), timeout=15)  # the sync job runs every second here
    wait_for(lambda: gql_status(admin, dialog_id) == "SENT", timeout=15)
    time.sleep(1.5)  # another run of the sync job sends nothing more
    [reply] = received(server)
    assert (reply["kind"], reply["text"]) == ("text", "Yes, this morning.")
    assert reply["at"].endswith("Z") and reply["message_id"] >= 1
    assert received(server, "4243") == []  # nobody else's chat


def gql_status(gql: GraphQLClient, dialog_id: str) -> str:
    return str(gql(DIALOG, {"id": dialog_id})["dialog"]["messages"][-1]["status"])


def test_an_edit_changes_the_shown_text(app: tuple[Container, LiveServer]) -> None:
    _, server = app
    admin = signed_in(server, "admin", ADMIN_PASSWORD)
    written = write(server, "Order #1243, please")
    wait_for(lambda: texts(admin, written["dialog_id"]))
    edited = post(server, "/edit", {"from": USER, "name": "Ivan Petrov", "text":
                                    "Order #1234, please",
                                    "message_id": written["telegram_message_id"]})
    assert edited.status_code == 200, edited.text
    assert edited.json()["status"] == "edited"
    wait_for(lambda: texts(admin, written["dialog_id"]) == [("IN", "Order #1234, please")])
    [message] = admin(DIALOG, {"id": written["dialog_id"]})["dialog"]["messages"]
    assert message["editedAt"] is not None
    unknown = post(server, "/edit", {"from": USER, "text": "Never written",
                                     "message_id": 1})
    assert unknown.status_code == 200 and unknown.json()["status"] == "unknown"


def test_a_photo_is_fetched_through_get_file_and_a_place_and_a_contact_are_shared(
        app: tuple[Container, LiveServer]) -> None:
    container, server = app
    admin = signed_in(server, "admin", ADMIN_PASSWORD)
    photo = httpx.post(f"{server.url}/simulator/telegram/send-media",
                       data={"from": USER, "name": "Ivan Petrov", "caption": "The broken box"},
                       files={"file": ("box.jpg", JPEG, "image/jpeg")}, timeout=15)
    assert photo.status_code == 200, photo.text
    [media] = media_of(admin, photo.json()["dialog_id"], 1)
    assert (media["state"], media["kind"], media["size"], media["caption"]) == (
        "STORED", "IMAGE", len(JPEG), "The broken box")
    assert simulated(container).api.calls["getFile"] >= 1
    place = post(server, "/share", {"from": USER, "location": {
        "latitude": 55.7558, "longitude": 37.6173, "name": "Red Square"}})
    contact = post(server, "/share", {"from": USER, "contact": {
        "name": "Anna Petrova", "phone": "+79161234567"}})
    assert place.status_code == contact.status_code == 200, place.text + contact.text
    kinds = [m["kind"] for m in media_of(admin, photo.json()["dialog_id"], 3)]
    assert kinds == ["IMAGE", "LOCATION", "CONTACT"]


def test_a_file_the_bot_sent_is_listed_and_served(app: tuple[Container, LiveServer]) -> None:
    container, server = app
    write(server, "Send me the invoice")
    gateway = container.channels.gateway("telegram")
    gateway.send_media(f"tg:{USER}", "document", MediaFile(
        content=b"%PDF-1.7 invoice", mime_type="application/pdf", file_name="invoice.pdf"),
        "Here it is", "key-1")
    [sent] = received(server)
    assert (sent["kind"], sent["text"], sent["file_name"], sent["size"]) == (
        "document", "Here it is", "invoice.pdf", len(b"%PDF-1.7 invoice"))
    served = httpx.get(f"{server.url}{sent['file_url']}", timeout=10)
    assert served.status_code == 200 and served.content == b"%PDF-1.7 invoice"
    assert served.headers["content-type"] == "application/pdf"


@pytest.mark.parametrize(("path", "body", "reason"), [
    ("/send", {"from": "ivan", "text": "Hi"}, "from"),
    ("/send", {"from": "0042", "text": "Hi"}, "from"),
    ("/send", {"from": USER, "text": "   "}, "The text is empty."),
    ("/send", {"from": USER, "text": "x" * 4097}, "text"),
    ("/send", {"from": USER, "text": "Hi", "username": "a b"}, "username"),
    ("/share", {"from": USER}, "one of them"),
    ("/share", {"from": USER, "location": {"latitude": 91, "longitude": 0}}, "latitude"),
    ("/share", {"from": USER, "contact": {"name": "Anna", "phone": "call me"}}, "phone"),
    ("/edit", {"from": USER, "text": "Hi", "message_id": 0}, "message_id"),
])
def test_what_is_malformed_is_refused_with_a_reason(
        app: tuple[Container, LiveServer], path: str, body: dict[str, Any],
        reason: str) -> None:
    _, server = app
    answer = post(server, path, body)
    assert answer.status_code == 422
    assert reason in answer.text
    assert httpx.get(f"{server.url}/simulator/telegram/nobody/messages",
                     timeout=10).status_code == 422


# -- the command line --------------------------------------------------------------------------
def test_phone_send_as_a_telegram_user_from_the_command_line(
        app: tuple[Container, LiveServer], database_url: str) -> None:
    _, server = app
    admin = signed_in(server, "admin", ADMIN_PASSWORD)
    env = cli_env(database_url)
    done = cli("phone", "send", "--channel", "telegram", "--from", "42", "hello",
               "--name", "Anna", "--url", server.url, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Delivered (accepted) to the bot as Telegram message" in " ".join(done.stdout.split())
    [entry] = wait_for(lambda: [e["node"] for e in admin(INBOX)["inbox"]["edges"]])
    assert (entry["channel"], entry["client"]) == ("TELEGRAM", {"phone": "tg:42",
                                                                "name": "Anna"})
    assert texts(admin, entry["id"]) == [("IN", "hello")]
    admin(SEND, {"d": entry["id"], "t": "Hello, Anna!"})
    wait_for(lambda: received(server, "42"), timeout=15)
    inbox = cli("phone", "inbox", "--channel", "telegram", "42", "--url", server.url, env=env)
    assert inbox.returncode == 0 and "Hello, Anna!" in inbox.stdout, inbox.stdout
    wrong = cli("phone", "send", "--channel", "telegram", "--from", "+79161234567", "hi",
                "--url", server.url, env=env)
    assert wrong.returncode == 2 and "Telegram user id" in " ".join(wrong.stdout.split())


# -- where Telegram is not simulated -----------------------------------------------------------
@contextlib.contextmanager
def server_with(database_url: str, **overrides: Any) -> Iterator[LiveServer]:
    port = free_port()
    settings = make_settings(database_url, port=port, **overrides)
    with running_container(settings) as container, LiveServer(container, port) as server:
        yield server


def test_without_a_simulated_telegram_the_routes_say_so(database_url: str) -> None:
    with server_with(database_url) as server:  # tests: not simulated unless asked for
        assert httpx.get(f"{server.url}/simulator/telegram", timeout=10).json() == {
            "active": False, "bot": "", "webhook_set": False}
        answer = post(server, "/send", {"from": USER, "text": "Hi"})
        assert answer.status_code == 404
        refusal = answer.json()["detail"]
        assert refusal["code"] == "TELEGRAM_NOT_SIMULATED"
        assert "SWITCHBOARD_TELEGRAM_SIMULATED" in refusal["message"]
        done = cli("phone", "send", "--channel", "telegram", "--from", "42", "hello",
                   "--url", server.url, env=cli_env(database_url))
        assert done.returncode == 1 and "not simulated here" in " ".join(done.stdout.split())


# -- the phone page, as `make run` serves it ---------------------------------------------------
@pytest.mark.browser
def test_the_phone_page_plays_a_telegram_user_where_development_plays_telegram(
        panel_server: PanelServer, new_page: Callable[..., Any],
        screenshot: Callable[[Any, str], Any]) -> None:
    from playwright.sync_api import expect

    page = new_page()
    page.goto(panel_server.url + "/phone")  # `switchboard serve` in development, no bot token
    page.get_by_role("radio", name="Telegram").click()
    expect(page.get_by_text("Ready: the bot's webhook points at this server.")).to_be_visible()
    page.get_by_label("Your Telegram user id").fill("4242")
    page.get_by_label("Your name").fill("Ivan Petrov")
    page.get_by_label("Message", exact=True).fill("Where is my order?")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator("[data-sent]")).to_have_count(1)
    operator = GraphQLClient(panel_server.url)
    operator.login(*ADMIN)
    [entry] = wait_for(lambda: [e["node"] for e in operator(INBOX)["inbox"]["edges"]])
    assert (entry["channel"], entry["client"]["phone"]) == ("TELEGRAM", "tg:4242")
    operator(SEND, {"d": entry["id"], "t": "It leaves today."})
    expect(page.locator("[data-bot]")).to_have_text(re.compile("It leaves today."))
    page.locator("[data-sent]").get_by_role("button", name="Edit").click()
    page.get_by_label("Message", exact=True).fill("Where is my order #1234?")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("[data-sent] .tg-edited")).to_be_visible()
    wait_for(lambda: texts(operator, entry["id"])[0] == ("IN", "Where is my order #1234?"))
    screenshot(page, "phone-telegram")
    page.get_by_role("radio", name="WhatsApp").click()
    expect(page.get_by_label("Your phone number")).to_be_visible()
