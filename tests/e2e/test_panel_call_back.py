"""Call back in a real browser, in English and in Russian, with the PBX played by the fake
manager interface: an operator with an extension presses "Call back" in the dialog header; the
header says their phone rings, the timeline shows the call ringing, then its outcome. An
operator without an extension sees the button off, with the reason beside it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from domain.ids import operator_id
from infra.pbx_ami_fake import SECRET, USER, FakeAmi
from tests.e2e.conftest import ADMIN, OLGA, PanelServer
from tests.e2e.test_panel import row, sign_in

pytestmark = pytest.mark.browser

NewPage = Callable[..., Page]
PHONE = "+79161234567"
SET_PHONES = """mutation($o: ID!, $e: String!) { setEmployeePhones(operatorId: $o, extension: $e) {
  __typename } }"""
LOGIN = """mutation($l: String!, $p: String!) { login(login: $l, password: $p) {
  ... on LoginSuccess { token } } }"""


@pytest.fixture
def fake() -> Iterator[FakeAmi]:
    with FakeAmi(hold=True) as server:
        yield server


@pytest.fixture
def server(tmp_path: Path, fake: FakeAmi) -> Iterator[PanelServer]:
    """A server whose PBX is the fake, with Olga at extension 201 and a client's dialog."""
    panel = PanelServer(tmp_path)
    panel.env.update({"SWITCHBOARD_PBX_AMI_HOST": "127.0.0.1",
                      "SWITCHBOARD_PBX_AMI_PORT": str(fake.port),
                      "SWITCHBOARD_PBX_AMI_USER": USER, "SWITCHBOARD_PBX_AMI_SECRET": SECRET})
    panel.cli("admin", "create", "--login", OLGA[0], "--password", OLGA[1],
              "--name", "Olga", "--role", "operator")
    panel.start()
    try:
        token = graphql(panel, "", LOGIN, {"l": ADMIN[0], "p": ADMIN[1]})["login"]["token"]
        assert graphql(panel, token, SET_PHONES, {"o": str(operator_id(OLGA[0])), "e": "201"})
        panel.send(PHONE, "Please call me", name="Ivan")
        yield panel
    finally:
        panel.stop()


def graphql(server: PanelServer, token: str, query: str, variables: dict[str, Any]) -> Any:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    answer = httpx.post(f"{server.url}/graphql", json={"query": query, "variables": variables},
                        headers=headers, timeout=15).json()
    assert not answer.get("errors"), answer
    return answer["data"]


def sign_in_ru(page: Page, server: PanelServer, who: tuple[str, str]) -> Page:
    page.goto(server.url)
    page.get_by_label("Логин").fill(who[0])
    page.get_by_label("Пароль").fill(who[1])
    page.get_by_role("button", name="Войти").click()
    expect(page.get_by_role("heading", name="Входящие", level=1)).to_be_visible()
    return page


def open_dialog(page: Page) -> None:
    row(page, "Please call me").click()
    expect(page.locator(".dialog-scroll")).to_have_attribute("aria-busy", "false")


def test_an_operator_calls_the_client_back_from_the_dialog_header(
    server: PanelServer, fake: FakeAmi, new_page: NewPage
) -> None:
    page = sign_in(new_page(), server, OLGA)
    open_dialog(page)
    button = page.get_by_role("button", name="Call back")
    expect(button).to_be_enabled()
    button.click()
    expect(page.locator("[data-call-back-note]")).to_have_text(
        "Your phone 201 rings: pick it up and the PBX dials the client.")
    entry = page.locator("li.msg [data-call-status]")
    expect(entry).to_have_attribute("data-call-status", "RINGING")
    expect(entry).to_contain_text("Call back to +79161234567 from extension 201")
    expect(entry).to_contain_text("ringing…")
    assert fake.originates()[0]["exten"] == "89161234567"

    fake.release()
    expect(entry).to_have_attribute("data-call-status", "ANSWERED")
    expect(entry).to_contain_text("answered")

    admin = sign_in(new_page(), server, ADMIN)  # the admin has no extension
    open_dialog(admin)
    off = admin.get_by_role("button", name="Call back")
    expect(off).to_be_disabled()
    expect(admin.locator("[data-call-back-refusal]")).to_have_text(
        "You have no extension: an admin records it in the setup wizard (employees' numbers).")
    assert len(fake.originates()) == 1


def test_in_russian_the_button_the_call_and_its_outcome_are_translated(
    server: PanelServer, fake: FakeAmi, new_page: NewPage
) -> None:
    fake.outcome = "busy"
    page = sign_in_ru(new_page(locale="ru-RU"), server, OLGA)
    open_dialog(page)
    page.get_by_role("button", name="Перезвонить").click()
    expect(page.locator("[data-call-back-note]")).to_have_text(
        "Звонит ваш телефон 201: снимите трубку, и АТС наберёт клиента.")
    entry = page.locator("li.msg [data-call-status]")
    expect(entry).to_contain_text("Обратный звонок на +79161234567 с внутреннего 201")
    expect(entry).to_contain_text("идёт вызов…")
    fake.release()
    expect(entry).to_have_attribute("data-call-status", "BUSY")
    expect(entry).to_contain_text("занято")

    admin = sign_in_ru(new_page(locale="ru-RU"), server, ADMIN)
    open_dialog(admin)
    expect(admin.get_by_role("button", name="Перезвонить")).to_be_disabled()
    expect(admin.locator("[data-call-back-refusal]")).to_contain_text(
        "У вас нет внутреннего номера")
