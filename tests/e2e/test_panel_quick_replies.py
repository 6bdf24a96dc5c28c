"""Quick replies in a real browser, in English and in Russian: in the reply box "/" opens the
picker, typing filters it (shortcuts that start with what was typed first), the arrow keys and
Enter pick one with {client_name}, {operator_name} and {company} filled in, the operator edits
it and sends; Escape closes the picker. On their page, an admin adds a shared one, an operator
reads it without changing it and keeps one of their own; a taken shortcut is refused in words."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ADMIN, OLGA, PanelServer
from tests.e2e.test_panel import row, token_of

pytestmark = pytest.mark.browser

Shot = Callable[[Page, str], Any]
NewPage = Callable[..., Page]
PHONE = "+79161234567"
CREATE = """mutation($s: String!, $t: String!, $shared: Boolean!) {
  createQuickReply(shortcut: $s, text: $t, shared: $shared) { __typename } }"""
WORDS = {
    "en": {"locale": "en-US", "login": "Login", "password": "Password", "submit": "Sign in",
           "inbox": "Inbox", "picker": "Quick replies", "none": "No quick reply matches.",
           "shared": "shared"},
    "ru": {"locale": "ru-RU", "login": "Логин", "password": "Пароль", "submit": "Войти",
           "inbox": "Входящие", "picker": "Быстрые ответы",
           "none": "Нет подходящих быстрых ответов.", "shared": "общий"},
}


@pytest.fixture
def panel_server(tmp_path: Path) -> Iterator[PanelServer]:
    """The shared fresh server with Olga, for a company named Acme ({company})."""
    server = PanelServer(tmp_path)
    server.env["SWITCHBOARD_COMPANY_NAME"] = "Acme"
    server.cli("admin", "create", "--login", OLGA[0], "--password", OLGA[1],
               "--name", "Olga", "--role", "operator")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def sign_in(page: Page, server: PanelServer, who: tuple[str, str], words: dict[str, str]
            ) -> Page:
    page.goto(server.url)
    page.get_by_label(words["login"]).fill(who[0])
    page.get_by_label(words["password"]).fill(who[1])
    page.get_by_role("button", name=words["submit"]).click()
    expect(page.get_by_role("heading", name=words["inbox"], level=1)).to_be_visible()
    return page


def graphql(server: PanelServer, token: str, query: str, variables: dict[str, Any]) -> Any:
    answer = httpx.post(f"{server.url}/graphql", json={"query": query, "variables": variables},
                        headers={"authorization": f"Bearer {token}"}, timeout=15).json()
    assert not answer.get("errors"), answer
    return answer["data"]


def options(page: Page) -> Any:
    return page.get_by_role("listbox").get_by_role("option")


@pytest.mark.parametrize("language", ["en", "ru"])
def test_slash_opens_the_picker_which_filters_and_fills_in_what_the_operator_edits_and_sends(
        panel_server: PanelServer, new_page: NewPage, screenshot: Shot, language: str) -> None:
    words = WORDS[language]
    admin = sign_in(new_page(locale=words["locale"]), panel_server, ADMIN, words)
    graphql(panel_server, token_of(admin), CREATE, {
        "s": "hello", "t": "Hello {client_name}, this is {operator_name} of {company}.",
        "shared": True})
    panel_server.send(PHONE, "Is my order ready?", "Ivan")
    olga = sign_in(new_page(locale=words["locale"]), panel_server, OLGA, words)
    graphql(panel_server, token_of(olga), CREATE, {"s": "thanks", "t": "Thank you, {client_name}!",
                                                   "shared": False})
    row(olga, "Is my order ready?").click()
    box = olga.locator("#reply")
    expect(box).to_be_visible()

    box.press_sequentially("/")
    picker = olga.get_by_role("listbox", name=words["picker"])
    expect(options(olga)).to_have_count(2)
    expect(options(olga).first).to_contain_text("/hello")
    expect(options(olga).first).to_contain_text(words["shared"])
    expect(box).to_have_attribute("aria-expanded", "true")
    box.press_sequentially("th")  # "thanks" by its shortcut first, then "hello" by its text
    expect(options(olga)).to_have_count(2)
    expect(options(olga).first).to_contain_text("/thanksThank you, Ivan!")
    expect(options(olga).nth(1)).to_contain_text("Hello Ivan, this is Olga of Acme.")
    expect(options(olga).first).to_have_attribute("aria-selected", "true")
    box.press("ArrowDown")
    expect(options(olga).nth(1)).to_have_attribute("aria-selected", "true")
    screenshot(olga, f"quick-replies-picker-{language}")
    box.press("Enter")  # picks; does not send
    expect(picker).to_have_count(0)
    expect(box).to_have_value("Hello Ivan, this is Olga of Acme.")
    assert olga.locator("li.msg-out").count() == 0

    box.press("End")
    box.press_sequentially(" How can I help?")
    box.press("Enter")
    expect(box).to_have_value("")
    expect(olga.locator("li.msg-out", has_text="Hello Ivan, this is Olga of Acme. How can I "
                                               "help?")).to_be_visible()

    box.press_sequentially("Fine /nothing")
    expect(olga.get_by_text(words["none"])).to_be_visible()
    box.press("Escape")
    expect(olga.get_by_text(words["none"])).to_have_count(0)
    expect(box).to_have_value("Fine /nothing")  # Escape closed the picker, nothing else


def test_an_admin_keeps_shared_ones_and_an_operator_reads_them_and_keeps_their_own(
        panel_server: PanelServer, new_page: NewPage, screenshot: Shot) -> None:
    words = WORDS["en"]
    admin = sign_in(new_page(), panel_server, ADMIN, words)
    admin.get_by_role("link", name="Quick replies").click()
    expect(admin.get_by_role("heading", name="Quick replies", level=1)).to_be_visible()
    shared = admin.locator('[data-quick-section="quick-shared"]')
    shared.get_by_text("Add a shared quick reply").click()
    shared.get_by_label("Shortcut").fill("hello")
    shared.get_by_label("Text").fill("Hello {client_name}!")
    shared.get_by_role("button", name="Add").click()
    expect(shared.locator('[data-quick-reply="hello"]')).to_contain_text("Hello {client_name}!")

    olga = sign_in(new_page(), panel_server, OLGA, words)
    olga.goto(panel_server.url + "/quick-replies")
    theirs = olga.locator('[data-quick-reply="hello"]')
    expect(theirs).to_be_visible()
    expect(theirs.get_by_role("button")).to_have_count(0)  # shared: admins change it
    expect(olga.get_by_text("Add a shared quick reply")).to_have_count(0)
    mine = olga.locator('[data-quick-section="quick-mine"]')
    mine.get_by_text("Add a quick reply of yours").click()
    mine.get_by_label("Shortcut").fill("Hello")
    mine.get_by_label("Text").fill("Hi there")
    mine.get_by_role("button", name="Add").click()
    expect(mine.get_by_role("alert")).to_have_text("This shortcut is taken: choose another.")
    mine.get_by_label("Shortcut").fill("bye")
    mine.get_by_label("Text").fill("Bye, {client}")
    mine.get_by_role("button", name="Add").click()
    expect(mine.get_by_role("alert")).to_contain_text("placeholder we do not know")
    mine.get_by_label("Text").fill("Goodbye, {client_name}!")
    mine.get_by_role("button", name="Add").click()
    expect(mine.locator('[data-quick-reply="bye"]')).to_contain_text("Goodbye, {client_name}!")
    screenshot(olga, "quick-replies-page")

    olga.once("dialog", lambda dialog: dialog.accept())
    mine.get_by_role("button", name="Delete /bye").click()
    expect(mine.locator('[data-quick-reply="bye"]')).to_have_count(0)
    admin.reload()
    expect(admin.locator('[data-quick-reply="bye"]')).to_have_count(0)  # never the admin's
