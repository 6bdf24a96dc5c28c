"""Read receipts and "typing…" at the gateways (infra/receipts.py): an operator opening a dialog
shows the client their messages read — once, at the fake WAHA and the fake Graph API — and an
operator typing shows "typing…", at most once every few seconds per dialog. Nothing is sent
with SWITCHBOARD_SEND_READ_RECEIPTS off, and a gateway that is down fails no operator.

The job of the runner is taken off here and run by hand (`run_once`), on a simulated clock."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest

from application import commands as c
from application.handlers import Read
from application.ports import WhatsAppGateway
from infra.bootstrap import Container, bootstrap, ensure_first_admin
from infra.channels.cloud.fake import PHONE_NUMBER_ID, TOKEN, FakeGraph
from infra.channels.cloud.gateway import CloudWhatsAppGateway
from infra.channels.simulator.gateway import SimulatorWhatsAppGateway
from infra.channels.telegram.fake import TOKEN as BOT_TOKEN
from infra.channels.telegram.fake import FakeBotApi
from infra.channels.telegram.gateway import BotApiTelegramGateway
from infra.channels.waha.fake import API_KEY, FakeWaha
from infra.channels.waha.gateway import WahaWhatsAppGateway
from infra.migrations import migrate
from infra.receipts import TYPING_EVERY
from infra.security import Argon2PasswordHasher
from tests.conftest import ADMIN_PASSWORD, GraphQLClient, caught_up, make_settings, wait_for
from tests.unit.routing_desk import FakeClock

PHONE = "+79161234567"
CHAT = "79161234567@c.us"


@pytest.fixture
def waha() -> Iterator[FakeWaha]:
    fake = FakeWaha().start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def graph() -> Iterator[FakeGraph]:
    fake = FakeGraph().start()
    try:
        yield fake
    finally:
        fake.stop()


def waha_gateway(fake: FakeWaha) -> WahaWhatsAppGateway:
    """A WAHA gateway whose session works (started, and the QR code scanned)."""
    gateway = WahaWhatsAppGateway(url=fake.url, api_key=API_KEY, session="default")
    gateway.start()
    fake.scan()
    return gateway


@contextlib.contextmanager
def installation(database_url: str, gateway: WhatsAppGateway, **overrides: Any
                 ) -> Iterator[Container]:
    settings = make_settings(database_url, run_routing_jobs=False, run_sync_job=False,
                             **overrides)
    migrate(settings)
    container = bootstrap(settings, hasher=Argon2PasswordHasher(fast=True),
                          clock=FakeClock(datetime.now(UTC)), gateway=gateway)
    container.start()
    container.receipts.stop()  # the test runs the job by hand
    try:
        ensure_first_admin(container)
        yield container
    finally:
        container.stop()


def admin(container: Container) -> UUID:
    from domain.ids import operator_id

    return operator_id("admin")


def client_writes(container: Container, channel: str, external_id: str) -> UUID:
    received = container.writer.execute_sync(c.ReceiveClientMessage(
        channel=channel, external_id=external_id, phone=PHONE, name="Ivan", text="Hello",
        sent_at=container.clock.now()))
    assert received.dialog_id is not None and not received.held
    return UUID(str(received.dialog_id))


def operator_opens(container: Container, dialog_id: UUID) -> Read:
    """What the markRead resolver does: the command, then the receipt in the background."""
    read: Read = container.writer.execute_sync(
        c.MarkRead(dialog_id=dialog_id, operator_id=admin(container), actor="operator:admin"))
    container.receipts.read(read)
    wait_for(lambda: caught_up(container))
    return read


def test_opening_a_dialog_marks_the_clients_messages_read_at_waha_once(
        database_url: str, waha: FakeWaha) -> None:
    with installation(database_url, waha_gateway(waha)) as container:
        first, second = (f"false_{CHAT}_{uuid.uuid4().hex[:16].upper()}" for _ in range(2))
        dialog = client_writes(container, "waha", first)
        client_writes(container, "waha", second)
        operator_opens(container, dialog)
        assert container.receipts.run_once().receipts == 1
        assert waha.seen == [{"session": "default", "chatId": CHAT, "messageId": second,
                              "messageIds": [first, second]}]

        operator_opens(container, dialog)  # reopening: nothing new to show read
        assert container.receipts.run_once().receipts == 0
        assert len(waha.seen) == 1

        third = f"false_{CHAT}_{uuid.uuid4().hex[:16].upper()}"
        client_writes(container, "waha", third)
        operator_opens(container, dialog)
        container.receipts.run_once()
        assert [seen["messageIds"] for seen in waha.seen] == [[first, second], [third]]


def test_opening_a_dialog_marks_the_latest_message_read_at_the_graph_api(
        database_url: str, graph: FakeGraph) -> None:
    clock = FakeClock(datetime.now(UTC))
    gateway = CloudWhatsAppGateway(graph_url=graph.url, access_token=TOKEN,
                                   phone_number_id=PHONE_NUMBER_ID,
                                   last_client_message=lambda to: clock.now(), clock=clock)
    with installation(database_url, gateway) as container:
        first, latest = (f"wamid.{uuid.uuid4().hex.upper()}" for _ in range(2))
        dialog = client_writes(container, "cloud", first)
        client_writes(container, "cloud", latest)
        operator_opens(container, dialog)
        container.receipts.run_once()
        operator_opens(container, dialog)
        container.receipts.run_once()
        assert graph.read == [{"messaging_product": "whatsapp", "status": "read",
                               "message_id": latest}]


def test_nothing_is_shown_read_when_read_receipts_are_off(
        database_url: str, waha: FakeWaha) -> None:
    with installation(database_url, waha_gateway(waha), send_read_receipts=False) as container:
        dialog = client_writes(container, "waha", f"false_{CHAT}_AAA")
        read = operator_opens(container, dialog)
        assert read.changed and read.first_read  # the operator did read it
        assert container.receipts.run_once().receipts == 0
        assert waha.seen == []


def test_a_gateway_that_is_down_fails_no_operator_and_is_not_asked_again(
        database_url: str, waha: FakeWaha) -> None:
    with installation(database_url, waha_gateway(waha)) as container:
        dialog = client_writes(container, "waha", f"false_{CHAT}_AAA")
        waha.drop()  # the session stops working: WAHA refuses sendSeen
        read = operator_opens(container, dialog)
        assert read.changed
        report = container.receipts.run_once()
        assert (report.receipts, report.failed) == (0, 1)
        waha.restore()
        assert container.receipts.run_once().failed == 0  # a courtesy: not tried again
        assert waha.seen == []


def test_a_receipt_waits_for_the_inbox_to_show_the_messages(
        database_url: str, waha: FakeWaha) -> None:
    with installation(database_url, waha_gateway(waha)) as container:
        dialog = client_writes(container, "waha", f"false_{CHAT}_AAA")
        wait_for(lambda: caught_up(container))
        # the operator read two messages; the inbox knows one so far
        container.receipts.read(Read(dialog_id=dialog, changed=True, after=0, up_to=2))
        assert container.receipts.run_once().receipts == 0
        client_writes(container, "waha", f"false_{CHAT}_BBB")
        wait_for(lambda: caught_up(container))
        assert container.receipts.run_once().receipts == 1
        assert waha.seen[0]["messageIds"] == [f"false_{CHAT}_AAA", f"false_{CHAT}_BBB"]


def test_typing_reaches_waha_at_most_once_every_few_seconds(
        database_url: str, waha: FakeWaha) -> None:
    with installation(database_url, waha_gateway(waha)) as container:
        dialog = client_writes(container, "waha", f"false_{CHAT}_AAA")
        wait_for(lambda: caught_up(container))
        receipts, me, clock = container.receipts, admin(container), container.clock
        assert isinstance(clock, FakeClock)
        for _ in range(3):
            assert receipts.typing(dialog, me, True) == ""
            receipts.run_once()
        assert waha.typing == [("start", CHAT)]

        assert receipts.typing(dialog, me, False) == ""  # a pause: waits for its turn
        receipts.run_once()
        assert waha.typing == [("start", CHAT)]
        clock.advance(TYPING_EVERY.total_seconds())
        receipts.run_once()
        assert waha.typing == [("start", CHAT), ("stop", CHAT)]

        receipts.typing(dialog, me, False)  # stopped already: nothing more to stop
        clock.advance(TYPING_EVERY.total_seconds())
        receipts.typing(dialog, me, True)
        receipts.run_once()
        assert waha.typing == [("start", CHAT), ("stop", CHAT), ("start", CHAT)]


def test_only_an_operator_who_may_write_shows_typing(
        database_url: str, waha: FakeWaha) -> None:
    with installation(database_url, waha_gateway(waha)) as container:
        dialog = client_writes(container, "waha", f"false_{CHAT}_AAA")
        wait_for(lambda: caught_up(container))
        assert container.receipts.typing(uuid.uuid4(), admin(container), True) == "NOT_FOUND"
        assert container.receipts.typing(dialog, uuid.uuid4(), True) == "NOT_FOUND"
        container.receipts.run_once()
        assert waha.typing == []


def test_the_graph_api_shows_typing_with_a_read_receipt_of_the_latest_message(
        database_url: str, graph: FakeGraph) -> None:
    clock = FakeClock(datetime.now(UTC))
    gateway = CloudWhatsAppGateway(graph_url=graph.url, access_token=TOKEN,
                                   phone_number_id=PHONE_NUMBER_ID,
                                   last_client_message=lambda to: clock.now(), clock=clock)
    with installation(database_url, gateway) as container:
        latest = f"wamid.{uuid.uuid4().hex.upper()}"
        dialog = client_writes(container, "cloud", latest)
        wait_for(lambda: caught_up(container))
        container.receipts.typing(dialog, admin(container), True)
        container.receipts.run_once()
        assert graph.read == [{"messaging_product": "whatsapp", "status": "read",
                               "message_id": latest, "typing_indicator": {"type": "text"}}]


def test_telegram_shows_typing_by_send_chat_action_and_has_no_read_receipts() -> None:
    fake = FakeBotApi().start()
    gateway = BotApiTelegramGateway(fake.url, BOT_TOKEN)
    try:
        gateway.typing("tg:42", True, None)
        gateway.typing("tg:42", False, None)  # Telegram clears it by itself
        gateway.mark_read("tg:42", ["42:7"])
        assert fake.actions == [(42, "typing")]
        assert set(fake.calls) == {"sendChatAction"}
    finally:
        gateway.close()
        fake.stop()


MARK_READ = """mutation($id: ID!) { markRead(dialogId: $id) { __typename } }"""
TYPING = """mutation($id: ID!, $on: Boolean!) { typing(dialogId: $id, typing: $on) { __typename
  ... on TypingSuccess { typing } ... on UserError { code field } } }"""


def test_through_graphql_the_phone_shows_its_messages_read_and_the_operator_typing(
        container: Container, graphql_client: GraphQLClient) -> None:
    phone = container.whatsapp.gateway
    assert isinstance(phone, SimulatorWhatsAppGateway)
    dialog = client_writes(container, "simulator", "sim-in-1")
    wait_for(lambda: caught_up(container))
    graphql_client.login("admin", ADMIN_PASSWORD)
    did = str(dialog)
    assert graphql_client(MARK_READ, {"id": did})["markRead"]["__typename"] == "MarkReadSuccess"
    wait_for(lambda: phone.seen_by_company(PHONE) == ["sim-in-1"])

    typing = graphql_client(TYPING, {"id": did, "on": True})["typing"]
    assert typing == {"__typename": "TypingSuccess", "typing": True}
    wait_for(lambda: phone.company_typing(PHONE))
    refused = graphql_client(TYPING, {"id": str(uuid.uuid4()), "on": True})["typing"]
    assert refused == {"__typename": "UserError", "code": "NOT_FOUND", "field": "dialogId"}


def test_a_gateway_that_is_down_does_not_fail_mark_read(
        container: Container, graphql_client: GraphQLClient) -> None:
    phone = container.whatsapp.gateway
    assert isinstance(phone, SimulatorWhatsAppGateway)
    dialog = client_writes(container, "simulator", "sim-in-2")
    wait_for(lambda: caught_up(container))
    phone.drop()
    graphql_client.login("admin", ADMIN_PASSWORD)
    marked = graphql_client(MARK_READ, {"id": str(dialog)})["markRead"]
    assert marked["__typename"] == "MarkReadSuccess"
    typing = graphql_client(TYPING, {"id": str(dialog), "on": True})["typing"]
    assert typing["__typename"] == "TypingSuccess"
    assert phone.seen_by_company(PHONE) == []
