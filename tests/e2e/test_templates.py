"""WhatsApp message templates over real HTTP, with the Cloud API played by the fake Graph API:
an admin synchronises the business account's templates (page after page); operators list the
approved ones; in a dialog whose 24-hour window has closed free text fails with the window's
reason while a template goes through the outbox to the Graph API, the dialog showing its body
filled in; bad choices are refused and queue nothing; operators cannot synchronise and
auditors cannot send."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from application import commands as c
from domain.operators import Role
from domain.templates import TEMPLATES_ID
from infra.bootstrap import Container
from infra.channels.cloud.fake import (
    APP_SECRET,
    PHONE_NUMBER_ID,
    TOKEN,
    VERIFY_TOKEN,
    WABA_ID,
    FakeGraph,
    contact,
    notification,
    template,
)
from projections.outbox import outbox
from tests.conftest import (
    ADMIN_PASSWORD,
    GraphQLClient,
    LiveServer,
    caught_up,
    make_settings,
    running_container,
    wait_for,
)
from tests.e2e.test_http_colleagues_media import dialog_of
from tests.e2e.test_http_inbox import add_operator, signed_in
from tests.e2e.test_webhook_cloud import connect, deliver

NOW = datetime(2026, 12, 8, 12, 0, tzinfo=UTC)  # the fake Graph API's clock
SENDER = "79161230005"
PHONE = "+79161230005"

SYNC = """mutation { syncMessageTemplates { __typename
  ... on SyncMessageTemplatesSuccess { count templates { name language body parameterCount } }
  ... on UserError { code message } } }"""
TEMPLATES = "{ messageTemplates { name language category body parameterCount } }"
WINDOW = """query($d: ID!) { replyWindow(dialogId: $d) { closed closesAt lastClientMessageAt
  templatesAvailable } }"""
SEND_TEMPLATE = """mutation($d: ID!, $n: String!, $l: String!, $p: [String!], $k: String) {
  sendTemplate(dialogId: $d, name: $n, language: $l, parameters: $p, idempotencyKey: $k) {
  __typename ... on SendTemplateSuccess { duplicate outgoing { id text status } }
  ... on UserError { code field message } } }"""
SEND = """mutation($d: ID!, $t: String!) { sendMessage(dialogId: $d, text: $t) { __typename
  ... on SendMessageSuccess { outgoing { id } } ... on UserError { code } } }"""
RUN_NOW = """mutation { runSyncNow { __typename ... on RunSyncNowSuccess { finished
  report { claimed sent failed } } } }"""
DIALOG = """query($id: ID!) { dialog(id: $id) { messages { id direction text status
  failureCode } } }"""


@pytest.fixture
def graph() -> Iterator[FakeGraph]:
    fake = FakeGraph().start()
    fake.clock = lambda: NOW
    fake.page_size = 2
    fake.templates = [
        template("order_update", "Hello {{1}}, your order {{2}} has shipped."),
        template("draft_offer", "Only {{1}} today", status="PENDING"),
        template("photo_offer", "Look at this", components=[{"type": "HEADER",
                                                              "format": "IMAGE"}]),
        template("welcome_back", "Здравствуйте, {{1}}! Мы на связи.", language="ru",
                 category="MARKETING"),
        template("thanks", "Thank you for writing to us."),
    ]
    try:
        yield fake
    finally:
        fake.stop()


@contextlib.contextmanager
def cloud_with_templates(database_url: str, graph: FakeGraph
                         ) -> Iterator[tuple[Container, LiveServer]]:
    with running_container(make_settings(
        database_url, gateway="cloud", cloud_graph_url=graph.url, cloud_access_token=TOKEN,
        cloud_phone_number_id=PHONE_NUMBER_ID, cloud_app_secret=APP_SECRET,
        cloud_verify_token=VERIFY_TOKEN, cloud_waba_id=WABA_ID,
    )) as container, LiveServer(container) as server:
        connect(container)
        yield container, server


@pytest.fixture
def app(database_url: str, graph: FakeGraph) -> Iterator[tuple[Container, LiveServer]]:
    with cloud_with_templates(database_url, graph) as built:
        yield built


def client_wrote_long_ago(server: LiveServer, graph: FakeGraph, admin: GraphQLClient) -> str:
    """The client's last message, 25 hours ago by both clocks: its window has closed."""
    at = min(NOW, datetime.now(UTC)) - timedelta(hours=25)
    answer = deliver(server, notification(contacts=[contact(SENDER, "Ivan")], messages=[
        graph.client_text(SENDER, "Where is my parcel?", at=at)]))
    assert answer.status_code == 200, answer.text
    return dialog_of(admin, PHONE)


