"""Routing in a real browser: an admin writes a keyword rule with a live preview and a message
matching it reaches only its target; to everybody, one operator claims a dialog and the other
sees it taken at once; assignment notifies; the what-if report."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ADMIN, OLGA, PanelServer
from tests.e2e.test_panel import row, sign_in

pytestmark = pytest.mark.browser

Shot = Callable[[Page, str], Any]
NewPage = Callable[..., Page]
PETR = ("petr", "petr-pass-1")


@pytest.fixture
def team_server(tmp_path: Path) -> Iterator[PanelServer]:
    """A fresh server with the admin, Olga and Petr, all in the access group and the queue
    (created before `serve`, as the panel's own fixture does)."""
    server = PanelServer(tmp_path)
    for login, password, name in ((*OLGA, "Olga"), (*PETR, "Petr")):
        server.cli("admin", "create", "--login", login, "--password", password,
                   "--name", name, "--role", "operator")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_a_message_matching_a_rule_reaches_only_its_target(
    team_server: PanelServer, new_page: NewPage, screenshot: Shot,
) -> None:
    admin = sign_in(new_page(), team_server, ADMIN)
    admin.get_by_role("link", name="Admin").click()
    admin.get_by_role("navigation", name="Admin sections").get_by_role(
        "link", name="Queue & routing").click()
    team = admin.locator(".routing-team")
    for login in ("admin", "olga", "petr"):
        expect(team.locator(f"[data-operator={login}]")).to_be_visible()

    admin.get_by_role("button", name="Add a rule").click()
    form = admin.get_by_role("form", name="New rule")
    form.get_by_label("Name").fill("Billing")
    form.get_by_label("Keywords or phrases").fill("оплата\nсчёт")
    form.get_by_label("Petr").check()
    form.get_by_role("button", name="Save").click()
    rule = admin.locator("[data-rule=Billing]")
    expect(rule).to_contain_text("→ Petr")
    expect(rule).to_contain_text("оплата")

    preview = admin.get_by_label("Write what a client might send")
    preview.fill("Не могу ОПЛАТИТЬ счета!")
    result = admin.locator("[data-preview]")
    expect(result).to_contain_text("Matches the rule “Billing”.")
    expect(result.locator("[data-preview-recipients]")).to_have_attribute(
        "data-preview-recipients", "Petr")
    preview.fill("Здравствуйте")
    expect(result).to_contain_text("No rule matches: the whole queue gets it.")
    preview.fill("Как оплатить счёт?")
    expect(result).to_contain_text("Billing")
    screenshot(admin, "routing-rules")

    petr = sign_in(new_page(), team_server, PETR)
    olga = sign_in(new_page(), team_server, OLGA)
    team_server.send("+79161112233", "Хочу оплатить заказ", name="Ivan Petrov")
    team_server.send("+79035556677", "Good morning", name="Maria")
    expect(row(petr, "Ivan Petrov")).to_contain_text("Хочу оплатить заказ")
    expect(row(petr, "Maria")).to_be_visible()
    expect(row(olga, "Maria")).to_be_visible()  # by the time Maria's arrives, Ivan's has too
    expect(row(olga, "Ivan Petrov")).to_have_count(0)
    admin.locator("a.nav-link[href='/']").click()
    expect(row(admin, "Maria")).to_be_visible()
    expect(row(admin, "Ivan Petrov")).to_have_count(0)

    # What if Billing went to Olga instead? Replay the period: nothing changes live.
    admin.get_by_role("link", name="Admin").click()
    admin.get_by_role("navigation", name="Admin sections").get_by_role(
        "link", name="Queue & routing").click()
    admin.locator("[data-rule=Billing]").get_by_role("button", name="Edit").click()
    form = admin.get_by_role("form", name="Edit the rule")
    form.get_by_label("Petr").uncheck()
    form.get_by_label("Olga").check()
    admin.get_by_role("button", name="Replay").click()
    report = admin.locator(".whatif-report")
    expect(report).to_have_attribute("data-whatif-messages", "2")
    expect(report).to_have_attribute("data-whatif-changed", "1")
    expect(report).to_contain_text("2 messages replayed.")
    report.scroll_into_view_if_needed()
    screenshot(admin, "routing-what-if")
    form.get_by_role("button", name="Cancel").click()
    expect(admin.locator("[data-rule=Billing]")).to_contain_text("→ Petr")


def test_to_everybody_one_operator_claims_and_the_other_sees_it_taken_at_once(
    team_server: PanelServer, new_page: NewPage, screenshot: Shot,
) -> None:
    olga = sign_in(new_page(), team_server, OLGA)
    petr = sign_in(new_page(), team_server, PETR)
    team_server.send("+79161112233", "Where is my order?", name="Ivan Petrov")
    for page in (olga, petr):
        expect(row(page, "Ivan Petrov")).to_be_visible()
    petr.get_by_role("tab", name="Unassigned").click()
    expect(row(petr, "Ivan Petrov")).to_be_visible()

    row(olga, "Ivan Petrov").click()
    dialog = olga.get_by_role("article")
    expect(dialog).to_contain_text("Nobody has taken this dialog yet.")
    dialog.get_by_role("button", name="Claim").click()
    expect(dialog).to_contain_text("You are on this dialog.")
    expect(row(olga, "Ivan Petrov").locator("[data-holder]")).to_have_text("Mine")

    # At once, without a reload: gone from Petr's unassigned list, held by Olga in "All".
    expect(row(petr, "Ivan Petrov")).to_have_count(0)
    petr.get_by_role("tab", name="All").click()
    expect(row(petr, "Ivan Petrov").locator("[data-holder]")).to_have_text("Olga")
    row(petr, "Ivan Petrov").click()
    taken = petr.get_by_role("article")
    expect(taken).to_contain_text("Olga has taken this dialog.")
    expect(taken.get_by_role("button", name="Claim")).to_have_count(0)
    screenshot(petr, "routing-taken")

    # Olga hands it to Petr, who is notified; then resolves it after all.
    dialog.get_by_role("button", name="Transfer").click()
    olga.get_by_label("Transfer to").select_option(label="Petr · Online")
    olga.get_by_label("Note for them (optional)").fill("VIP client")
    olga.locator("form.transfer").get_by_role("button", name="Transfer").click()
    expect(dialog).to_contain_text("Petr has taken this dialog.")
    expect(petr.locator("[data-notices]")).to_have_text("1")
    petr.get_by_role("button", name="Notifications, 1 unread").click()
    notice = petr.locator(".notice[data-kind=TRANSFERRED]")
    expect(notice).to_contain_text("Transferred to you: Ivan Petrov")
    expect(notice).to_contain_text("VIP client")
    screenshot(petr, "routing-notifications")
    petr.get_by_role("button", name="Mark all read").click()
    expect(petr.locator("[data-notices]")).to_have_count(0)
    petr.keyboard.press("Escape")
    expect(taken).to_contain_text("You are on this dialog.")
    taken.get_by_role("button", name="Resolve").click()
    expect(taken).to_contain_text("Resolved.")
    petr.get_by_role("tab", name="Resolved").click()
    expect(row(petr, "Ivan Petrov").locator("[data-status]")).to_have_text("Resolved")


def test_evenly_an_operator_coming_back_online_gets_the_waiting_dialog_and_is_notified(
    team_server: PanelServer, new_page: NewPage, screenshot: Shot,
) -> None:
    admin = sign_in(new_page(), team_server, ADMIN)
    admin.goto(team_server.url + "/admin/queue")
    admin.get_by_role("radio", name="Evenly").check()
    admin.get_by_role("button", name="Save").last.click()
    expect(admin.get_by_role("status").filter(has_text="Saved.")).to_be_visible()
    for login in ("admin", "petr"):  # only Olga takes dialogs
        admin.locator(f"[data-operator={login}]").get_by_label("in the queue").uncheck()
        expect(admin.locator(f"[data-operator={login}]").get_by_label("in the queue")) \
            .not_to_be_checked()
    screenshot(admin, "routing-team")

    olga = sign_in(new_page(), team_server, OLGA)
    olga.get_by_label("Your presence").select_option("AWAY")
    expect(olga.locator("[data-presence]")).to_have_attribute("data-presence", "AWAY")
    team_server.send("+79161112233", "Hello?", name="Ivan Petrov")
    olga.get_by_role("tab", name="Unassigned").click()
    expect(row(olga, "Ivan Petrov")).to_be_visible()  # waiting: nobody available
    olga.get_by_label("Your presence").select_option("ONLINE")
    expect(olga.locator("[data-notices]")).to_have_text("1")
    olga.get_by_role("tab", name="Mine").click()
    expect(row(olga, "Ivan Petrov").locator("[data-holder]")).to_have_text("Mine")
    olga.get_by_role("button", name="Notifications, 1 unread").click()
    expect(olga.locator(".notice[data-kind=ASSIGNED]")).to_contain_text(
        "Assigned to you: Ivan Petrov")
