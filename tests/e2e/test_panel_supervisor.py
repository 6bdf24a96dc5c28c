"""The supervisor's view in a real browser: a supervisor (created with `admin create --role
supervisor`, outside the queue) opens "All dialogs", sees every dialog with who holds it, opens
one nobody was sent to them, reassigns it to a colleague from the dialog's header, and narrows
the list by operator and state; the same view in Russian. An operator has no such view."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import OLGA, PanelServer
from tests.e2e.test_panel import sign_in

pytestmark = pytest.mark.browser

Shot = Callable[[Page, str], Any]
NewPage = Callable[..., Page]
SUE = ("sue", "sue-pass-1")
PETR = ("petr", "petr-pass-1")


@pytest.fixture
def supervised_server(tmp_path: Path) -> Iterator[PanelServer]:
    """The admin, Olga and Petr in the queue, and Sue, a supervisor outside it."""
    server = PanelServer(tmp_path)
    for (login, password), name, role, queue in (
        (OLGA, "Olga", "operator", "--queue"), (PETR, "Petr", "operator", "--queue"),
        (SUE, "Sue", "supervisor", "--no-queue"),
    ):
        server.cli("admin", "create", "--login", login, "--password", password,
                   "--name", name, "--role", role, queue)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def all_row(page: Page, text: str) -> Any:
    return page.locator("a[data-all-dialog-id]", has_text=text)


def test_a_supervisor_sees_every_dialog_with_its_holder_and_reassigns_one(
    supervised_server: PanelServer, new_page: NewPage, screenshot: Shot,
) -> None:
    supervised_server.send("+79161230001", "My parcel is late", "Ivan")
    supervised_server.send("+79161230002", "Where is my invoice?", "Anna")

    sue = sign_in(new_page(), supervised_server, SUE)
    expect(sue.locator("a.row")).to_have_count(0)  # nothing is sent to a supervisor
    sue.get_by_role("link", name="All dialogs", exact=True).click()
    expect(sue.get_by_role("heading", name="All dialogs", level=1)).to_be_visible()
    parcel = all_row(sue, "My parcel is late")
    expect(parcel.locator("[data-all-holder]")).to_have_text("Nobody holds it")
    expect(all_row(sue, "Where is my invoice?")).to_be_visible()

    parcel.click()
    header = sue.locator(".dialog-head")
    expect(sue.locator(".dialog-scroll")).to_contain_text("My parcel is late")
    header.get_by_role("button", name="Transfer").click()
    sue.locator("#transfer-to").select_option(label="Petr · Offline")
    sue.locator("form.transfer").get_by_role("button", name="Transfer").click()
    expect(header.locator(".desk-status")).to_contain_text("Petr")
    expect(parcel.locator("[data-all-holder]")).to_have_text("Held by Petr")
    screenshot(sue, "all-dialogs-reassigned")

    sue.locator("#all-operator").select_option(label="Petr")
    expect(parcel).to_be_visible()
    expect(all_row(sue, "Where is my invoice?")).to_have_count(0)
    sue.locator("#all-operator").select_option(label="Anyone")
    sue.locator("#all-state").select_option(label="Waiting")
    expect(all_row(sue, "Where is my invoice?")).to_be_visible()
    expect(parcel).to_have_count(0)
    sue.locator("#all-state").select_option(label="Resolved")
    expect(sue.locator("[data-all-empty]")).to_have_text("No dialogs match these filters.")

    sue.get_by_label("Language").select_option("ru")
    expect(sue.get_by_role("heading", name="Все диалоги", level=1)).to_be_visible()
    sue.locator("#all-state").select_option(label="В работе")
    expect(all_row(sue, "My parcel is late").locator("[data-all-holder]")).to_have_text(
        "Ведёт: Petr")
    screenshot(sue, "all-dialogs-ru")


def test_an_operator_has_no_view_of_all_dialogs(
    supervised_server: PanelServer, new_page: NewPage,
) -> None:
    olga = sign_in(new_page(), supervised_server, OLGA)
    expect(olga.get_by_role("link", name="All dialogs", exact=True)).to_have_count(0)
    olga.goto(supervised_server.url + "/all-dialogs")
    expect(olga.get_by_role("alert")).to_have_text(
        "Only admins, supervisors and auditors see all dialogs.")
