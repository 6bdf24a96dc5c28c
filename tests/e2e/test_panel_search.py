"""The search box in a real browser, in both languages and by keyboard alone: "/" focuses it,
Enter searches, the arrows move through the matches with what matched marked, Enter opens the
dialog at the message; a number is found in any spelling; a refusal is said in the reader's
language."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import OLGA, PanelServer
from tests.e2e.test_panel import sign_in

pytestmark = pytest.mark.browser

Shot = Callable[[Page, str], Any]
NewPage = Callable[..., Page]


def test_an_operator_searches_by_keyboard_and_opens_the_dialog_at_the_message(
    panel_server: PanelServer, new_page: NewPage, screenshot: Shot,
) -> None:
    panel_server.send("+79161234567", "Хочу оформить возврат за заказ 42", name="Анна")
    panel_server.send("+79161234567", "Спасибо", name="Анна")
    panel_server.send("+79160000002", "The refund arrived, thanks", name="Boris")
    page = sign_in(new_page(), panel_server, OLGA)
    expect(page.locator("a.row")).to_have_count(2)
    box = page.get_by_role("combobox", name="Search messages and clients")
    expect(page.locator("kbd.search-hint")).to_have_attribute("title", "Press / to search")

    page.locator("main").click()
    page.keyboard.press("/")
    expect(box).to_be_focused()
    page.keyboard.type("возвратом")
    page.keyboard.press("Enter")
    option = page.locator("#search-results").get_by_role("option")
    expect(option).to_have_count(1)
    expect(option.locator("mark")).to_have_text("возврат")
    expect(page.locator(".search-client")).to_contain_text("Анна")
    expect(page.locator(".search-count")).to_have_text("1 match")
    screenshot(page, "search")

    box.fill("refunds")
    box.press("Enter")
    expect(option).to_have_count(1)
    expect(option.locator("mark")).to_have_text("refund")

    box.fill("8 (916) 123-45-67")  # the client by number, and any message too
    box.press("Enter")
    expect(option.first).to_have_attribute("aria-selected", "true")
    expect(option.first.locator("mark")).to_have_text("+79161234567")
    box.press("Escape")
    expect(page.locator("#search-results")).to_have_count(0)

    box.fill("заказы")
    box.press("Enter")
    expect(option).to_have_count(1)
    box.press("ArrowDown")  # one match: it stays on it
    expect(option.first).to_have_attribute("aria-selected", "true")
    box.press("Enter")
    expect(page).to_have_url(f"{panel_server.url}/dialogs/" + page.evaluate(
        "location.pathname.split('/').pop()"))
    found = page.locator("li.msg[data-found]")
    expect(found).to_contain_text("Хочу оформить возврат за заказ 42")
    expect(page.locator("#search-results")).to_have_count(0)


def test_the_search_box_speaks_russian_and_says_a_refusal_in_it(
    panel_server: PanelServer, new_page: NewPage, screenshot: Shot,
) -> None:
    for i in range(3):
        panel_server.send(f"+7916000001{i}", f"Пришлите счёт номер {i}", name=f"Клиент {i}")
    page = sign_in(new_page(), panel_server, OLGA)
    page.get_by_label("Language").select_option("ru")
    box = page.get_by_role("combobox", name="Поиск по сообщениям и клиентам")
    expect(box).to_have_attribute("placeholder", "Поиск: слово, имя, номер")

    box.fill("счета")
    box.press("Enter")
    options = page.locator("#search-results").get_by_role("option")
    expect(options).to_have_count(3)
    expect(options.first.locator("mark")).to_have_text("счёт")
    expect(options.first).to_contain_text("Клиент")  # who wrote it: the client
    expect(page.locator(".search-count").first).to_have_text("1 совпадение")
    box.press("ArrowDown")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    box.press("ArrowUp")
    box.press("ArrowUp")
    expect(options.nth(2)).to_have_attribute("aria-selected", "true")  # round to the last
    screenshot(page, "search-ru")

    box.fill("по запросу, которого нет")
    box.press("Enter")
    expect(page.locator("[data-search-none]")).to_have_text(
        "По запросу «по запросу, которого нет» ничего не найдено.")
    box.fill("?!")
    box.press("Enter")
    expect(page.get_by_role("alert")).to_have_text("Напишите слово или номер, чтобы искать.")
    box.fill("слово " * 50)
    box.press("Enter")
    expect(page.get_by_role("alert")).to_have_text("Запрос — не длиннее 200 символов.")
