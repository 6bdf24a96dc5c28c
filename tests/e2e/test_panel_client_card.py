"""The client card in a real browser, in English and in Russian: the phonebook's organisation
beside the inbox row and its entry in the dialog header's card; a client the phonebook does not
know named and noted in the card (a bad name refused with the reason, nothing saved); the
client's earlier dialog listed in the card and read back in it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ADMIN, OLGA, PanelServer
from tests.e2e.test_panel import row, sign_in

pytestmark = pytest.mark.browser

NewPage = Callable[..., Page]
KNOWN = "+79161230011"
STRANGER = "+79161230022"
PHONEBOOK = ("name,company,position,comment,1C reference,phone\n"
             "Anna Smirnova,Horns & Hooves,Chief accountant,Pays by the 5th,REF-0042,"
             f"{KNOWN}\n")
LOGIN = """mutation($l: String!, $p: String!) { login(login: $l, password: $p) {
  ... on LoginSuccess { token } } }"""


def as_admin(server: PanelServer, query: str, variables: dict[str, Any] | None = None
             ) -> dict[str, Any]:
    def call(q: str, v: dict[str, Any], token: str | None = None) -> dict[str, Any]:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        body: dict[str, Any] = httpx.post(f"{server.url}/graphql", json={
            "query": q, "variables": v}, headers=headers, timeout=15).json()
        assert not body.get("errors"), body
        return body["data"]  # type: ignore[no-any-return]

    token = call(LOGIN, {"l": ADMIN[0], "p": ADMIN[1]})["login"]["token"]
    return call(query, variables or {}, token)


def import_phonebook(server: PanelServer) -> None:
    answer = as_admin(server, """mutation($c: String!) { importPhonebook(format: CSV,
      content: $c) { __typename } }""", {"c": PHONEBOOK})
    assert answer["importPhonebook"]["__typename"] != "UserError"


def test_the_card_shows_the_phonebook_entry_and_names_notes_and_reads_back_a_client(
    panel_server: PanelServer, new_page: NewPage
) -> None:
    import_phonebook(panel_server)
    as_admin(panel_server, """mutation { updateDistributionSettings(mode: EVERYBODY,
      reopenWindowHours: 0) { __typename } }""")  # a message after resolving opens a new one
    panel_server.send(KNOWN, "Is the invoice paid?", name="Anya")
    page = sign_in(new_page(), panel_server, OLGA)

    known = row(page, "Anna Smirnova")
    expect(known.locator("[data-client-mark]")).to_contain_text("Horns & Hooves")
    known.click()
    expect(page.get_by_role("heading", name="Anna Smirnova", level=2)).to_be_visible()
    page.get_by_role("button", name="Client card").click()
    card = page.get_by_role("dialog", name="Client card")
    expect(card.locator("[data-fact=organisation] dd")).to_have_text("Horns & Hooves")
    expect(card.locator("[data-fact=position] dd")).to_have_text("Chief accountant")
    expect(card.locator("[data-fact=comment] dd")).to_have_text("Pays by the 5th")
    expect(card.locator("[data-fact=reference]")).to_contain_text("1C reference")
    expect(card.locator("[data-fact=reference] dd")).to_have_text("REF-0042")
    expect(card).to_contain_text("From the phonebook (CSV)")
    expect(card.locator("[data-no-earlier]")).to_have_text("No earlier dialogs.")

    page.get_by_role("button", name="Resolve").click()
    expect(page.locator(".dialog")).to_be_visible()
    panel_server.send(KNOWN, "Me again: it broke", name="Anya")
    expect(page.locator("a.row")).to_have_count(2)
    page.locator("a.row", has_text="Me again").click()
    page.get_by_role("button", name="Client card").click()
    earlier = card.locator("[data-episode]")
    expect(earlier).to_have_count(1)
    expect(earlier).to_contain_text("Is the invoice paid?")
    expect(earlier).to_contain_text("resolved")
    earlier.click()
    expect(card.locator("[data-episode-view] .msg-text")).to_have_text(["Is the invoice paid?"])
    card.get_by_role("button", name="Back to the card").click()
    page.keyboard.press("Escape")
    expect(card).to_be_hidden()

    panel_server.send(STRANGER, "Hello, who am I to you?")
    row(page, STRANGER).click()
    page.get_by_role("button", name="Client card").click()
    expect(card.locator("[data-not-in-phonebook]")).to_have_text("Not in the phonebook.")
    card.get_by_label("Client's name").fill("   ")
    card.get_by_role("button", name="Save").click()
    expect(card.locator("[data-error=name]")).to_have_text(
        "Enter a name of 1 to 120 characters.")
    card.get_by_label("Client's name").fill("Boris from the warehouse")
    card.get_by_label("Note").fill("Calls after 6 pm.")
    card.get_by_role("button", name="Save").click()
    expect(card.locator("[data-saved]")).to_have_text("Saved")
    expect(card.locator("[data-card-name]")).to_have_text("Boris from the warehouse")
    expect(page.get_by_role("heading", name="Boris from the warehouse", level=2)).to_be_visible()
    expect(row(page, "Boris from the warehouse")).to_have_count(1)


def test_the_card_speaks_russian(panel_server: PanelServer, new_page: NewPage) -> None:
    import_phonebook(panel_server)
    panel_server.send(KNOWN, "Счёт оплачен?", name="Аня")
    panel_server.send(STRANGER, "Здравствуйте")
    page = sign_in_russian(new_page(locale="ru-RU"), panel_server)

    row(page, "Anna Smirnova").click()
    page.get_by_role("button", name="Карточка клиента").click()
    card = page.get_by_role("dialog", name="Карточка клиента")
    expect(card.locator("[data-fact=position] dt")).to_have_text("Должность")
    expect(card.locator("[data-fact=reference] dt")).to_have_text("Ссылка в 1С")
    expect(card).to_contain_text("Из телефонной книги (CSV)")
    expect(card.locator("[data-no-earlier]")).to_have_text("Прежних диалогов нет.")

    row(page, STRANGER).click()
    page.get_by_role("button", name="Карточка клиента").click()
    expect(card.locator("[data-not-in-phonebook]")).to_have_text("Нет в телефонной книге.")
    card.get_by_label("Заметка").fill(" ")
    card.get_by_role("button", name="Сохранить").click()
    expect(card.locator("[data-error=note]")).to_have_text(
        "Введите заметку длиной от 1 до 2000 символов.")
    card.get_by_label("Заметка").fill("Перезванивает после 18:00")
    card.get_by_role("button", name="Сохранить").click()
    expect(card.locator("[data-saved]")).to_have_text("Сохранено")


def sign_in_russian(page: Page, server: PanelServer) -> Page:
    page.goto(server.url + "/")
    page.get_by_label("Логин").fill(OLGA[0])
    page.get_by_label("Пароль").fill(OLGA[1])
    page.get_by_role("button", name="Войти").click()
    expect(page.get_by_role("heading", name="Входящие", level=1)).to_be_visible()
    return page
