"""WhatsApp in a real browser: an admin links through the simulator (the QR code with its
countdown, the phone page scans it), sees WORKING, the phone page drops the connection and every
operator sees the banner until it is restored; the messenger switches; the pairing code."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ADMIN, OLGA, PanelServer
from tests.e2e.test_panel import sign_in

pytestmark = pytest.mark.browser

Shot = Callable[[Page, str], Any]
NewPage = Callable[..., Page]


def open_whatsapp(page: Page) -> None:
    page.get_by_role("link", name="Admin", exact=True).click()
    page.locator(".admin-nav").get_by_role("link", name="WhatsApp", exact=True).click()
    expect(page.get_by_role("heading", name="WhatsApp", level=2)).to_be_visible()


def test_an_admin_links_through_the_simulator_then_a_dropped_connection_shows_the_banner(
    panel_server: PanelServer, new_page: NewPage, screenshot: Shot,
) -> None:
    admin = sign_in(new_page(), panel_server, ADMIN)
    olga = sign_in(new_page(), panel_server, OLGA)
    open_whatsapp(admin)
    status = admin.locator(".wa-status .status-pill")
    expect(status).to_have_text("Working")  # a development start is linked already
    expect(admin.locator("[data-banner=whatsapp]")).to_have_count(0)

    admin.once("dialog", lambda dialog: dialog.accept())
    admin.get_by_role("button", name="Unlink").click()
    expect(status).to_have_text("Not linked")
    expect(olga.locator("[data-banner=whatsapp]")).to_contain_text("WhatsApp is down")

    admin.get_by_role("button", name="Link WhatsApp").click()
    expect(status).to_have_text("Waiting for a scan")
    qr = admin.locator(".qr-image svg")
    expect(qr).to_be_visible()
    countdown = admin.locator(".qr-countdown")
    expect(countdown).to_have_text(re.compile(r"Expires in (5\d|60) seconds"))
    expect(admin.get_by_text("Code 1 of 6; after the last one")).to_be_visible()
    screenshot(admin, "whatsapp-qr")

    phone = new_page()
    phone.goto(panel_server.url + "/phone")
    expect(phone.get_by_text("Switchboard shows a QR code: scan it.")).to_be_visible()
    phone.get_by_role("button", name="Scan the QR code").click()
    expect(phone.get_by_text("Linked to Switchboard as +15555550100.")).to_be_visible()

    expect(status).to_have_text("Working")
    expect(admin.locator(".wa-status")).to_contain_text(
        "Linked as +15555550100 on Switchboard simulator")
    expect(admin.locator(".qr-image")).to_have_count(0)
    expect(olga.locator("[data-banner=whatsapp]")).to_have_count(0)
    history = admin.locator("[data-history]")
    expect(history).to_contain_text("Linked as +15555550100")
    screenshot(admin, "whatsapp-working")

    phone.get_by_role("button", name="Drop the connection").click()
    expect(phone.get_by_text("Offline: the phone lost its connection.")).to_be_visible()
    for page in (admin, olga):
        banner = page.locator("[data-banner=whatsapp]")
        expect(banner).to_contain_text("WhatsApp lost its connection — reconnecting")
    expect(status).to_have_text("Reconnecting")
    screenshot(olga, "whatsapp-banner")

    phone.get_by_label("Your phone number").fill("+79161230001")
    phone.get_by_label("Message", exact=True).fill("Are you there?")
    phone.get_by_role("button", name="Send", exact=True).click()
    expect(phone.locator("[data-sent] .tick").last).to_have_attribute(
        "title", "Waiting: the company's phone is offline")
    screenshot(phone, "phone-offline")

    phone.get_by_role("button", name="Restore the connection").click()
    expect(phone.get_by_text("Back online; 1 waiting message delivered.")).to_be_visible()
    expect(olga.locator("[data-banner=whatsapp]")).to_have_count(0)
    expect(status).to_have_text("Working")
    expect(olga.locator("a.row", has_text="Are you there?")).to_be_visible()


def test_the_messenger_switches_keep_messages_while_out_of_service_and_deliver_them_later(
    panel_server: PanelServer, new_page: NewPage, screenshot: Shot,
) -> None:
    admin = sign_in(new_page(), panel_server, ADMIN)
    open_whatsapp(admin)
    in_service = admin.get_by_role("switch", name="WhatsApp in service")
    write_first = admin.get_by_role("switch", name="Employees may write first")
    expect(in_service).to_be_checked()
    expect(write_first).not_to_be_checked()
    in_service.click()
    expect(in_service).not_to_be_checked()
    expect(admin.locator("[data-banner=whatsapp]")).to_contain_text("out of service")

    panel_server.send("+79161230002", "Kept for later", "Anna")
    expect(admin.locator("[data-held]")).to_contain_text("1 message kept while out of service")
    expect(admin.locator(".held-list")).to_contain_text("Kept for later")
    screenshot(admin, "whatsapp-held")

    in_service.click()
    expect(in_service).to_be_checked()
    expect(admin.locator("[data-held]")).to_have_count(0)
    write_first.click()
    expect(write_first).to_be_checked()
    expect(admin.locator("[data-history]")).to_contain_text("employees may write first")
    admin.get_by_role("link", name="Inbox").first.click()
    expect(admin.locator("a.row", has_text="Kept for later")).to_be_visible()


def linking_again(admin: Any) -> Any:
    """The admin's WhatsApp screen, the number unlinked (the confirmation accepted) and linking
    started anew."""
    open_whatsapp(admin)
    admin.once("dialog", lambda dialog: dialog.accept())
    admin.get_by_role("button", name="Unlink").click()
    admin.get_by_role("button", name="Link WhatsApp").click()
    return admin


def test_linking_by_pairing_code_from_the_admin_screen_and_the_phone_page(
    panel_server: PanelServer, new_page: NewPage, screenshot: Shot,
) -> None:
    admin = linking_again(sign_in(new_page(), panel_server, ADMIN))
    admin.get_by_label("The phone's number").fill("+7 916 000-11-22")
    admin.get_by_role("button", name="Get a pairing code").click()
    code = admin.locator("[data-pairing-code]")
    expect(code).to_have_text(re.compile(r"^[A-Z0-9]{4}-[A-Z0-9]{4}$"))
    screenshot(admin, "whatsapp-pairing")

    phone = new_page()
    phone.goto(panel_server.url + "/phone")
    phone.get_by_label("Pairing code").fill("WRNG-CODE")
    phone.get_by_role("button", name="Link with the code").click()
    expect(phone.get_by_text("That is not the code shown to the admin.")).to_be_visible()
    phone.get_by_label("Pairing code").fill(code.inner_text())
    phone.get_by_role("button", name="Link with the code").click()
    expect(admin.locator(".wa-status")).to_contain_text("Linked as +79160001122")


def test_refresh_code_starts_a_new_series_of_qr_codes(
    panel_server: PanelServer, new_page: NewPage,
) -> None:
    admin = linking_again(sign_in(new_page(), panel_server, ADMIN))
    qr = admin.locator(".qr-image svg")
    expect(qr).to_be_visible()
    first = qr.inner_html()
    countdown = admin.locator(".qr-countdown")
    expect(countdown).to_have_text(re.compile(r"Expires in (4\d|5[0-6]) seconds"),
                                   timeout=20_000)  # the first code has been shown a while

    admin.locator(".qr-card").get_by_role("button", name="Refresh code").click()
    expect(admin.locator("[data-history]")).to_contain_text(
        "The code was refreshed: a new series starts.")
    expect(countdown).to_have_text(re.compile(r"Expires in (5[7-9]|60) seconds"))
    expect(admin.get_by_text("Code 1 of 6; after the last one")).to_be_visible()
    expect(admin.locator(".qr-image")).to_have_attribute("data-qr", "1")
    assert qr.inner_html() != first  # a new code, not the old one shown again
    expect(admin.locator(".wa-status .status-pill")).to_have_text("Waiting for a scan")


def test_the_whatsapp_screen_reads_in_russian(
    panel_server: PanelServer, new_page: NewPage, screenshot: Shot,
) -> None:
    page = new_page(locale="ru-RU")
    page.goto(panel_server.url + "/admin/whatsapp")
    page.get_by_label("Логин").fill(ADMIN[0])
    page.get_by_label("Пароль").fill(ADMIN[1])
    page.get_by_role("button", name="Войти").click()
    expect(page.locator(".wa-status .status-pill")).to_have_text("Работает")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Отключить").click()
    page.get_by_role("button", name="Подключить WhatsApp").click()
    expect(page.locator(".qr-countdown")).to_have_text(
        re.compile(r"Истекает через \d+ секунд[уы]?"))
    screenshot(page, "whatsapp-qr-ru")
