"""Telegram in a real browser: the admin area's Telegram card shows the bot the server checked at
start-up against the fake Bot API (its @username, the webhook set to this server, the updates
waiting), "Check" asks Telegram again; without a bot, the card names the settings to set."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from infra.channels.telegram.fake import BOT_USERNAME, SECRET, TOKEN, FakeBotApi
from tests.e2e.conftest import ADMIN, PanelServer
from tests.e2e.test_panel import sign_in

pytestmark = pytest.mark.browser

Shot = Callable[[Page, str], Any]
NewPage = Callable[..., Page]


def started(server: PanelServer) -> Iterator[PanelServer]:
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def telegram_server(tmp_path: Path, telegram: FakeBotApi) -> Iterator[PanelServer]:
    """The panel's server with the fake's bot: it registers its webhook at start-up."""
    server = PanelServer(tmp_path)
    server.env.update({
        "SWITCHBOARD_TELEGRAM_BOT_TOKEN": TOKEN, "SWITCHBOARD_TELEGRAM_WEBHOOK_SECRET": SECRET,
        "SWITCHBOARD_TELEGRAM_API_URL": telegram.url, "SWITCHBOARD_PUBLIC_URL": server.url})
    yield from started(server)


@pytest.fixture
def server_without_telegram(tmp_path: Path) -> Iterator[PanelServer]:
    server = PanelServer(tmp_path)
    server.env["SWITCHBOARD_TELEGRAM_SIMULATED"] = "false"  # no Telegram played here either
    yield from started(server)


def open_telegram(page: Page) -> None:
    page.get_by_role("link", name="Admin", exact=True).click()
    page.locator(".admin-nav").get_by_role("link", name="Telegram", exact=True).click()
    expect(page.get_by_role("heading", name="Telegram", level=2)).to_be_visible()


def test_the_admin_area_shows_the_telegram_bot_and_check_asks_telegram_again(
    telegram_server: PanelServer, telegram: FakeBotApi, new_page: NewPage, screenshot: Shot,
) -> None:
    admin = sign_in(new_page(), telegram_server, ADMIN)
    open_telegram(admin)
    card = admin.locator("[data-telegram]")
    expect(card).to_have_attribute("data-telegram", "ok")
    expect(card.locator(".status-pill")).to_have_text("Working")
    expect(card.locator("[data-bot]")).to_have_text(f"@{BOT_USERNAME}")
    expect(card.locator("[data-webhook]")).to_have_attribute("data-webhook", "set")
    expect(card.locator("[data-webhook]")).to_contain_text(
        f"{telegram_server.url}/webhooks/telegram")
    expect(card.locator("[data-pending]")).to_have_text("0")
    expect(card.locator("[data-last-error]")).to_have_text("none")
    screenshot(admin, "telegram")

    telegram.pending_update_count = 2
    card.get_by_role("button", name="Check").click()
    expect(card.locator("[data-pending]")).to_have_text("2")


def test_without_a_bot_the_telegram_card_names_the_settings_to_set(
    server_without_telegram: PanelServer, new_page: NewPage,
) -> None:
    admin = sign_in(new_page(), server_without_telegram, ADMIN)
    open_telegram(admin)
    card = admin.locator("[data-telegram=off]")
    expect(card).to_contain_text("Telegram is not configured.")
    for name in ("SWITCHBOARD_TELEGRAM_BOT_TOKEN", "SWITCHBOARD_TELEGRAM_WEBHOOK_SECRET",
                 "SWITCHBOARD_PUBLIC_URL"):
        expect(card.get_by_text(name, exact=True)).to_be_visible()


@pytest.fixture
def server_with_a_wrong_token(tmp_path: Path, telegram: FakeBotApi) -> Iterator[PanelServer]:
    server = PanelServer(tmp_path)
    server.env.update({
        "SWITCHBOARD_TELEGRAM_BOT_TOKEN": "987654321:AAwrong-token",
        "SWITCHBOARD_TELEGRAM_WEBHOOK_SECRET": SECRET,
        "SWITCHBOARD_TELEGRAM_API_URL": telegram.url, "SWITCHBOARD_PUBLIC_URL": server.url})
    yield from started(server)


def test_what_is_wrong_with_the_bot_is_said_in_the_readers_language(
    server_with_a_wrong_token: PanelServer, new_page: NewPage,
) -> None:
    admin = sign_in(new_page(), server_with_a_wrong_token, ADMIN)
    open_telegram(admin)
    admin.get_by_label("Language").select_option("ru")
    card = admin.locator("[data-telegram]")
    expect(card).to_have_attribute("data-telegram", "bad")
    expect(card.locator("[data-reason]")).to_have_text(
        "Telegram не принимает токен бота: проверьте SWITCHBOARD_TELEGRAM_BOT_TOKEN.")
