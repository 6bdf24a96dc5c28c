"""The People page in a real browser, in English and in Russian: an admin adds a person and sees
their one-time password once; gives them a new one; the person signs in with it and changes
their own password; the admin deactivates a colleague, whose open panel asks to sign in again at
once (the server closed their socket), and reactivates them."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ADMIN, OLGA, ROOT, PanelServer

pytestmark = pytest.mark.browser

Shot = Callable[[Page, str], Any]
NewPage = Callable[..., Page]
LOCALES = {"en": "en-US", "ru": "ru-RU"}


def catalogue(language: str) -> dict[str, Any]:
    path = ROOT / "api/panel/static/i18n" / f"{language}.json"
    words: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return words


def said(words: dict[str, Any], key: str, **params: str) -> str:
    text = str(words[key])
    for name, value in params.items():
        text = text.replace("{" + name + "}", value)
    return text


def sign_in(page: Page, server: PanelServer, who: tuple[str, str],
            words: dict[str, Any]) -> Page:
    page.goto(server.url)
    page.get_by_label(words["signin.login"]).fill(who[0])
    page.get_by_label(words["signin.password"]).fill(who[1])
    page.get_by_role("button", name=words["signin.submit"]).click()
    expect(page.get_by_role("heading", name=words["inbox.title"], level=1)).to_be_visible()
    return page


def person(page: Page, login: str) -> Any:
    return page.locator(f"[data-person='{login}']")


@pytest.mark.parametrize("language", ["en", "ru"])
def test_an_admin_adds_resets_deactivates_and_reactivates_people_and_each_changes_their_password(
        panel_server: PanelServer, new_page: NewPage, screenshot: Shot, language: str) -> None:
    words = catalogue(language)
    locale = LOCALES[language]
    olga = sign_in(new_page(locale=locale), panel_server, OLGA, words)
    admin = sign_in(new_page(locale=locale), panel_server, ADMIN, words)

    admin.get_by_role("link", name=words["nav.people"]).click()
    expect(admin.get_by_role("heading", name=words["people.title"], level=1)).to_be_visible()
    expect(person(admin, "olga")).to_contain_text(words["role.OPERATOR"])
    role_choices = admin.locator("#people-role option")
    expect(role_choices).to_contain_text([words["role.ADMIN"], words["role.OPERATOR"],
                                          words["role.AUDITOR"]])

    # Add a person: their one-time password is shown once.
    admin.get_by_text(words["people.addPerson"]).click()
    admin.get_by_label(words["people.login"]).fill("maria")
    admin.get_by_label(words["people.name"], exact=True).fill("Maria Ivanova")
    admin.get_by_role("button", name=words["people.add"], exact=True).click()
    shown = admin.locator("[data-one-time-password]")
    expect(shown).to_contain_text(said(words, "people.shownOnce", name="Maria Ivanova",
                                       login="maria").split("—")[0].strip())
    first_password = shown.locator("[data-password]").inner_text()
    assert len(first_password) >= 12
    expect(person(admin, "maria")).to_contain_text(words["people.neverSignedIn"])
    screenshot(admin, f"people-{language}")
    shown.get_by_role("button", name=words["people.done"]).click()
    expect(admin.locator("[data-one-time-password]")).to_have_count(0)
    admin.get_by_label(words["people.login"]).fill("maria")  # the same login again: refused
    admin.get_by_role("button", name=words["people.add"], exact=True).click()
    expect(admin.locator("[data-people-form='new'] .form-error")).to_have_text(
        words["error.LOGIN_TAKEN"])
    admin.reload()
    expect(person(admin, "maria")).to_be_visible()
    assert first_password not in admin.content()  # shown once: never again

    # A new one-time password: the first stops working, the new one signs Maria in.
    admin.once("dialog", lambda dialog: dialog.accept())
    person(admin, "maria").get_by_role(
        "button", name=said(words, "people.resetOne", name="Maria Ivanova")).click()
    password = admin.locator("[data-one-time-password] [data-password]").inner_text()
    assert password != first_password
    maria = sign_in(new_page(locale=locale), panel_server, ("maria", password), words)

    # Maria changes her own password (a weak one is refused in words first).
    maria.get_by_role("link", name=words["password.title"]).click()
    expect(maria.get_by_role("heading", name=words["password.title"])).to_be_visible()
    maria.get_by_label(words["password.current"]).fill(password)
    maria.get_by_label(words["password.new"]).fill("short")
    maria.get_by_role("button", name=words["password.change"]).click()
    expect(maria.locator("[data-people-form='password'] .form-error")).to_have_text(
        words["error.WEAK_PASSWORD"])
    maria.get_by_label(words["password.new"]).fill("Rainy-Tuesday-42")
    maria.get_by_role("button", name=words["password.change"]).click()
    expect(maria.get_by_text(words["password.changed"])).to_be_visible()
    sign_in(new_page(locale=locale), panel_server, ("maria", "Rainy-Tuesday-42"), words)

    # Deactivating Olga closes her open panel's session at once: it asks her to sign in.
    admin.once("dialog", lambda dialog: dialog.accept())
    person(admin, "olga").get_by_role(
        "button", name=said(words, "people.deactivateOne", name="Olga")).click()
    expect(person(admin, "olga")).to_contain_text(words["people.deactivated"])
    expect(olga.get_by_role("dialog")).to_be_visible()
    olga.get_by_role("dialog").get_by_label(words["signin.password"]).fill(OLGA[1])
    olga.get_by_role("dialog").get_by_role("button", name=words["signin.submit"],
                                            exact=True).click()
    expect(olga.get_by_role("dialog")).to_be_visible()  # refused: she is deactivated

    # Reactivated, she signs in again.
    person(admin, "olga").get_by_role(
        "button", name=said(words, "people.reactivateOne", name="Olga")).click()
    expect(person(admin, "olga")).to_have_attribute("data-active", "true")
    olga.get_by_role("dialog").get_by_role("button", name=words["signin.submit"],
                                            exact=True).click()
    expect(olga.get_by_role("dialog")).to_have_count(0)
