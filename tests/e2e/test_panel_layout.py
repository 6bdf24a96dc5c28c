"""The panel fits the screen: at 1280, 1366, 1440 and 1920 px wide (800 high), and on a 390 by
844 phone, in English and in Russian, every page an admin, an operator and an auditor can reach
is no wider than the window (`scrollWidth`), its main area never scrolls sideways (wide tables
scroll in their own box), and nothing of the top bar is off screen. On the phone the navigation
folds behind a menu button (aria-expanded, opened and closed from the keyboard, Escape closes
it) and a dialog opens over the list with a way back.

The pages are found the way a person finds them, from the top bar's and the admin area's links,
so a page added later is measured too. One server and one browser context per language and
role; the window is resized between widths. `SWITCHBOARD_LAYOUT_SHOTS=1` saves a screenshot of
every page at every width under test-artifacts/layout/ (a page that does not fit is always
saved)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import ADMIN, ARTIFACTS, OLGA, PanelServer

pytestmark = pytest.mark.browser

AUDREY = ("audrey", "audrey-pass-1")
WIDE = (1280, 1366, 1440, 1920)
PHONE_SIZE = (390, 844)
SIZES = [*((w, 800) for w in WIDE), PHONE_SIZE]
SHOTS = ARTIFACTS / "layout"
ALL_SHOTS = os.environ.get("SWITCHBOARD_LAYOUT_SHOTS", "") not in ("", "0")
WORDS = {
    "en": {"locale": "en-US", "login": "Login", "password": "Password", "submit": "Sign in",
           "inbox": "Inbox", "menu": "Menu"},
    "ru": {"locale": "ru-RU", "login": "Логин", "password": "Пароль", "submit": "Войти",
           "inbox": "Входящие", "menu": "Меню"},
}
# Counts the GraphQL calls in flight, so a page is measured once what it asked for has come.
COUNT_FETCHES = """
window.__inflight = 0;
const realFetch = window.fetch;
window.fetch = (...args) => {
  window.__inflight += 1;
  return realFetch(...args).finally(() => { window.__inflight -= 1; });
};
"""
GO = """(path) => {
  history.pushState({}, "", path);
  dispatchEvent(new PopStateEvent("popstate"));
}"""
FRAMES = """() => new Promise((done) =>
  requestAnimationFrame(() => requestAnimationFrame(() => done())))"""
# What does not fit: the page wider than the window, the main area scrolling sideways, a piece
# of the top bar outside the window.
MEASURE = """() => {
  const width = innerWidth;
  const name = (el) => {
    const text = (el.getAttribute("aria-label") || el.textContent || "").trim().slice(0, 30);
    return `${el.tagName.toLowerCase()}${el.className && typeof el.className === "string"
      ? "." + el.className.trim().split(/\\s+/).join(".") : ""} "${text}"`;
  };
  const shown = (el) => {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) return null;
    if (el.closest(".visually-hidden")) return null;
    if (getComputedStyle(el).visibility === "hidden") return null;
    return box;
  };
  const problems = [];
  const page = document.documentElement.scrollWidth;
  if (page > width) {
    const beyond = (el) => el && el.getBoundingClientRect().right > width + 0.5;
    const wide = [...document.body.querySelectorAll("*")]
      .filter((el) => beyond(el) && !beyond(el.parentElement)).slice(0, 3).map(name);
    problems.push(`the page is ${page} px wide (${wide.join(", ")})`);
  }
  const main = document.querySelector("main");
  if (main && main.scrollWidth > main.clientWidth + 1) {
    const edge = main.getBoundingClientRect().left + main.clientWidth + 0.5;
    const wide = [...main.querySelectorAll("*")].filter((el) => {
      const box = shown(el);
      return box && box.right > edge && !(shown(el.parentElement)?.right > edge);
    }).slice(0, 3).map(name);
    problems.push(`the main area scrolls sideways (${main.scrollWidth} > ${main.clientWidth}: ` +
      `${wide.join(", ")})`);
  }
  const bar = document.querySelector(".topbar");
  if (bar) {
    const off = new Set();
    for (const el of bar.querySelectorAll("*")) {
      const box = shown(el);
      if (box && (box.left < -0.5 || box.right > width + 0.5)) {
        off.add(el);
        if (off.has(el.parentElement)) continue; // named once, by its outermost part
        problems.push(`${name(el)} of the top bar is off screen (${Math.round(box.left)}` +
          `..${Math.round(box.right)})`);
      }
    }
  }
  return problems;
}"""


def shot_name(*parts: str) -> str:
    parts = tuple(re.sub(r"/(dialogs|colleagues)/[^/]+", r"/\1-one", p) for p in parts)
    return re.sub(r"[^a-z0-9.-]+", "_", "-".join(parts).lower()).strip("_") + ".png"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PanelServer]:
    """One server for the module, with an admin, an operator (Olga) and an auditor (Audrey),
    and something in every list: dialogs (one long, with a long name), a question to the
    colleagues, a shared quick reply and a label."""
    server = PanelServer(tmp_path_factory.mktemp("layout"))
    server.cli("admin", "create", "--login", OLGA[0], "--password", OLGA[1],
               "--name", "Olga", "--role", "operator")
    server.cli("admin", "create", "--login", AUDREY[0], "--password", AUDREY[1],
               "--name", "Audrey", "--role", "auditor")
    server.start()
    try:
        first = server.send("+79161112233", "Where is my parcel? " * 12,
                            name="Konstantin Konstantinopolsky-Vyshnegradsky")
        server.send("+79162223344", "Hello!", name="Anna")
        server.send("+79163334455", "Can I pay by card on delivery?")
        token = login(server, ADMIN)
        dialog = str(first["dialog_id"])
        graphql(server, token, """mutation($d: ID!) {
          askColleague(dialogId: $d, text: "Who knows about this parcel?") { __typename } }""",
                {"d": dialog})
        graphql(server, token, """mutation {
          createQuickReply(shortcut: "hello", text: "Hello {client_name}!", shared: true) {
            __typename } }""", {})
        graphql(server, token, """mutation {
          createLabel(name: "Wholesale", color: "#2f855a") { __typename } }""", {})
        yield server
    finally:
        server.stop()


def login(server: PanelServer, who: tuple[str, str]) -> str:
    answer = graphql(server, None, """mutation($l: String!, $p: String!) {
      login(login: $l, password: $p) { ... on LoginSuccess { token } } }""",
                     {"l": who[0], "p": who[1]})
    return str(answer["login"]["token"])


def graphql(server: PanelServer, token: str | None, query: str, variables: dict[str, Any]
            ) -> Any:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    answer = httpx.post(f"{server.url}/graphql", json={"query": query, "variables": variables},
                        headers=headers, timeout=15).json()
    assert not answer.get("errors"), answer
    return answer["data"]


@pytest.fixture
def person(chromium: Browser) -> Iterator[Any]:
    """Opens a browser context of its own for someone signing in; fails the test on an
    uncaught JavaScript error."""
    expect.set_options(timeout=10_000)
    contexts: list[Any] = []
    errors: list[str] = []

    def open_page(server: PanelServer, who: tuple[str, str], language: str,
                  size: tuple[int, int] = (1920, 800)) -> Page:
        words = WORDS[language]
        context = chromium.new_context(locale=words["locale"],
                                       viewport={"width": size[0], "height": size[1]})
        contexts.append(context)
        context.add_init_script(COUNT_FETCHES)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(server.url)
        page.get_by_label(words["login"]).fill(who[0])
        page.get_by_label(words["password"]).fill(who[1])
        page.get_by_role("button", name=words["submit"]).click()
        expect(page.get_by_role("heading", name=words["inbox"], level=1)).to_be_visible()
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


def go(page: Page, path: str) -> None:
    page.evaluate(GO, path)
    settle(page)


def settle(page: Page) -> None:
    """Waits until the page has rendered what its GraphQL calls brought."""
    for _ in range(2):
        page.evaluate(FRAMES)
        page.wait_for_function("window.__inflight === 0")
    page.evaluate(FRAMES)


def links(page: Page, selector: str) -> list[str]:
    found = page.eval_on_selector_all(
        selector, "(els) => els.map((a) => a.getAttribute('href'))")
    return [str(href) for href in found if href and href.startswith("/")]


def pages_of(page: Page) -> list[str]:
    """Every page this person can reach from the panel's links (the phone page aside: it opens
    in a tab of its own, measured once), with one dialog and one colleague chat opened."""
    paths = links(page, ".topbar nav a:not([target])") + links(page, ".topbar .who a")
    if "/admin" in paths:
        go(page, "/admin")
        paths += links(page, ".admin-nav a")
    go(page, "/")
    paths += links(page, "a.row")[:1]
    if "/colleagues" in paths:
        go(page, "/colleagues")
        paths += links(page, "a[data-chat-id]")[:1]
    go(page, "/")
    return list(dict.fromkeys(paths))


def misfits(page: Page, label: str) -> list[str]:
    """Measures the current page at every size; what does not fit, named."""
    found = []
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        settle(page)
        problems = page.evaluate(MEASURE)
        name = shot_name(label, str(width))
        if problems or ALL_SHOTS:
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / name))
        found += [f"{label} at {width}: {problem}" for problem in problems]
    return found


@pytest.mark.parametrize("language", ["en", "ru"])
def test_every_page_fits_every_width_for_the_admin_the_operator_and_the_auditor(
        server: PanelServer, person: Any, language: str) -> None:
    found: list[str] = []
    measured = 0
    for role, who in (("admin", ADMIN), ("operator", OLGA), ("auditor", AUDREY)):
        page = person(server, who, language)
        paths = pages_of(page)
        assert "/" in paths and "/colleagues" in paths and "/quick-replies" in paths, paths
        if role != "auditor":  # an auditor reads no inbox of their own
            assert any(p.startswith("/dialogs/") for p in paths), paths
        if role != "operator":
            assert "/admin/audit" in paths, paths
        if role == "admin":
            assert {"/admin/setup", "/admin/queue", "/admin/analytics"} <= set(paths), paths
        for path in paths:
            go(page, path)
            found += misfits(page, f"{language} {role} {path}")
            measured += 1
        page.set_viewport_size({"width": 1920, "height": 800})
        if role == "admin":
            page.goto(server.url + "/phone")
            expect(page.locator(".phone")).to_be_visible()
            settle(page)
            found += misfits(page, f"{language} phone /phone")
    assert measured >= 20
    assert not found, "\n".join(found)


def menu_button(page: Page, language: str) -> Any:
    return page.locator(".topbar").get_by_role("button", name=WORDS[language]["menu"])


@pytest.mark.parametrize("language", ["en", "ru"])
def test_on_a_phone_the_navigation_folds_into_a_menu_the_keyboard_opens_and_escape_closes(
        server: PanelServer, person: Any, language: str) -> None:
    page = person(server, ADMIN, language, PHONE_SIZE)
    button = menu_button(page, language)
    expect(button).to_be_visible()
    expect(button).to_have_attribute("aria-expanded", "false")
    nav = page.locator(".topbar nav")
    expect(nav.get_by_role("link").first).to_be_hidden()  # folded away

    button.focus()
    page.keyboard.press("Enter")
    expect(button).to_have_attribute("aria-expanded", "true")
    menu = page.locator(f"#{button.get_attribute('aria-controls')}")
    expect(menu).to_be_visible()
    for link in nav.get_by_role("link").all():
        expect(link).to_be_in_viewport(ratio=1)
    page.keyboard.press("Tab")  # the keyboard moves into the menu
    assert page.evaluate("document.activeElement.closest('[id]')?.id") == menu.get_attribute("id")
    assert page.evaluate(MEASURE) == []
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / shot_name(language, "menu-open-390")))

    page.keyboard.press("Escape")
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_hidden()
    expect(button).to_be_focused()  # Escape gives the focus back to the button

    button.click()  # and a link followed closes the menu on the page it opened
    page.locator(".topbar nav").get_by_role("link").nth(1).click()
    expect(button).to_have_attribute("aria-expanded", "false")
    assert page.evaluate("location.pathname") == "/colleagues"

    page.set_viewport_size({"width": 1366, "height": 800})  # wide: no menu, the links in sight
    expect(button).to_be_hidden()
    expect(nav.get_by_role("link").first).to_be_visible()


@pytest.mark.parametrize("language", ["en", "ru"])
def test_on_a_phone_a_dialog_opens_over_the_list_and_goes_back_to_it(
        server: PanelServer, person: Any, language: str) -> None:
    page = person(server, ADMIN, language, PHONE_SIZE)
    rows = page.locator("a.row")
    expect(rows.first).to_be_in_viewport()
    rows.filter(has_text="Konstantin").click()
    expect(page.locator("article.dialog")).to_be_visible()
    expect(page.locator("section.inbox")).to_be_hidden()  # one column: the dialog over the list
    reply = page.locator("#reply")
    expect(reply).to_be_in_viewport(ratio=1)
    reply_box = reply.bounding_box()
    assert reply_box is not None and reply_box["width"] >= 250  # room to write
    assert page.evaluate(MEASURE) == []
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / shot_name(language, "dialog-390")))

    back = page.locator("article.dialog .back-link")
    expect(back).to_be_in_viewport(ratio=1)
    expect(back).to_contain_text(WORDS[language]["inbox"])
    back.click()
    expect(page.locator("section.inbox")).to_be_visible()
    expect(page.locator("article.dialog")).to_have_count(0)
    assert page.evaluate("location.pathname") == "/"

