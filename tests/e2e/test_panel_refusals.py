"""Refused webhook items in a real browser: an update Telegram delivers that cannot be read shows
on the admin area's Telegram page with its reason, and the raw item unfolds; in Russian too."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from infra.channels.telegram.fake import SECRET, TOKEN, FakeBotApi
from tests.conftest import wait_for
from tests.e2e.conftest import ADMIN, PanelServer
from tests.e2e.test_panel import sign_in
from tests.e2e.test_panel_telegram import open_telegram

pytestmark = pytest.mark.browser

Shot = Callable[[Page, str], Any]
NewPage = Callable[..., Page]


@pytest.fixture
def telegram_server(tmp_path: Path, telegram: FakeBotApi) -> Iterator[PanelServer]:
    server = PanelServer(tmp_path)
    server.env.update({
        "SWITCHBOARD_TELEGRAM_BOT_TOKEN": TOKEN, "SWITCHBOARD_TELEGRAM_WEBHOOK_SECRET": SECRET,
        "SWITCHBOARD_TELEGRAM_API_URL": telegram.url, "SWITCHBOARD_PUBLIC_URL": server.url})
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_the_telegram_page_lists_an_unreadable_update_with_its_reason_and_the_raw_item(
    telegram_server: PanelServer, telegram: FakeBotApi, new_page: NewPage, screenshot: Shot,
) -> None:
    wait_for(lambda: telegram.webhook.get("url"), timeout=15)  # registered at start-up
    status, answer = telegram.deliver_answered(
        {"update_id": 4711, "message": {"message_id": 3, "text": "a message with no chat"}})
    assert (status, answer["status"]) == (200, "refused")

    admin = sign_in(new_page(), telegram_server, ADMIN)
    open_telegram(admin)
    card = admin.locator("[data-refused-items=telegram]")
    expect(card.get_by_role("heading", name="Refused webhook items")).to_be_visible()
    expect(card.locator("[data-refused-count]")).to_have_text("1 refused item")
    item = card.locator("[data-refused-item='4711']")
    expect(item.locator("[data-reason]")).to_have_text(answer["reason"])
    expect(item.locator("[data-where]")).to_have_text("update")
    excerpt = item.locator("[data-excerpt]")
    expect(excerpt).to_be_hidden()  # folded until asked for
    item.get_by_text("The item as it came").click()
    expect(excerpt).to_contain_text("a message with no chat")
    screenshot(admin, "refused-webhook-items")

    admin.evaluate("localStorage.setItem('sb.lang', 'ru')")
    admin.reload()
    expect(card.get_by_role("heading", name="Отклонённые элементы вебхука")).to_be_visible()
    expect(card.locator("[data-refused-count]")).to_have_text("1 отклонённый элемент")
