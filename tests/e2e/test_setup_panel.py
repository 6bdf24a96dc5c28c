"""The setup wizard and the audit in a real browser: an admin completes the wizard step by step
(a refused field, the code from the development outbox, "Configure" against a fake MikoPBX on
loopback, the phonebook import), and an auditor moves the picker back and sees the publication
as it was."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ADMIN, PanelServer
from tests.setup_helpers import autoconfig_code, closed_address, fake_pbxs

pytestmark = pytest.mark.browser
AUDITOR = ("audrey", "audrey-pass-1")


@pytest.fixture
def server(tmp_path: Path, nats_server: Any) -> Iterator[PanelServer]:
    panel = PanelServer(tmp_path)
    panel.env["SWITCHBOARD_PBX_CHECK_TIMEOUT_SECONDS"] = "1"
    panel.env["SWITCHBOARD_PBX_NATS_PORT"] = str(nats_server.port)
    panel.cli("admin", "create", "--login", AUDITOR[0], "--password", AUDITOR[1],
              "--name", "Audrey", "--role", "auditor")
    panel.start()
    try:
        yield panel
    finally:
        panel.stop()


def sign_in(page: Page, server: PanelServer, who: tuple[str, str], path: str) -> Page:
    page.goto(server.url + path)
    page.get_by_label("Login").fill(who[0])
    page.get_by_label("Password").fill(who[1])
    page.get_by_role("button", name="Sign in", exact=True).click()
    return page


def at_step(page: Page, step: str) -> None:
    expect(page.locator(f"[data-open-step={step}]")).to_be_visible()


def entry(page: Page, section: str, label: str) -> Any:
    return page.locator(f'[data-section="{section}"] [data-label="{label}"] .value')


def test_an_admin_completes_the_wizard_and_an_auditor_sees_the_old_publication(
    server: PanelServer, new_page: Callable[..., Page], screenshot: Callable[[Any, str], Path],
):
    page = sign_in(new_page(), server, ADMIN, "/admin/setup")
    at_step(page, "MODE")
    expect(page.locator("[data-step=PUBLICATION]")).to_have_attribute("data-state", "DONE")
    page.get_by_role("button", name="Next", exact=True).click()

    at_step(page, "REGISTRATION")  # the development start published a sample already
    page.locator("[data-step=PUBLICATION]").click()  # revisit it
    at_step(page, "PUBLICATION")
    expect(page.locator("[data-connection-mode=WEB_SERVICE]")).to_be_visible()
    time.sleep(1.1)  # the development start and this change are a second apart, for the picker
    page.get_by_label("Publication server").fill("ftp://1c.example.com")
    page.get_by_label("Publication name").fill("trade")
    page.get_by_role("button", name="Next", exact=True).click()
    expect(page.locator("[data-field=serverUrl]")).to_contain_text("http")
    expect(page.get_by_label("Publication server")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("Publication server").fill("https://1c.example.com")
    page.get_by_role("button", name="Next", exact=True).click()

    at_step(page, "REGISTRATION")
    page.get_by_label("E-mail").fill("boss@example.com")
    page.get_by_role("button", name="Register", exact=True).click()
    outbox = page.locator("[data-outbox]")
    expect(outbox).to_contain_text("Registration code")
    subject = outbox.locator(".outbox-mail strong").first.inner_text()
    code = re.search(r"\d{6}", subject).group(0)  # type: ignore[union-attr]
    page.get_by_label("Registration code").fill("000000" if code != "000000" else "111111")
    page.get_by_role("button", name="Confirm", exact=True).click()
    expect(page.locator("[data-field=code]")).to_have_text(  # the panel's words for WRONG_CODE
        "This is not the code that was mailed. Check it, or request a new code.")
    page.get_by_label("Registration code").fill(code)
    page.get_by_role("button", name="Confirm", exact=True).click()

    at_step(page, "PBX")
    expect(page.get_by_label("MikoPBX", exact=True)).to_be_checked()
    page.get_by_role("button", name="Next", exact=True).click()

    at_step(page, "CONNECTION")
    with fake_pbxs("ok") as (pbx,):
        page.get_by_label("Auto-configuration code").fill(
            autoconfig_code([closed_address(), pbx.address], password="nats-secret-1"))
        page.get_by_label("Connection scheme").select_option("BOTH_LAN")
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.locator("[data-addresses]")).to_contain_text(pbx.address)
        page.get_by_role("button", name="Configure", exact=True).click()
        check = page.locator("[data-check=SUCCEEDED]")
        expect(check).to_contain_text(pbx.address, timeout=20_000)
    expect(check.locator(".check-tried > li")).to_have_count(2)
    silent = check.locator(".check-tried > li").first
    expect(silent.locator("[data-part=nats]")).to_have_attribute("data-code", "NATS_UNREACHABLE")
    expect(silent).to_contain_text("did not answer")
    answered = check.locator(f'[data-address="{pbx.address}"]')
    expect(answered.locator("[data-part=rest]")).to_contain_text(
        "Web interface (REST API): answered")
    expect(answered.locator("[data-part=nats]")).to_contain_text(
        "NATS of the 1C module (the way 1C connects): accepted the connection and the password")
    expect(page.locator("body")).not_to_contain_text("nats-secret-1")
    screenshot(page, "setup-configure")
    page.get_by_role("button", name="Next", exact=True).click()

    at_step(page, "EMPLOYEES")
    row = page.locator("[data-employee=admin]")
    row.get_by_label("Extension of admin").fill("101")
    row.get_by_label("Mobile number of admin").fill("8 916 123-45-67")
    row.get_by_role("button", name="Save", exact=True).click()
    expect(row.get_by_label("Mobile number of admin")).to_have_value("8 916 123-45-67")
    page.get_by_role("button", name="Next", exact=True).click()

    at_step(page, "MESSENGERS")
    whatsapp = page.locator("[data-whatsapp]")  # the channel's own status, translated
    expect(whatsapp).to_contain_text("WhatsApp")
    expect(whatsapp).not_to_contain_text("setup.whatsapp")
    # WhatsApp is linked (a development start): the step goes on, and is done, not passed over.
    expect(page.get_by_role("button", name="Go on without it", exact=True)).to_have_count(0)
    page.get_by_role("button", name="Next", exact=True).click()

    at_step(page, "FINISH")
    page.get_by_label("Clients", exact=True).fill(
        "name,company,phone\nIvan Petrov,Acme,+79160000001\nNobody,Acme,\n")
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator("[data-import=FINISHED]")).to_contain_text("1 new")
    expect(page.locator("[data-import=FINISHED]")).to_contain_text("Row 3: no phone number")
    page.get_by_role("button", name="Finish", exact=True).click()
    expect(page.locator("[data-completed]")).to_contain_text("The setup is complete")
    for step in ("MODE", "PUBLICATION", "REGISTRATION", "PBX", "CONNECTION", "EMPLOYEES"):
        expect(page.locator(f"[data-step={step}]")).to_have_attribute("data-state", "DONE")
    screenshot(page, "setup-complete")

    auditor = sign_in(new_page(), server, AUDITOR, "/admin/audit")
    expect(entry(auditor, "publication", "Publication name")).to_have_text("trade")
    system_change = auditor.locator(".timeline-entry", has_text="Publication set").filter(
        has_text="system")
    when = system_change.locator("time").get_attribute("datetime")
    picked = auditor.evaluate("""(iso) => {
        const d = new Date(iso.replace(/(\\.\\d{3})\\d+/, '$1').replace(/(Z|[+-]\\d\\d:?\\d\\d)?$/,
          (m) => m || 'Z'));
        d.setMilliseconds(0); d.setSeconds(d.getSeconds() + 1);
        const p = (n) => String(n).padStart(2, '0');
        return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:`
          + `${p(d.getMinutes())}:${p(d.getSeconds())}`;
    }""", when)
    auditor.get_by_label("Configuration at").fill(picked)
    expect(entry(auditor, "publication", "Publication name")).to_have_text("sample")
    expect(entry(auditor, "publication", "Publication server")).not_to_have_text(
        "https://1c.example.com")
    expect(auditor.locator('[data-section="publication"] .changed')).to_have_count(2)
    expect(auditor.locator(".timeline-entry[data-after=true]").first).to_be_visible()
    screenshot(auditor, "audit-picker")
    auditor.get_by_role("button", name="Now", exact=True).click()
    expect(entry(auditor, "publication", "Publication name")).to_have_text("trade")
    auditor.goto(server.url + "/admin/setup")
    expect(auditor.locator("[data-completed]")).to_be_visible()
    auditor.locator("[data-step=PUBLICATION]").click()
    expect(auditor.get_by_label("Publication name")).to_have_value("trade")
    expect(auditor.get_by_label("Publication name")).to_be_disabled()
    expect(auditor.get_by_role("button", name="Next", exact=True)).to_be_disabled()
