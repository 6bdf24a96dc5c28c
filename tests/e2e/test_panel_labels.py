"""Labels in a real browser, in both languages: an admin creates labels in the admin area (a
taken name is refused in words); an operator reading Russian puts one on a dialog with the
picker, sees it in the dialog's header and on the inbox row, and narrows the inbox to it; the
admin's open inbox, in English, shows the label on the row without reloading, and loses it when
the admin deletes the label."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ADMIN, OLGA, PanelServer
from tests.e2e.test_panel import row, sign_in

pytestmark = pytest.mark.browser

Shot = Callable[[Page, str], Any]
NewPage = Callable[..., Page]


def open_labels_section(page: Page) -> None:
    page.get_by_role("link", name="Admin", exact=True).click()
    page.locator(".admin-nav").get_by_role("link", name="Labels", exact=True).click()
    expect(page.get_by_role("heading", name="Labels", level=2)).to_be_visible()


def create_label(page: Page, name: str, colour: str) -> None:
    page.get_by_label("New label").fill(name)
    page.locator("#new-label-color").select_option(label=colour)
    page.get_by_role("button", name="Create label").click()


def test_labels_are_set_in_a_dialog_shown_on_its_row_and_filter_the_inbox(
    panel_server: PanelServer, new_page: NewPage, screenshot: Shot,
) -> None:
    admin = sign_in(new_page(), panel_server, ADMIN)
    open_labels_section(admin)
    create_label(admin, "VIP", "Purple")
    expect(admin.locator("[data-label-row='VIP']")).to_be_visible()
    create_label(admin, "Refund", "Red")
    expect(admin.locator("[data-label-row='Refund']")).to_be_visible()
    create_label(admin, "vip", "Blue")
    expect(admin.locator(".label-new [role=alert]")).to_have_text(
        "There is a label with this name already.")
    expect(admin.locator("[data-label-row]")).to_have_count(2)

    panel_server.send("+79161230001", "My parcel is late", "Ivan")
    panel_server.send("+79161230002", "Thank you!", "Anna")
    admin.locator(".nav").get_by_role("link", name=re.compile(r"^Inbox")).click()
    expect(row(admin, "Thank you!")).to_be_visible()

    olga = sign_in(new_page(), panel_server, OLGA)
    olga.get_by_label("Language").select_option("ru")
    row(olga, "My parcel is late").click()
    header = olga.locator(".dialog-head")
    header.locator("summary", has_text="Метки").click()
    header.get_by_role("checkbox", name="VIP").check()
    expect(header.locator("[data-dialog-labels] .label-chips [data-label='VIP']")).to_be_visible()
    expect(row(olga, "My parcel is late").locator("[data-label='VIP']")).to_be_visible()
    expect(row(olga, "Thank you!").locator("[data-label]")).to_have_count(0)
    screenshot(olga, "labels-dialog")

    olga.get_by_label("Метка").select_option(label="VIP")
    expect(row(olga, "My parcel is late")).to_be_visible()
    expect(row(olga, "Thank you!")).to_have_count(0)
    olga.get_by_label("Метка").select_option(label="Все метки")
    expect(row(olga, "Thank you!")).to_be_visible()

    # The admin's inbox heard it live, in English, and hears the label go.
    expect(row(admin, "My parcel is late").locator("[data-label='VIP']")).to_be_visible()
    open_labels_section(admin)
    admin.once("dialog", lambda dialog: dialog.accept())
    admin.locator("[data-label-row='VIP']").get_by_role("button", name="Delete").click()
    expect(admin.locator("[data-label-row]")).to_have_count(1)
    expect(row(olga, "My parcel is late").locator("[data-label='VIP']")).to_have_count(0)