def template_reads(graph: FakeGraph) -> list[str]:
    return [path for _, path, _ in graph.server.requests if path.endswith("/message_templates")]


def outbox_size(container: Container) -> int:
    wait_for(lambda: caught_up(container))
    with container.views.reader.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(outbox)).scalar_one())


def test_an_admin_synchronises_every_page_and_operators_list_the_approved_templates(
    app: tuple[Container, LiveServer], graph: FakeGraph
) -> None:
    container, server = app
    add_operator(container, "olga", queue=True)
    admin = signed_in(server, "admin", ADMIN_PASSWORD)
    olga = signed_in(server, "olga", "olga-pass-1")
    assert olga(TEMPLATES)["messageTemplates"] == []

    synced = admin(SYNC)["syncMessageTemplates"]

    assert synced["__typename"] == "SyncMessageTemplatesSuccess"
    assert synced["count"] == 4  # the one whose header needs an image cannot be sent here
    assert len(template_reads(graph)) == 3  # five templates, two a page
    listed = olga(TEMPLATES)["messageTemplates"]
    assert listed == [
        {"name": "order_update", "language": "en_US", "category": "UTILITY",
         "body": "Hello {{1}}, your order {{2}} has shipped.", "parameterCount": 2},
        {"name": "thanks", "language": "en_US", "category": "UTILITY",
         "body": "Thank you for writing to us.", "parameterCount": 0},
        {"name": "welcome_back", "language": "ru", "category": "MARKETING",
         "body": "Здравствуйте, {{1}}! Мы на связи.", "parameterCount": 1}]
    assert synced["templates"] == [{k: t[k] for k in ("name", "language", "body",
                                                      "parameterCount")} for t in listed]

    graph.templates = graph.templates[:1]  # Meta deleted the others: the next sync says so
    assert admin(SYNC)["syncMessageTemplates"]["count"] == 1
    assert [t["name"] for t in olga(TEMPLATES)["messageTemplates"]] == ["order_update"]


def test_a_refused_synchronisation_records_nothing(
    app: tuple[Container, LiveServer], graph: FakeGraph
) -> None:
    container, server = app
    admin = signed_in(server, "admin", ADMIN_PASSWORD)
    graph.failing = True
    refused = admin(SYNC)["syncMessageTemplates"]
    assert refused["__typename"] == "UserError" and refused["code"] == "CLOUD_2"
    assert container.store.recorder.select_events(TEMPLATES_ID) == []
    assert admin(TEMPLATES)["messageTemplates"] == []


