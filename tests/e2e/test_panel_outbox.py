"""Outgoing messages in a real browser: an operator answers; the phone page receives it; the ticks
move to delivered and then read when the phone reads it; with the connection dropped the reply
shows failed with its reason, and a retry sends it once the connection is back. The reply box
counts toward 4,096 characters (Enter sends, Shift+Enter breaks the line); with sync off a reply
waits and the sync page warns, then "Send now" sends it; employees write first where allowed."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ADMIN, OLGA, PanelServer
from tests.e2e.test_panel import row, sign_in, token_of

pytestmark = pytest.mark.browser

Shot = Callable[[Page, str], Any]
NewPage = Callable[..., Page]
PHONE = "+79161234567"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[PanelServer]:
    """A fresh server whose failed sends give up after two quick attempts."""
    panel = PanelServer(tmp_path)
    panel.env.update({"SWITCHBOARD_OUTBOX_MAX_ATTEMPTS": "2",
                      "SWITCHBOARD_OUTBOX_RETRY_FIRST_SECONDS": "0.5"})
    panel.cli("admin", "create", "--login", OLGA[0], "--password", OLGA[1],
              "--name", "Olga", "--role", "operator")
    panel.start()
    try:
        yield panel
    finally:
        panel.stop()


def open_dialog(page: Page, text: str) -> None:
    row(page, text).click()
    expect(page.locator("#reply")).to_be_visible()
    expect(page.locator(".dialog-scroll")).to_have_attribute("aria-busy", "false")


def reply(page: Page, text: str) -> Any:
    box = page.locator("#reply")
    box.fill(text)
    box.press("Enter")
    expect(box).to_have_value("")
    return page.locator("li.msg-out", has_text=text)


def open_phone(page: Page, server: PanelServer) -> Page:
    page.goto(server.url + "/phone")
    page.get_by_label("Your phone number").fill(PHONE)
    return page


def graphql(server: PanelServer, token: str, query: str, variables: dict[str, Any]) -> Any:
    answer = httpx.post(f"{server.url}/graphql", json={"query": query, "variables": variables},
                        headers={"authorization": f"Bearer {token}"}, timeout=15).json()
    assert not answer.get("errors"), answer
    return answer["data"]


def test_a_reply_reaches_the_phone_its_ticks_follow_and_a_failed_one_is_retried(
    server: PanelServer, new_page: NewPage, screenshot: Shot,
) -> None:
    server.send(PHONE, "Hello, where is my order?", "Ivan")
    olga = sign_in(new_page(), server, OLGA)
    open_dialog(olga, "Hello, where is my order?")
    expect(olga.locator("#reply-count")).to_have_text("0 / 4,096")

    expect(olga.locator("[data-message-count]")).to_have_text("1 message")
    bubble = reply(olga, "It leaves the warehouse today.")
    expect(bubble).to_have_attribute("data-status", re.compile("QUEUED|SENDING|SENT"))
    expect(olga.locator("[data-message-count]")).to_have_text("2 messages")  # replies count
    expect(bubble).to_have_attribute("data-status", "SENT")  # sync runs every second here

    phone = open_phone(new_page(), server)
    received = phone.locator("[data-replies] li", has_text="It leaves the warehouse today.")
    expect(received).to_be_visible()
    # the phone's conversation shows the company's answer, as a phone would
    expect(phone.locator("[data-thread] li[data-company]")).to_have_text(
        re.compile("It leaves the warehouse today."))
    # The phone page is the client's phone, online: what it shows is delivered.
    expect(bubble).to_have_attribute("data-status", "DELIVERED")
    expect(bubble.locator(".ticks")).to_have_text("✓✓")
    received.get_by_role("button", name="Mark read").click()
    expect(bubble).to_have_attribute("data-status", "READ")
    expect(bubble.locator(".ticks")).to_have_attribute("aria-label", "Read")
    screenshot(olga, "outbox-read")
    screenshot(phone, "outbox-phone")

    phone.get_by_role("button", name="Drop the connection").click()
    failed = reply(olga, "Are you still there?")
    expect(failed).to_have_attribute("data-status", "FAILED", timeout=20_000)
    expect(failed.locator(".reply-reason")).to_have_text("WhatsApp was not connected.")
    expect(failed.locator(".ticks")).to_have_text("!")
    screenshot(olga, "outbox-failed")
    assert phone.locator("[data-replies] li", has_text="Are you still there?").count() == 0

    phone.get_by_role("button", name="Restore the connection").click()
    failed.get_by_role("button", name="Retry").click()
    expect(failed).to_have_attribute("data-status", re.compile("SENT|DELIVERED"))
    expect(phone.locator("[data-replies] li", has_text="Are you still there?")).to_have_count(1)
    expect(failed).to_have_attribute("data-status", "DELIVERED")


def test_typing_a_reply_while_the_dialog_still_loads_keeps_every_keystroke(
    server: PanelServer, new_page: NewPage,
) -> None:
    server.send(PHONE, "Are you open today?", "Ivan")
    olga = sign_in(new_page(), server, OLGA)
    held: list[Any] = []

    def hold_the_dialog(route: Any) -> None:
        if "query Dialog(" in (route.request.post_data or "") and not held:
            held.append(route)
        else:
            route.continue_()

    olga.route("**/graphql", hold_the_dialog)
    row(olga, "Are you open today?").click()
    box = olga.locator("#reply")
    box.click()
    olga.keyboard.type("Yes, ")
    assert held, "the dialog's query was held back"
    held[0].continue_()
    expect(olga.locator(".dialog-scroll")).to_have_attribute("aria-busy", "false")
    olga.keyboard.type("until six")  # wherever the focus is now, as a person typing would
    expect(box).to_have_value("Yes, until six")


def test_the_reply_box_counts_characters_sends_on_enter_and_breaks_lines_on_shift_enter(
    server: PanelServer, new_page: NewPage,
) -> None:
    server.send(PHONE, "Can you call me?", "Ivan")
    olga = sign_in(new_page(), server, OLGA)
    open_dialog(olga, "Can you call me?")
    box = olga.locator("#reply")
    box.fill("First line")
    box.press("Shift+Enter")
    box.type("second line")
    expect(box).to_have_value("First line\nsecond line")
    expect(olga.locator("#reply-count")).to_have_text("22 / 4,096")
    box.fill("x" * 4100)
    expect(olga.locator("#reply-count")).to_have_text("4 characters too many")
    send = olga.locator("[data-composer]").get_by_role("button", name="Send")
    expect(send).to_be_disabled()
    box.press("Enter")
    expect(box).to_have_value("x" * 4100)  # refused: nothing was sent
    box.fill("First line\nsecond line")
    box.press("Enter")
    bubble = olga.locator("li.msg-out")
    expect(bubble).to_have_count(1)
    expect(bubble.locator(".msg-text")).to_have_text("First line\nsecond line")


def test_with_sync_off_a_reply_waits_the_sync_page_warns_and_send_now_sends_it(
    server: PanelServer, new_page: NewPage, screenshot: Shot,
) -> None:
    server.send(PHONE, "Is the shop open on Sunday?", "Ivan")
    admin = sign_in(new_page(), server, ADMIN)
    admin.get_by_role("link", name="Admin", exact=True).click()
    admin.locator(".admin-nav").get_by_role("link", name="Sync", exact=True).click()
    expect(admin.get_by_role("heading", name="Sync", level=2)).to_be_visible()
    expect(admin.locator("[data-sync-state]")).to_have_attribute("data-sync-state", "on")
    admin.get_by_label("Synchronise messages").uncheck()
    admin.get_by_role("button", name="Save schedule").click()
    expect(admin.locator("[data-sync-state]")).to_have_attribute("data-sync-state", "off")

    olga = sign_in(new_page(), server, OLGA)
    open_dialog(olga, "Is the shop open on Sunday?")
    expect(olga.locator("[data-sync-off]")).to_be_visible()
    bubble = reply(olga, "Yes, from ten to four.")
    expect(bubble).to_have_attribute("data-status", "QUEUED")

    expect(admin.locator("[data-warning=SYNC_OFF_WHILE_QUEUED]")).to_be_visible()
    expect(admin.locator("[data-waiting]")).to_have_text("1")
    screenshot(admin, "outbox-sync-off")
    admin.get_by_role("button", name="Send now").click()
    expect(admin.get_by_role("status").filter(has_text="1 message sent")).to_be_visible()
    expect(bubble).to_have_attribute("data-status", "SENT")
    expect(admin.locator("[data-health=ok]")).to_be_visible()
    assert olga.locator("li.msg-out").count() == 1

    admin.get_by_label("By a cron expression").check()
    admin.get_by_role("textbox", name="Cron expression").fill("every five minutes")
    admin.get_by_role("button", name="Save schedule").click()
    expect(admin.locator(".sync-form .form-error")).to_contain_text("cron")
    admin.get_by_role("textbox", name="Cron expression").fill("*/5 9-18 * * mon-fri")
    admin.get_by_label("Synchronise messages").check()
    admin.get_by_role("button", name="Save schedule").click()
    expect(admin.locator("[data-sync-state]")).to_contain_text("cron */5 9-18 * * mon-fri")
    screenshot(admin, "outbox-sync")


def test_an_operator_writes_first_only_where_employees_may_write_first(
    server: PanelServer, new_page: NewPage, screenshot: Shot,
) -> None:
    admin = sign_in(new_page(), server, ADMIN)
    expect(admin.locator("[data-start-dialog]")).to_have_count(0)
    graphql(server, token_of(admin), """mutation { updateMessengerSettings(inService: true,
      employeesMayWriteFirst: true) { __typename } }""", {})
    admin.locator("[data-start-dialog]").click()
    admin.get_by_label("Client's phone number").fill("+7 916 555-00-11")
    admin.get_by_label("Message", exact=True).fill("Hello from Acme: your order is ready.")
    screenshot(admin, "outbox-start-dialog")
    admin.locator("#start-dialog").get_by_role("button", name="Send").click()
    bubble = admin.locator("li.msg-out", has_text="Hello from Acme")
    expect(bubble).to_be_visible()
    expect(bubble).to_have_attribute("data-status", re.compile("SENT|DELIVERED"))
    expect(admin).to_have_url(re.compile(r"/dialogs/"))
    replies = httpx.get(f"{server.url}/simulator/phone/+79165550011/messages", timeout=10)
    assert [m["text"] for m in replies.json()] == ["Hello from Acme: your order is ready."]
