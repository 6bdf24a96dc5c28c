"""The analytics page in a real browser, over a generated history: an admin picks the period and
sees its totals, the two charts and the per-operator table with the history's figures; an
auditor sees the page too, an operator does not; a reversed period is explained; in Russian."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import caught_up, make_settings, running_container, wait_for
from tests.e2e.conftest import ADMIN, PanelServer
from tests.history import OPERATOR_PASSWORD, Ledger, Plan, generate

pytestmark = pytest.mark.browser
PLAN = Plan(days=3, dialogs_per_day=40, seed=31)
FIRST = PLAN.start.isoformat()
LAST = (PLAN.start + timedelta(days=PLAN.days - 1)).isoformat()


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PanelServer, Ledger]]:
    """A history generated through the handlers into the server's SQLite database, then the
    server started on it (with no jobs of its own to change it)."""
    directory = tmp_path_factory.mktemp("analytics-panel")
    url = f"sqlite:///{directory}/sb.db"
    with running_container(make_settings(url, run_routing_jobs=False,
                                         run_sync_job=False)) as container:
        ledger = generate(container, PLAN)
        wait_for(lambda: caught_up(container), timeout=120)
    server = PanelServer(directory)
    server.env.update({"SWITCHBOARD_RUN_ROUTING_JOBS": "false",
                       "SWITCHBOARD_RUN_SYNC_JOB": "false", "SWITCHBOARD_ENV": "test"})
    server.start()
    try:
        yield server, ledger
    finally:
        server.stop()


def sign_in(page: Page, server: PanelServer, who: tuple[str, str], path: str,
            words: tuple[str, str, str] = ("Login", "Password", "Sign in")) -> Page:
    page.goto(server.url + path)
    page.get_by_label(words[0]).fill(who[0])
    page.get_by_label(words[1]).fill(who[1])
    page.get_by_role("button", name=words[2], exact=True).click()
    return page


def pick_period(page: Page, first: str, last: str, *, labels: tuple[str, str] = ("From", "To")
                ) -> None:
    page.get_by_label(labels[0], exact=True).fill(first)
    page.get_by_label(labels[1], exact=True).fill(last)


def total(page: Page, name: str) -> Any:
    return page.locator(f'[data-total="{name}"] .analytics-total-value')


def test_an_admin_sees_the_figures_of_the_history(
        history: tuple[PanelServer, Ledger], new_page: Callable[..., Page],
        screenshot: Callable[[Any, str], Path]) -> None:
    server, ledger = history
    page = sign_in(new_page(width=1440, height=1100), server, ADMIN, "/admin/analytics")
    expect(page.get_by_role("heading", name="Analytics", exact=True)).to_be_visible()
    pick_period(page, FIRST, LAST)
    expect(page.locator(f'.analytics-body[data-from="{FIRST}"][data-to="{LAST}"]')
           ).to_be_visible()
    expect(total(page, "messagesIn")).to_have_text(f"{ledger.messages_in:,}")
    expect(total(page, "messagesOut")).to_have_text(f"{ledger.messages_out:,}")
    expect(total(page, "dialogsOpened")).to_have_text(f"{len(ledger.dialogs):,}")
    resolved = sum(1 for d in ledger.dialogs.values() if d.resolved_at is not None)
    expect(page.locator('[data-total="dialogsOpened"]')).to_contain_text(f"{resolved} resolved")
    expect(total(page, "firstResponse")).to_have_text(re.compile(r"^\d+ (s|min)"))

    for chart in ("#chart-volumes", "#chart-response"):
        expect(page.locator(f"{chart} canvas")).to_be_visible()
    legend = page.locator("#chart-volumes .u-legend")
    expect(legend).to_contain_text("Messages from clients")
    expect(legend).to_contain_text("Dialogs opened")
    expect(page.locator("#chart-response .u-legend")).to_contain_text("90th percentile")

    for login, oid in ledger.operators.items():
        sent = sum(1 for m in ledger.messages.values() if m.operator_id == oid)
        row = page.locator(f'tr[data-operator="{login}"]')
        expect(row.locator("th")).to_have_text(f"Operator {login[2:]}")
        expect(row.locator('[data-column="sent"]')).to_have_text(f"{sent:,}")
    page.locator("#chart-volumes").hover()  # the legend follows the cursor
    screenshot(page, "analytics")

    pick_period(page, LAST, FIRST)
    expect(page.get_by_role("alert")).to_have_text("The first day is after the last one.")
    pick_period(page, "2031-01-01", "2031-01-07")
    expect(total(page, "messagesIn")).to_have_text("0")
    expect(page.get_by_role("status")).to_have_text("Nothing happened in this period.")
    expect(page.get_by_text("No operator worked in this period.")).to_be_visible()
    screenshot(page, "analytics-empty")


def test_auditors_see_the_page_in_russian_and_operators_do_not(
        history: tuple[PanelServer, Ledger], new_page: Callable[..., Page],
        screenshot: Callable[[Any, str], Path]) -> None:
    server, ledger = history
    page = sign_in(new_page(locale="ru-RU", width=1280, height=1000), server,
                   ("auditor", OPERATOR_PASSWORD), "/admin/analytics",
                   ("Логин", "Пароль", "Войти"))
    expect(page.get_by_role("heading", name="Аналитика", exact=True)).to_be_visible()
    pick_period(page, FIRST, LAST, labels=("С", "По"))
    expect(total(page, "messagesIn")).to_have_text(
        f"{ledger.messages_in:,}".replace(",", "\u00a0"))
    expect(page.locator("#chart-volumes .u-legend")).to_contain_text("Сообщения клиентов")
    expect(page.locator('tr[data-operator="op1"]')).to_be_visible()
    screenshot(page, "analytics-ru")

    operator = sign_in(new_page(), server, ("op1", OPERATOR_PASSWORD), "/admin/analytics")
    expect(operator.get_by_role("alert")).to_be_visible()
    expect(operator.locator(".analytics")).to_have_count(0)