def test_where_the_window_has_closed_a_template_goes_through_the_outbox_and_free_text_fails(
    app: tuple[Container, LiveServer], graph: FakeGraph
) -> None:
    container, server = app
    admin = signed_in(server, "admin", ADMIN_PASSWORD)
    admin(SYNC)
    dialog_id = client_wrote_long_ago(server, graph, admin)

    window = admin(WINDOW, {"d": dialog_id})["replyWindow"]
    assert window["closed"] and window["templatesAvailable"]
    assert datetime.fromisoformat(window["closesAt"]) < datetime.now(UTC)

    # Free text: the gateway refuses it before asking, and Meta itself would answer 131047.
    assert admin(SEND, {"d": dialog_id, "t": "Your parcel is on its way"})["sendMessage"][
        "__typename"] == "SendMessageSuccess"
    assert admin(RUN_NOW)["runSyncNow"]["report"]["failed"] == 1
    refused_here = httpx.post(f"{graph.url}/{PHONE_NUMBER_ID}/messages", headers={
        "Authorization": f"Bearer {TOKEN}"}, json={"messaging_product": "whatsapp",
                                                   "to": SENDER, "type": "text",
                                                   "text": {"body": "Anyone there?"}})
    assert (refused_here.status_code, refused_here.json()["error"]["code"]) == (400, 131047)
    assert graph.sent == []

    sent = admin(SEND_TEMPLATE, {"d": dialog_id, "n": "order_update", "l": "en_US",
                                 "p": ["Ivan", "A-17"], "k": "tpl-1"})["sendTemplate"]
    assert sent["__typename"] == "SendTemplateSuccess", sent
    assert sent["outgoing"]["text"] == "Hello Ivan, your order A-17 has shipped."
    again = admin(SEND_TEMPLATE, {"d": dialog_id, "n": "order_update", "l": "en_US",
                                  "p": ["Ivan", "A-17"], "k": "tpl-1"})["sendTemplate"]
    assert again["duplicate"] and again["outgoing"]["id"] == sent["outgoing"]["id"]

    assert admin(RUN_NOW)["runSyncNow"]["report"]["sent"] == 1
    assert len(graph.sent) == 1
    delivered: dict[str, Any] = graph.sent[0]
    assert (delivered["to"], delivered["type"]) == (SENDER, "template")
    assert delivered["template"] == {
        "name": "order_update", "language": {"code": "en_US"},
        "components": [{"type": "body", "parameters": [{"type": "text", "text": "Ivan"},
                                                       {"type": "text", "text": "A-17"}]}]}
    assert delivered["text"]["body"] == "Hello Ivan, your order A-17 has shipped."

    def replies() -> list[tuple[str, str, str | None]] | None:
        messages = admin(DIALOG, {"id": dialog_id})["dialog"]["messages"]
        out = [(m["text"], m["status"], m["failureCode"]) for m in messages
               if m["direction"] == "OUT"]
        return out if len(out) == 2 and out[1][1] == "SENT" else None

    assert wait_for(replies) == [
        ("Your parcel is on its way", "FAILED", "OUTSIDE_REPLY_WINDOW"),
        ("Hello Ivan, your order A-17 has shipped.", "SENT", None)]
    assert outbox_size(container) == 2  # the repeated request queued nothing more


@pytest.mark.parametrize(("name", "language", "parameters", "code"), [
    ("order_update", "en_US", ["Ivan"], "TEMPLATE_PARAMETERS"),
    ("order_update", "en_US", ["Ivan", " "], "TEMPLATE_PARAMETERS"),
    ("order_update", "en_US", ["Ivan", "two\nlines"], "TEMPLATE_PARAMETERS"),
    ("order_update", "ru", ["Ivan", "A-17"], "TEMPLATE_NOT_FOUND"),
    ("draft_offer", "en_US", ["5%"], "TEMPLATE_NOT_APPROVED"),
    ("no_such_thing", "en_US", [], "TEMPLATE_NOT_FOUND"),
])
def test_a_template_that_cannot_be_sent_is_refused_and_queues_nothing(
    sqlite_app: tuple[Container, LiveServer], graph: FakeGraph, name: str, language: str,
    parameters: list[str], code: str
) -> None:
    container, server = sqlite_app
    admin = signed_in(server, "admin", ADMIN_PASSWORD)
    admin(SYNC)
    dialog_id = client_wrote_long_ago(server, graph, admin)
    refused = admin(SEND_TEMPLATE, {"d": dialog_id, "n": name, "l": language,
                                    "p": parameters})["sendTemplate"]
    assert (refused["__typename"], refused["code"]) == ("UserError", code)
    assert outbox_size(container) == 0


@pytest.fixture
def sqlite_app(tmp_path: Any, graph: FakeGraph) -> Iterator[tuple[Container, LiveServer]]:
    """The refusals are the handler's, the same on either database: SQLite is enough."""
    with cloud_with_templates(f"sqlite:///{tmp_path}/switchboard.db", graph) as built:
        yield built


