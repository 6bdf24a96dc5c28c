"""The panel with a WhatsApp client known only by a business-scoped user id (a user with a
username, whose number Meta does not share): the operator reads "WhatsApp user …", never the
raw `bsuid:` identity, and no phone link is offered."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from application import commands as c
from tests.conftest import make_settings, running_container
from tests.e2e.conftest import ADMIN, PanelServer
from tests.e2e.test_panel import NewPage, row, sign_in

pytestmark = pytest.mark.browser

USER_ID = "US.ENT.11815799212886844830"


def test_a_client_known_by_a_user_id_reads_as_a_whatsapp_user_without_a_phone_link(
    panel_server: PanelServer, new_page: NewPage,
) -> None:
    panel_server.stop()
    url = panel_server.env["SWITCHBOARD_DATABASE_URL"]
    with running_container(make_settings(url, run_routing_jobs=False, run_sync_job=False),
                           projections=False) as container:
        for n, name in enumerate(("Anna", "")):
            container.writer.execute_sync(c.ReceiveClientMessage(
                channel="cloud", external_id=f"wamid.{n}", phone=f"bsuid:{USER_ID}{n}",
                name=name, text=f"Hello from a username {n}", sent_at=datetime.now(UTC)))
    panel_server.start()

    page = sign_in(new_page(), panel_server, ADMIN)
    expect(row(page, "Anna")).to_contain_text(f"WhatsApp user {USER_ID}0")
    expect(row(page, "Hello from a username 1").locator(".row-name")).to_have_text(
        f"WhatsApp user {USER_ID}1 (number not shared)")
    assert "bsuid:" not in page.locator(".dialog-list").inner_text()
    row(page, "Anna").click()
    head = page.locator(".dialog-head")
    expect(head).to_contain_text(f"WhatsApp user {USER_ID}0")
    expect(head.locator('a[href^="tel:"]')).to_have_count(0)
