"""What a walk through the panel found stale or wrong, each shown right in Debian's chromium:
the inbox follows the access group live, names who wrote the last reply and shows no unread
badge for a colleague's dialog; the wizard counts wrong codes, calls a linked messenger done,
and "Configure" saves and checks at once; switches' hints describe the state they are in; the
sync card follows a saved schedule; the queue shows an online admin online; every panel route
loads on a direct link; the phone page keeps both sides of its conversation over a reload and
shows a picture sent to it; the analytics card promises what its page shows; the audit has no
"— → —" entries.

One server for the module: each test uses its own clients, and the test that changes the access
group does it to an operator of its own (Petr)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ADMIN, OLGA, ROOT, PanelServer
from tests.e2e.test_panel import row, sign_in
from tests.e2e.test_panel_colleagues import png

pytestmark = pytest.mark.browser

NewPage = Callable[..., Page]
PETR = ("petr", "petr-pass-1")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PanelServer]:
    """The admin, Olga and Petr, all in the access group and the queue (created before
    `serve`, as the panel's own fixture does)."""
    panel = PanelServer(tmp_path_factory.mktemp("walk"))
    for login, password, name in ((*OLGA, "Olga"), (*PETR, "Petr")):
        panel.cli("admin", "create", "--login", login, "--password", password,
                  "--name", name, "--role", "operator")
    panel.start()
    try:
        yield panel
    finally:
        panel.stop()


def gql(server: PanelServer, who: tuple[str, str], query: str,
        variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """One GraphQL call as `who` (signed in for it)."""
    login = httpx.post(f"{server.url}/graphql", timeout=15, json={
        "query": "mutation($l: String!, $p: String!) { login(login: $l, password: $p) "
                 "{ ... on LoginSuccess { token operator { id } } } }",
        "variables": {"l": who[0], "p": who[1]}}).json()["data"]["login"]
    answer = httpx.post(f"{server.url}/graphql", timeout=30,
                        headers={"authorization": f"Bearer {login['token']}"},
                        json={"query": query, "variables": variables or {}}).json()
    assert "errors" not in answer, answer
    data: dict[str, Any] = answer["data"]
    return data


def operator_id(server: PanelServer, who: tuple[str, str]) -> str:
    return str(gql(server, who, "{ me { id } }")["me"]["id"])


def open_admin(page: Page, section: str) -> Page:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin").click()
    page.get_by_role("navigation", name="Admin sections").get_by_role(
        "link", name=section, exact=True).click()
    return page


# -- the inbox ----------------------------------------------------------------------------------
def test_an_operator_taken_out_of_the_access_group_sees_the_inbox_empty_live(
    server: PanelServer, new_page: NewPage,
) -> None:
    petr = sign_in(new_page(), server, PETR)
    server.send("+79160000101", "Where is my order?", name="Boris")
    expect(row(petr, "Boris")).to_be_visible()

    petr_id = operator_id(server, PETR)
    removed = gql(server, ADMIN, "mutation($id: ID!) { removeAccessGroupMember(operatorId: $id) "
                                 "{ __typename } }", {"id": petr_id})
    assert removed["removeAccessGroupMember"]["__typename"] == "AccessGroup"
    # No reload: the list empties and the page says why.
    expect(row(petr, "Boris")).to_have_count(0)
    expect(petr.locator("a.row")).to_have_count(0)

    gql(server, ADMIN, "mutation($id: ID!) { addAccessGroupMember(operatorId: $id) "
                       "{ __typename } }", {"id": petr_id})
    expect(row(petr, "Boris")).to_be_visible()


def test_the_inbox_names_the_colleague_who_replied_and_shows_no_badge_for_their_dialog(
    server: PanelServer, new_page: NewPage,
) -> None:
    admin = sign_in(new_page(), server, ADMIN)
    olga = sign_in(new_page(), server, OLGA)
    server.send("+79160000102", "Do you deliver on Sundays?", name="Vera")
    expect(row(admin, "Vera").locator("[data-unread]")).to_have_text("1")
    count = admin.locator("[data-unread-dialogs]")
    unread_before = int(count.get_attribute("data-unread-dialogs") or "0")
    assert unread_before >= 1

    row(olga, "Vera").click()
    olga.get_by_label("Reply").fill("Yes, from 10 to 16.")
    olga.get_by_label("Reply").press("Enter")
    expect(olga.locator(".dialog-scroll .msg")).to_have_count(2)
    expect(row(olga, "Vera")).to_contain_text("You: Yes, from 10 to 16.")

    vera = row(admin, "Vera")
    expect(vera).to_contain_text("Olga: Yes, from 10 to 16.")
    expect(vera).not_to_contain_text("You:")
    expect(vera).to_contain_text("Olga")  # the holder's chip
    expect(vera.locator("[data-unread]")).to_have_count(0)
    expect(count).to_have_attribute("data-unread-dialogs", str(unread_before - 1))


# -- setup --------------------------------------------------------------------------------------
def open_step(page: Page, step: str) -> Any:
    open_admin(page, "Setup")
    page.locator(f"[data-step={step}]").click()
    return page.locator(f"[data-open-step={step}]")


def test_a_wrong_registration_code_counts_down_the_attempts_left(
    server: PanelServer, new_page: NewPage,
) -> None:
    admin = sign_in(new_page(), server, ADMIN)
    step = open_step(admin, "REGISTRATION")
    step.get_by_label("E-mail").fill("it@example.com")
    step.get_by_role("button", name=re.compile("Register|Send a new code")).click()
    hint = step.locator("#setup-code-hint")
    expect(hint).to_have_text("5 attempts left.")

    step.locator("#setup-code").fill("000000")
    step.get_by_role("button", name="Confirm").click()
    expect(step.locator("[data-field=code]")).to_be_visible()
    expect(hint).to_have_text("4 attempts left.")


def test_the_messengers_step_with_whatsapp_working_goes_on_and_ends_done(
    server: PanelServer, new_page: NewPage,
) -> None:
    admin = sign_in(new_page(), server, ADMIN)
    step = open_step(admin, "MESSENGERS")
    expect(step.locator("[data-whatsapp]")).to_have_attribute("data-whatsapp", "WORKING")
    expect(step.get_by_role("button", name="Go on without it")).to_have_count(0)
    step.get_by_role("button", name="Next").click()
    expect(admin.locator("[data-step=MESSENGERS]")).to_have_attribute("data-state", "DONE")


def test_configure_saves_the_code_and_checks_and_the_step_says_what_the_code_is(
    server: PanelServer, new_page: NewPage,
) -> None:
    import sys

    sys.path.insert(0, str(ROOT))
    from tests.setup_helpers import autoconfig_code

    admin = sign_in(new_page(), server, ADMIN)
    step = open_step(admin, "PBX")
    step.get_by_role("button", name="Next").click()  # MikoPBX, set up automatically
    expect(admin.locator("[data-step=PBX]")).to_have_attribute("data-state", "DONE")
    admin.locator("[data-step=CONNECTION]").click()
    step = admin.locator("[data-open-step=CONNECTION]")
    expect(step.locator("[data-code-looks]")).to_contain_text("one long line of Latin letters")
    expect(step.locator("#setup-code-hint")).to_contain_text("Modules")

    configure = step.locator("[data-configure]")
    expect(configure).to_be_disabled()
    step.locator("#setup-code").fill(autoconfig_code(["127.0.0.1:9"]))
    expect(configure).to_be_enabled()
    configure.click()
    # Saved (the addresses show) and checked (the check ran to its end).
    expect(step.locator("[data-addresses]")).to_contain_text("127.0.0.1")
    expect(admin.locator("[data-check]")).to_have_attribute(
        "data-check", re.compile("SUCCEEDED|FAILED"), timeout=60_000)
    expect(admin.locator("[data-check] [data-address]")).to_have_count(1)


# -- switches, sync, queue ----------------------------------------------------------------------
def test_hints_under_switches_describe_the_state_they_are_in(
    server: PanelServer, new_page: NewPage,
) -> None:
    admin = sign_in(new_page(), server, ADMIN)
    open_admin(admin, "WhatsApp")
    in_service = admin.get_by_role("switch", name="WhatsApp in service")
    expect(in_service).to_be_checked()
    expect(admin.locator("#wa-in-service-hint")).to_have_text(
        "On: clients' messages reach the operators at once.")
    write_first = admin.get_by_role("switch", name="Employees may write first")
    hint = admin.locator("#wa-write-first-hint")
    expect(hint).to_have_text(re.compile("^(On|While off)"))
    on = write_first.is_checked()
    expect(hint).to_have_text(re.compile("^On:" if on else "^While off"))

    open_admin(admin, "Sync")
    enabled = admin.locator("[data-sync-enabled]")
    sync_hint = admin.locator(".sync-form [data-switch-hint]")
    expect(sync_hint).to_have_text(re.compile("^On:" if enabled.is_checked() else "^Off:"))
    enabled.click()
    expect(sync_hint).to_have_text(re.compile("^Off:" if not enabled.is_checked() else "^On:"))


def test_the_sync_card_shows_a_saved_schedule_at_once(
    server: PanelServer, new_page: NewPage,
) -> None:
    admin = sign_in(new_page(), server, ADMIN)
    open_admin(admin, "Sync")
    card = admin.locator("[data-sync-state]")
    expect(card).to_be_visible()
    switch = admin.locator("[data-sync-enabled]")
    if not switch.is_checked():
        switch.click()
    admin.get_by_label("By a cron expression").check()
    admin.locator("#sync-cron").fill("*/7 * * * *")
    admin.get_by_role("button", name="Save schedule").click()
    expect(card).to_contain_text("cron */7 * * * *")
    admin.get_by_label("Every N seconds").check()
    admin.get_by_label("Seconds between runs").fill("1")  # as it was: others' replies leave
    admin.get_by_role("button", name="Save schedule").click()
    expect(card).to_contain_text("every 1 second")
    expect(card).not_to_contain_text("*/7")


def test_the_queue_shows_an_admin_who_is_online_as_online(
    server: PanelServer, new_page: NewPage,
) -> None:
    admin = sign_in(new_page(), server, ADMIN)
    # A direct link (or a reload): the page's socket connects as the queue is read.
    admin.goto(server.url + "/admin/queue")
    me = admin.locator("tr[data-operator=admin]")
    expect(me).to_be_visible()
    expect(me).to_contain_text("Online")
    admin.reload()
    expect(me).to_contain_text("Online")


# -- routes, phone, analytics, audit --------------------------------------------------------------
def router_paths() -> list[str]:
    """A path for every page the browser's router knows (static/lib/router.mjs)."""
    source = (ROOT / "api/panel/static/lib/router.mjs").read_text()
    paths = set(re.findall(r'path === "(/[^"]*)"', source))
    for prefix, rest in re.findall(r"path\.match\(/\^\\/([a-z-]+)(\(\?:)?", source):
        paths.add(f"/{prefix}/x")
        if rest:  # what follows the prefix is optional
            paths.add(f"/{prefix}")
    return sorted(paths)


def test_every_panel_route_loads_on_a_direct_link(
    server: PanelServer, new_page: NewPage,
) -> None:
    paths = router_paths()
    assert {"/colleagues", "/colleagues/x", "/admin", "/quick-replies"} <= set(paths)
    for path in paths:
        answer = httpx.get(server.url + path, timeout=10, follow_redirects=True)
        assert (path, answer.status_code) == (path, 200)
        assert answer.headers["content-type"].startswith("text/html"), path

    page = sign_in(new_page(), server, ADMIN)
    page.goto(server.url + "/colleagues")
    expect(page.locator("[data-chat-id], .colleagues, h1")).not_to_have_count(0)
    expect(page.get_by_text("Page not found")).to_have_count(0)
    page.reload()
    expect(page).to_have_url(server.url + "/colleagues")
    expect(page.get_by_text('"detail"')).to_have_count(0)


def test_the_phone_keeps_both_sides_after_a_reload_and_shows_a_picture_sent_to_it(
    server: PanelServer, new_page: NewPage, tmp_path: Path,
) -> None:
    admin = sign_in(new_page(), server, ADMIN)
    phone = new_page()
    phone.goto(server.url + "/phone")
    phone.get_by_label("Your phone number").fill("+79160000103")
    phone.get_by_label("Your name").fill("Gleb")
    phone.get_by_label("Message").fill("Can you send the price list?")
    phone.get_by_label("Message").press("Enter")
    thread = phone.locator("[data-thread]")
    expect(thread.locator("[data-sent]")).to_have_count(1)

    row(admin, "Gleb").click()
    picture = tmp_path / "prices.png"
    picture.write_bytes(png())
    admin.locator("[data-attach-file]").set_input_files(str(picture))
    admin.get_by_label("Caption (optional)").fill("Here it is")
    admin.get_by_role("button", name="Send the file").click()

    company = thread.locator("[data-company]")
    expect(company).to_have_count(1, timeout=30_000)
    expect(company.locator("img")).to_be_visible()
    expect(company).to_contain_text("Here it is")

    phone.reload()
    expect(thread.locator("[data-sent]")).to_have_count(1)
    expect(thread.locator("[data-company]")).to_have_count(1)
    expect(thread.locator("[data-company] img")).to_be_visible()


def test_the_analytics_card_promises_only_what_its_page_shows(
    server: PanelServer, new_page: NewPage,
) -> None:
    admin = sign_in(new_page(), server, ADMIN)
    admin.get_by_role("navigation", name="Main").get_by_role("link", name="Admin").click()
    card = admin.locator(".admin-cards li", has_text="Analytics")
    expect(card).to_contain_text("switchboard analytics export")
    promised = card.inner_text()
    open_admin(admin, "Analytics")
    expect(admin.get_by_role("heading", name=re.compile("Analytics"))).to_be_visible()
    shown = admin.locator(".admin-body").inner_text().lower()
    # What the page does not draw, the card sends to the analysts' tables.
    for promise in ("routing hits",):
        assert promise not in shown
        assert re.search(rf"\({promise} too\) for analysts", promised), promised


def test_the_audit_has_no_entries_that_change_nothing(
    server: PanelServer, new_page: NewPage,
) -> None:
    added = gql(server, ADMIN, """mutation($olga: ID!) { addRoutingRule(rule: {
        name: "Returns", keywords: ["return"], match: ANY, targetIds: [$olga]}) { __typename
        ... on UserError { code message } } }""", {"olga": operator_id(server, OLGA)})
    assert added["addRoutingRule"]["__typename"] != "UserError", added
    admin = sign_in(new_page(), server, ADMIN)
    open_admin(admin, "Audit")
    expect(admin.locator(".admin-body")).to_contain_text("Returns")
    expect(admin.locator(".admin-body")).not_to_contain_text(re.compile(r"—\s*→\s*—"))