def test_operators_cannot_synchronise_and_auditors_cannot_send(
    app: tuple[Container, LiveServer], graph: FakeGraph
) -> None:
    container, server = app
    add_operator(container, "olga", queue=True)
    add_operator(container, "petr", queue=False)
    container.writer.execute_sync(c.RegisterOperator(
        login="audrey", display_name="Audrey", role=Role.AUDITOR,
        password_hash=container.hasher.hash("audrey-pass-1"), actor="test"))
    admin = signed_in(server, "admin", ADMIN_PASSWORD)
    olga = signed_in(server, "olga", "olga-pass-1")
    petr = signed_in(server, "petr", "petr-pass-1")
    audrey = signed_in(server, "audrey", "audrey-pass-1")
    admin(SYNC)
    dialog_id = client_wrote_long_ago(server, graph, admin)
    before = len(template_reads(graph))

    denied = olga.raw(SYNC)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert len(template_reads(graph)) == before  # the Graph API was not even asked
    send = {"d": dialog_id, "n": "thanks", "l": "en_US", "p": []}
    denied = audrey.raw(SEND_TEMPLATE, send)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert petr(SEND_TEMPLATE, send)["sendTemplate"]["code"] == "NOT_FOUND"  # not his dialog
    assert petr(WINDOW, {"d": dialog_id})["replyWindow"] is None
    assert GraphQLClient(server.url).raw(TEMPLATES)["errors"][0]["extensions"][
        "code"] == "UNAUTHENTICATED"
    assert outbox_size(container) == 0
    assert olga(SEND_TEMPLATE, send)["sendTemplate"]["__typename"] == "SendTemplateSuccess"


@pytest.mark.browser
def test_in_the_panel_a_closed_window_offers_the_templates_instead_of_the_reply_box(
    tmp_path: Any, graph: FakeGraph, new_page: Any, screenshot: Any
) -> None:
    from playwright.sync_api import expect

    from tests.e2e.conftest import ADMIN
    from tests.e2e.test_panel import row, sign_in

    with cloud_with_templates(f"sqlite:///{tmp_path}/switchboard.db", graph) as (_, server):
        admin = signed_in(server, "admin", ADMIN_PASSWORD)
        client_wrote_long_ago(server, graph, admin)
        page = sign_in(new_page(), server, ADMIN)  # type: ignore[arg-type]
        row(page, "Where is my parcel?").click()

        picker = page.locator("[data-template-picker]")
        expect(picker.locator("[data-no-templates]")).to_be_visible()
        picker.get_by_role("button", name="Synchronise templates").click()  # the admin may
        expect(page.locator("#reply")).to_have_count(0)  # no text box that could only fail
        expect(picker.get_by_role("heading")).to_have_text("The 24-hour window has closed")
        send = picker.get_by_role("button", name="Send template")
        expect(send).to_be_disabled()

        picker.get_by_label("Template").select_option("order_update|en_US")
        expect(picker.get_by_label("Parameter 1")).to_have_value("Ivan")  # greets the client
        expect(send).to_be_disabled()  # {{2}} is still empty
        picker.get_by_label("Parameter 2").fill("A-17")
        expect(picker.locator("[data-template-preview]")).to_have_text(
            "Hello Ivan, your order A-17 has shipped.")
        screenshot(page, "template-picker")
        send.click()

        bubble = page.locator("li.msg-out", has_text="Hello Ivan, your order A-17 has shipped.")
        expect(bubble).to_be_visible()
        expect(picker.get_by_label("Template")).to_have_value("")  # ready for another
        assert admin(RUN_NOW)["runSyncNow"]["report"]["sent"] == 1
        assert [(m["type"], m["template"]["name"]) for m in graph.sent] == [
            ("template", "order_update")]
        expect(bubble.locator("[data-status]")).to_have_attribute("data-status", "SENT")
