"""The web panel in a real browser: signing in, the live inbox, the phone simulator, languages,
and coming back after the server restarts."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from application import commands as c
from tests.conftest import make_settings, running_container
from tests.e2e.conftest import ADMIN, OLGA, PanelServer

pytestmark = pytest.mark.browser

Shot = Callable[[Page, str], Any]
NewPage = Callable[..., Page]


# Stands in for the desktop: records notifications and chimes, and says the page is in the
# background (a headless page always has focus).
DESKTOP_SPY = """
window.__notes = []; window.__chimes = 0;
window.Notification = class {
  static permission = "granted";
  static requestPermission() { return Promise.resolve("granted"); }
  constructor(title, options) { window.__notes.push({ title, body: options?.body }); }
  close() {}
};
document.hasFocus = () => false;
const oscillator = AudioContext.prototype.createOscillator;
AudioContext.prototype.createOscillator = function () {
  window.__chimes += 1;
  return oscillator.call(this);
};
"""


def sign_in(page: Page, server: PanelServer, who: tuple[str, str], path: str = "/") -> Page:
    page.goto(server.url + path)
    page.get_by_label("Login").fill(who[0])
    page.get_by_label("Password").fill(who[1])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Inbox", level=1)).to_be_visible()
    return page


def row(page: Page, text: str) -> Any:
    return page.locator("a.row", has_text=text)


def token_of(page: Page) -> str:
    return str(page.evaluate("JSON.parse(localStorage.getItem('sb.session')).token"))


def test_an_admin_signs_in_sees_the_admin_area_and_stays_signed_in_after_a_reload(
    panel_server: PanelServer, new_page: NewPage, screenshot: Shot,
) -> None:
    page = new_page()
    page.goto(panel_server.url)
    expect(page.get_by_role("heading", name="Sign in to Switchboard")).to_be_visible()
    screenshot(page, "sign-in")
    # Keyboard only: the login field has focus, Tab moves on, Enter submits.
    expect(page.get_by_label("Login")).to_be_focused()
    page.keyboard.type(ADMIN[0])
    page.keyboard.press("Tab")
    page.keyboard.type(ADMIN[1])
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Inbox", level=1)).to_be_visible()
    expect(page.get_by_text("Administrator")).to_be_visible()
    expect(page.get_by_text("No dialogs yet")).to_be_visible()
    expect(page).to_have_title("Switchboard")

    page.reload()
    expect(page.get_by_role("heading", name="Inbox", level=1)).to_be_visible()
    expect(page.get_by_label("Password")).to_have_count(0)

    page.get_by_role("link", name="Admin").click()
    expect(page).to_have_url(panel_server.url + "/admin")
    sections = page.get_by_role("navigation", name="Admin sections")
    for name in ("Setup", "WhatsApp", "Queue & routing", "Sync", "Audit", "Analytics"):
        expect(sections.get_by_role("link", name=name)).to_be_visible()
    sections.get_by_role("link", name="Analytics").click()
    expect(page).to_have_url(panel_server.url + "/admin/analytics")
    expect(page.get_by_role("heading", name=re.compile("Analytics"))).to_be_visible()
    expect(page.get_by_text("Coming soon")).to_have_count(0)
    screenshot(page, "admin")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in to Switchboard")).to_be_visible()
    page.reload()
    expect(page.get_by_role("heading", name="Sign in to Switchboard")).to_be_visible()


def test_a_message_written_on_the_phone_page_appears_live_in_both_operators_inboxes(
    panel_server: PanelServer, new_page: NewPage, screenshot: Shot,
) -> None:
    admin = sign_in(new_page(), panel_server, ADMIN)
    olga = new_page()
    olga.context.add_init_script(DESKTOP_SPY)
    sign_in(olga, panel_server, OLGA)
    expect(olga.get_by_text("Olga")).to_be_visible()
    expect(olga.get_by_role("link", name="Admin")).to_have_count(0)

    phone = new_page()
    phone.goto(panel_server.url + "/phone")
    expect(phone.get_by_role("heading", name="Phone simulator")).to_be_visible()
    expect(phone.get_by_role("heading", name="Replies received")).to_be_visible()
    phone.get_by_label("Your phone number").fill("+79161112233")
    phone.get_by_label("Your name").fill("Ivan Petrov")
    phone.get_by_label("Message").fill("Hello, is my order ready?")
    phone.get_by_label("Message").press("Enter")
    sent = phone.locator("li[data-sent]")
    expect(sent).to_have_count(1)
    expect(sent.first).to_contain_text("Hello, is my order ready?")
    expect(sent.first.get_by_label("Delivered to the company")).to_be_visible()
    expect(phone.get_by_label("Message")).to_have_value("")
    screenshot(phone, "phone")

    for page in (admin, olga):
        entry = row(page, "Ivan Petrov")
        expect(entry).to_contain_text("Hello, is my order ready?")
        expect(entry).to_contain_text("+79161112233")
        expect(entry.locator(".badge")).to_have_text("1")
        expect(page.locator(".badge-nav")).to_have_text("1")
        expect(page.locator(".inbox-count")).to_have_text("1 unread dialog")
        expect(page).to_have_title("(1) Switchboard")

    # Olga's page is in the background: a desktop notification and a chime.
    assert olga.evaluate("window.__notes") == [
        {"title": "New message from Ivan Petrov", "body": "Hello, is my order ready?"}]
    assert olga.evaluate("window.__chimes") == 1

    phone.get_by_label("Message").fill("And one more thing")
    phone.get_by_role("button", name="Send", exact=True).click()
    expect(sent).to_have_count(2)
    for page in (admin, olga):
        expect(row(page, "Ivan Petrov").locator(".badge")).to_have_text("2")
        expect(row(page, "Ivan Petrov")).to_contain_text("And one more thing")
    screenshot(admin, "inbox-live")

    # The admin opens the dialog: the phone shows both messages read; typing shows there.
    row(admin, "Ivan Petrov").click()
    expect(sent.get_by_label("Read by the company")).to_have_count(2)
    admin.locator("#reply").press_sequentially("We are checking", delay=20)
    expect(phone.locator("[data-typing]")).to_have_text("typing…")
    admin.locator("#reply").press("Enter")
    expect(phone.locator("[data-typing]")).to_have_count(0)


def test_opening_a_dialog_marks_it_read_for_that_operator_only(
    panel_server: PanelServer, new_page: NewPage, screenshot: Shot,
) -> None:
    panel_server.send("+79161112233", "First question", name="Ivan Petrov")
    panel_server.send("+79161112233", "Second question", name="Ivan Petrov")
    panel_server.send("+79035556677", "Good morning", name="Maria")
    admin = sign_in(new_page(), panel_server, ADMIN)
    olga = sign_in(new_page(), panel_server, OLGA)
    for page in (admin, olga):
        expect(row(page, "Ivan Petrov").locator(".badge")).to_have_text("2")
        expect(page).to_have_title("(2) Switchboard")

    row(admin, "Ivan Petrov").click()
    dialog = admin.get_by_role("article")
    expect(dialog.get_by_role("heading", name="Ivan Petrov")).to_be_visible()
    expect(dialog).to_contain_text("+79161112233")
    expect(dialog).to_contain_text("2 messages")
    messages = dialog.locator(".msg")
    expect(messages).to_have_count(2)
    expect(messages.nth(0)).to_contain_text("First question")
    expect(messages.nth(1)).to_contain_text("Second question")
    expect(messages.nth(0).locator("time")).to_have_text(re.compile(r"\d{1,2}:\d\d"))

    expect(row(admin, "Ivan Petrov").locator(".badge")).to_have_count(0)
    expect(admin).to_have_title("(1) Switchboard")
    expect(admin.locator(".badge-nav")).to_have_text("1")
    screenshot(admin, "dialog")

    # Olga has not read it: after a reload (what the server says now) her badge is still 2.
    olga.reload()
    expect(row(olga, "Ivan Petrov").locator(".badge")).to_have_text("2")
    expect(olga).to_have_title("(2) Switchboard")
    # And the admin's read survives a reload too.
    admin.reload()
    expect(row(admin, "Maria").locator(".badge")).to_have_text("1")
    expect(row(admin, "Ivan Petrov").locator(".badge")).to_have_count(0)

    # A message arriving in the open dialog shows there at once and is read as it is seen.
    panel_server.send("+79161112233", "Third question", name="Ivan Petrov")
    expect(admin.get_by_role("article").locator(".msg")).to_have_count(3)
    expect(admin.get_by_role("article")).to_contain_text("3 messages")
    expect(row(olga, "Ivan Petrov").locator(".badge")).to_have_text("3")
    expect(row(admin, "Ivan Petrov").locator(".badge")).to_have_count(0)
    expect(admin).to_have_title("(1) Switchboard")

    # The unread filter shows only what is unread.
    olga.get_by_role("tab", name="Unread").click()
    expect(olga.locator("a.row")).to_have_count(2)
    # By keyboard: Down moves to the next dialog (focus visible), Enter opens it.
    row(olga, "Ivan Petrov").focus()
    olga.keyboard.press("ArrowDown")
    expect(row(olga, "Maria")).to_be_focused()
    expect(row(olga, "Maria")).to_have_css("outline-style", "solid")
    olga.keyboard.press("Enter")
    expect(olga.get_by_role("heading", name="Maria", level=2)).to_be_focused()
    expect(row(olga, "Maria").locator(".badge")).to_have_count(0)
    olga.get_by_role("tab", name="All").click()
    expect(olga.locator("a.row")).to_have_count(2)
    olga.get_by_role("tab", name="Unread").click()
    expect(olga.locator("a.row")).to_have_count(2)  # the open dialog stays while it is open
    olga.goto(panel_server.url + "/")
    olga.get_by_role("tab", name="Unread").click()
    expect(olga.locator("a.row")).to_have_count(1)
    expect(olga.get_by_role("tab", name="Mine")).to_be_enabled()  # routing fills it in


def test_a_wrong_password_shows_the_apis_reason(
    panel_server: PanelServer, new_page: NewPage, screenshot: Shot,
) -> None:
    page = new_page()
    page.goto(panel_server.url)
    page.get_by_label("Login").fill("olga")
    page.get_by_label("Password").fill("not-her-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong login or password.")
    expect(page.get_by_label("Password")).to_have_attribute("aria-invalid", "true")
    screenshot(page, "sign-in-refused")


def test_repeated_failures_show_the_throttle_and_its_seconds(
    panel_server: PanelServer, new_page: NewPage,
) -> None:
    page = new_page()
    page.goto(panel_server.url)
    page.get_by_label("Login").fill("olga")
    for attempt in range(5):
        page.get_by_label("Password").fill(f"wrong-{attempt}")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("alert")).to_have_text("Wrong login or password.")
    page.get_by_label("Password").fill("olga-pass-1")  # even the right one is refused now
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text(
        re.compile(r"Too many failed attempts\. Try again in \d+ seconds?\."))
    expect(page.get_by_role("button", name="Sign in")).to_be_disabled()
    seconds = int(re.findall(r"\d+", page.get_by_role("alert").inner_text())[0])
    assert 290 <= seconds <= 301  # the window is 300 s, counted from the first failure


def test_switching_to_russian_shows_russian_text_and_plural_forms(
    panel_server: PanelServer, new_page: NewPage, screenshot: Shot,
) -> None:
    page = sign_in(new_page(), panel_server, OLGA)
    panel_server.send("+79160000001", "Здравствуйте", name="Анна")
    expect(page.locator(".inbox-count")).to_have_text("1 unread dialog")

    page.get_by_label("Language").select_option("ru")
    expect(page.get_by_role("heading", name="Входящие", level=1)).to_be_visible()
    expect(page.get_by_role("button", name="Выйти")).to_be_visible()
    expect(page.get_by_role("tab", name="Непрочитанные")).to_be_visible()
    expect(page.locator(".inbox-count")).to_have_text("1 непрочитанный диалог")

    panel_server.send("+79160000002", "Добрый день", name="Борис")
    expect(page.locator(".inbox-count")).to_have_text("2 непрочитанных диалога")
    for i in range(3, 6):
        panel_server.send(f"+7916000000{i}", "Вопрос", name=f"Клиент {i}")
    expect(page.locator(".inbox-count")).to_have_text("5 непрочитанных диалогов")
    for _ in range(4):
        panel_server.send("+79160000005", "Ещё вопрос", name="Клиент 5")
    expect(row(page, "Клиент 5").locator(".badge")).to_have_text("5")
    expect(row(page, "Клиент 5").locator(".badge")).to_have_attribute(
        "aria-label", "5 непрочитанных сообщений")
    screenshot(page, "inbox-ru")

    for name, count in (("Анна", "1 сообщение"), ("Клиент 5", "5 сообщений")):
        row(page, name).click()
        expect(page.get_by_role("article")).to_contain_text(count)
        # Read once its messages are on screen (the header alone shows before they load).
        expect(row(page, name).locator(".badge")).to_have_count(0)
    panel_server.send("+79160000002", "И ещё", name="Борис")
    expect(row(page, "Борис")).to_contain_text("И ещё")  # it moved to the top
    row(page, "Борис").click()
    expect(page.get_by_role("article")).to_contain_text("2 сообщения")
    expect(page.locator(".inbox-count")).to_have_text("2 непрочитанных диалога")
    screenshot(page, "dialog-ru")

    page.reload()  # the choice is remembered
    expect(page.get_by_role("heading", name="Входящие", level=1)).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "ru")


def test_a_browser_set_to_russian_starts_in_russian(
    panel_server: PanelServer, new_page: NewPage,
) -> None:
    page = new_page(locale="ru-RU")
    page.goto(panel_server.url)
    expect(page.get_by_role("heading", name="Вход в Switchboard")).to_be_visible()
    page.get_by_label("Логин").fill("olga")
    page.get_by_label("Пароль").fill("wrong-password")
    page.get_by_role("button", name="Войти").click()
    expect(page.get_by_role("alert")).to_have_text("Неверный логин или пароль.")


def test_the_page_reconnects_after_the_server_restarts_and_catches_up(
    panel_server: PanelServer, new_page: NewPage, screenshot: Shot,
) -> None:
    page = sign_in(new_page(), panel_server, ADMIN)
    panel_server.send("+79161112233", "Before the restart", name="Ivan Petrov")
    expect(row(page, "Ivan Petrov").locator(".badge")).to_have_text("1")
    banner = page.get_by_text("Connection lost — reconnecting…")
    expect(banner).to_have_count(0)

    panel_server.stop()
    expect(banner).to_be_visible()
    expect(page.get_by_role("status").filter(has=banner)).to_have_attribute(
        "aria-live", "assertive")
    screenshot(page, "connection-lost")

    panel_server.start()
    # Written while the page was still reconnecting: the catch-up after reconnecting shows it.
    panel_server.send("+79035556677", "While you were away", name="Maria")
    expect(banner).to_have_count(0, timeout=20_000)
    expect(row(page, "Maria")).to_contain_text("While you were away")

    panel_server.send("+79161112233", "After the restart", name="Ivan Petrov")
    expect(row(page, "Ivan Petrov")).to_contain_text("After the restart")
    expect(row(page, "Ivan Petrov").locator(".badge")).to_have_text("2")
    expect(page).to_have_title("(2) Switchboard")


def test_a_revoked_session_brings_sign_in_back_without_losing_the_draft(
    panel_server: PanelServer, new_page: NewPage, screenshot: Shot,
) -> None:
    panel_server.send("+79161112233", "Where is my parcel?", name="Ivan Petrov")
    page = sign_in(new_page(), panel_server, OLGA)
    row(page, "Ivan Petrov").click()
    reply = page.get_by_label("Reply")
    reply.fill("Your parcel left the warehouse this morning")

    # The token stops working (signed out elsewhere): the next call is refused.
    response = httpx.post(f"{panel_server.url}/graphql",
                          json={"query": "mutation { logout { ok } }"},
                          headers={"authorization": f"Bearer {token_of(page)}"}, timeout=10)
    assert response.json()["data"]["logout"]["ok"] is True
    # The next call is refused — unless the server's closing of the live socket (signed out)
    # came first and the sign-in dialog is up already: dispatched, the click never waits.
    page.get_by_role("tab", name="Unread").dispatch_event("click")

    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="Sign in again")).to_be_visible()
    expect(dialog.get_by_label("Login")).to_have_value("olga")
    screenshot(page, "session-expired")
    dialog.get_by_label("Password").fill(OLGA[1])
    dialog.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.get_by_label("Reply")).to_have_value("Your parcel left the warehouse this morning")

    # The new token works for the live inbox too.
    panel_server.send("+79161112233", "Thanks!", name="Ivan Petrov")
    expect(row(page, "Ivan Petrov")).to_contain_text("Thanks!")


def test_the_inbox_shows_fifty_dialogs_first_and_more_on_scrolling(
    panel_server: PanelServer, new_page: NewPage,
) -> None:
    with httpx.Client(base_url=panel_server.url, timeout=15) as http:
        for i in range(120):
            response = http.post("/simulator/phone/send", json={
                "from": f"+7916{i:07d}", "name": f"Client {i:03d}", "text": f"Message {i}"})
            assert response.status_code == 200
    page = sign_in(new_page(), panel_server, ADMIN)
    rows = page.locator("a.row")
    expect(rows).to_have_count(50)
    expect(rows.first).to_contain_text("Client 119")
    expect(page.locator(".inbox-count")).to_have_text("120 unread dialogs")

    rows.last.scroll_into_view_if_needed()
    expect(rows).to_have_count(100)
    page.get_by_role("button", name="Show more dialogs").click()
    expect(rows).to_have_count(120)
    expect(rows.last).to_contain_text("Client 000")
    expect(page.get_by_role("button", name="Show more dialogs")).to_have_count(0)


def test_the_inbox_dialog_and_reply_box_fit_side_by_side_on_a_1280_by_720_laptop(
    panel_server: PanelServer, new_page: NewPage, screenshot: Shot,
) -> None:
    for i in range(12):  # a dialog longer than the screen
        panel_server.send("+79161112233", f"Question {i}: " + "where is my parcel now? " * 6,
                          name="Ivan Petrov")
    for i in range(15):  # and more dialogs than the list shows at once
        panel_server.send(f"+7916200{i:04d}", f"Hello {i}", name=f"Client {i:02d}")
    page = sign_in(new_page(width=1280, height=720), panel_server, ADMIN)
    row(page, "Ivan Petrov").click()
    reply_box = page.locator("#reply")
    expect(reply_box).to_be_visible()
    expect(page.locator("article .msg")).to_have_count(12)
    expect(page.locator("article .msg").last).to_be_in_viewport()
    screenshot(page, "inbox-1280x720")

    boxes = {name: page.locator(selector).bounding_box() for name, selector in (
        ("list", "section.inbox"), ("dialog", "article.dialog"), ("reply", "#reply"),
        ("messages", ".dialog-scroll"), ("last message", "article .msg >> nth=-1"))}
    for name, box in boxes.items():  # each whole on the screen: nothing to scroll the page for
        assert box is not None and box["width"] > 0 and box["height"] > 0, name
        assert box["x"] >= 0 and box["x"] + box["width"] <= 1280.5, (name, box)
        assert box["y"] >= 0 and box["y"] + box["height"] <= 720.5, (name, box)
    inbox, dialog, reply_at = boxes["list"], boxes["dialog"], boxes["reply"]
    assert inbox and dialog and reply_at and boxes["messages"] and boxes["last message"]
    assert inbox["x"] + inbox["width"] <= dialog["x"] + 0.5  # side by side
    assert reply_at["x"] >= inbox["x"] + inbox["width"]  # the reply box is in the dialog's half
    assert reply_at["width"] >= 300  # room to write
    last = boxes["last message"]
    assert last["y"] + last["height"] <= reply_at["y"] + 0.5  # not under the reply box
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 1280  # no sideways scroll
    expect(row(page, "Ivan Petrov")).to_be_in_viewport()  # the open dialog's row, in the list
    reply_box.fill("It is on its way.")  # and it takes what is typed
    expect(reply_box).to_have_value("It is on its way.")


def test_each_row_shows_its_messenger_and_the_inbox_narrows_to_one(
    panel_server: PanelServer, new_page: NewPage, screenshot: Shot,
) -> None:
    panel_server.send("+79161112233", "Hello from WhatsApp", name="Ivan Petrov")
    # Telegram has no phone page: its clients write through the writer, the server stopped.
    panel_server.stop()
    url = panel_server.env["SWITCHBOARD_DATABASE_URL"]
    with running_container(make_settings(url, run_routing_jobs=False, run_sync_job=False),
                           projections=False) as container:
        for user, name in (("42", "Ann Smith"), ("43", "")):
            container.writer.execute_sync(c.ReceiveClientMessage(
                channel="telegram", external_id=f"{user}:1", phone=f"tg:{user}", name=name,
                text=f"Hello from Telegram {user}", sent_at=datetime.now(UTC)))
    panel_server.start()

    page = sign_in(new_page(), panel_server, ADMIN)
    rows = page.locator("a.row")
    expect(rows).to_have_count(3)
    expect(row(page, "Ivan Petrov").locator(".channel-badge")).to_have_text("Messenger: WhatsApp")
    expect(row(page, "Ann Smith").locator(".channel-badge")).to_have_text("Messenger: Telegram")
    expect(row(page, "Ann Smith").locator(".channel-badge")).to_have_attribute(
        "data-channel", "TELEGRAM")
    expect(row(page, "Ann Smith")).to_contain_text("Telegram ID 42")  # not "tg:42"
    expect(row(page, "Hello from Telegram 43").locator(".row-name")).to_have_text(
        "Telegram ID 43")
    assert "tg:" not in page.locator(".dialog-list").inner_text()
    screenshot(page, "inbox-messengers")

    page.get_by_label("Messenger").select_option("TELEGRAM")
    expect(rows).to_have_count(2)
    expect(row(page, "Ivan Petrov")).to_have_count(0)
    # A WhatsApp client writing now is counted, but not listed while Telegram is chosen.
    panel_server.send("+79035556677", "Hello again from WhatsApp", name="Maria")
    expect(page.locator(".inbox-count")).to_have_text("4 unread dialogs")
    expect(row(page, "Maria")).to_have_count(0)
    expect(rows).to_have_count(2)

    row(page, "Ann Smith").click()
    head = page.locator(".dialog-head")
    expect(head.get_by_role("heading", name="Ann Smith")).to_be_visible()
    expect(head.locator(".channel-badge")).to_have_text("Messenger: Telegram")
    expect(head).to_contain_text("Telegram ID 42")
    expect(head.locator('a[href^="tel:"]')).to_have_count(0)
    screenshot(page, "dialog-telegram")

    page.get_by_label("Messenger").select_option("WHATSAPP")
    expect(row(page, "Maria")).to_be_visible()
    expect(row(page, "Ivan Petrov")).to_be_visible()
    expect(row(page, "Hello from Telegram 43")).to_have_count(0)
    page.get_by_label("Messenger").select_option("ALL")
    expect(rows).to_have_count(4)
