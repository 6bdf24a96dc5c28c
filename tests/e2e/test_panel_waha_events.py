"""WAHA's conversation events in a real browser: with the dialog open, a reply typed on the
linked phone appears marked "from the phone", a client's reaction shows on their message, and a
message the client deleted shows as deleted (in both languages) — its text kept, struck
through, for the admin, who audits."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from infra.bootstrap import Container
from infra.channels.waha.fake import FakeWaha
from tests.conftest import ADMIN_PASSWORD, LiveServer
from tests.e2e.test_webhook_waha import link, waha_app

pytestmark = pytest.mark.browser

CLIENT = "79161234567@c.us"
NewPage = Callable[..., Page]


@pytest.fixture
def fake() -> Iterator[FakeWaha]:
    server = FakeWaha().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def linked(database_url: str, fake: FakeWaha) -> Iterator[tuple[Container, LiveServer]]:
    with waha_app(database_url, fake, run_sync_job=False) as (container, server):
        link(container, fake)
        yield container, server


def sign_in(page: Page, server: LiveServer) -> Page:
    page.goto(server.url + "/")
    page.get_by_label("Login").fill("admin")
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Inbox", level=1)).to_be_visible()
    return page


def test_a_phone_reply_a_reaction_and_a_deleted_message_show_in_the_open_dialog(
    linked: tuple[Container, LiveServer], fake: FakeWaha, new_page: NewPage, screenshot: Any,
) -> None:
    _, server = linked
    first = fake.client_writes(CLIENT, "Where is my order?")
    second = fake.client_writes(CLIENT, "Wrong chat, sorry")
    admin = sign_in(new_page(), server)
    admin.locator("a.row", has_text="+79161234567").click()
    messages = admin.get_by_role("article").locator(".msg")
    expect(messages).to_have_count(2)

    fake.company_writes_on_phone(CLIENT, "It ships today")
    expect(messages).to_have_count(3)
    expect(messages.nth(2)).to_contain_text("It ships today")
    expect(messages.nth(2).locator("[data-from-phone]")).to_contain_text("from the phone")
    expect(messages.nth(0).locator("[data-from-phone]")).to_have_count(0)

    fake.client_reacts(CLIENT, first, "👍")
    expect(messages.nth(0).locator("[data-reactions] .reaction")).to_have_text("👍")

    fake.client_revokes(CLIENT, second)
    deleted = messages.nth(1)
    expect(deleted.locator("[data-revoked]")).to_have_text("Message deleted")
    expect(deleted.locator(".msg-original del")).to_have_text("Wrong chat, sorry")
    screenshot(admin, "dialog-waha-events")

    admin.get_by_label("Language").select_option("ru")
    expect(deleted.locator("[data-revoked]")).to_have_text("Сообщение удалено")
    expect(messages.nth(2).locator("[data-from-phone]")).to_contain_text("с телефона")

    fake.client_reacts(CLIENT, first, "")  # taken back
    expect(messages.nth(0).locator("[data-reactions]")).to_have_count(0)
