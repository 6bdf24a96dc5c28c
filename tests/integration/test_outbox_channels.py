"""The outbox with two messengers side by side: each reply goes out through its dialog's own
channel, WhatsApp's readiness holds only WhatsApp's dialogs, and writing first to a Telegram
client goes through Telegram."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest

from application import commands as c
from application import outbox as ob
from application.channel import UpdateMessengerSettings
from application.channels import ChannelStatus, WebhookRefused, WebhookRequest
from application.routing import ResolveDialog
from domain.channel import ChannelNotReady
from domain.ids import client_id as client_id_of
from infra.bootstrap import Container, bootstrap, ensure_first_admin
from infra.channels.context import ChannelContext
from infra.migrations import migrate
from infra.security import Argon2PasswordHasher
from tests.conftest import caught_up, make_settings, wait_for
from tests.fakes.gateway import CountingGateway
from tests.integration.test_outbox import ADMIN, client_writes, reply, row
from tests.unit.routing_desk import FakeClock


class TelegramLike:
    """A channel named "telegram" whose gateway counts what it sends."""

    name = medium = "telegram"

    def __init__(self) -> None:
        self.gateway = CountingGateway(idempotent=False)
        self.gateway.kind = "telegram"

    async def webhook(self, request: WebhookRequest) -> Any:
        raise WebhookRefused(404, "not used here")

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def status(self) -> ChannelStatus:
        return ChannelStatus(name=self.name, medium=self.medium, ok=True)

    def check(self) -> ChannelStatus:
        return self.status()


@contextlib.contextmanager
def two_messengers(database_url: str, **overrides: Any) -> Iterator[Container]:
    settings = make_settings(database_url, run_routing_jobs=False, run_sync_job=False,
                             **overrides)
    migrate(settings)
    telegram = TelegramLike()

    def build(ctx: ChannelContext) -> TelegramLike:
        return telegram

    container = bootstrap(settings, hasher=Argon2PasswordHasher(fast=True),
                          clock=FakeClock(datetime.now(UTC)), gateway=CountingGateway(),
                          channels=(build,))
    container.start()
    try:
        ensure_first_admin(container)
        yield container
    finally:
        container.stop()


def telegram_client_writes(container: Container, user: int = 42) -> UUID:
    received = container.writer.execute_sync(c.ReceiveClientMessage(
        channel="telegram", external_id=f"{user}:{uuid.uuid4().hex[:8]}", phone=f"tg:{user}",
        name="Anna", text="Hello from Telegram", sent_at=container.clock.now()))
    assert received.dialog_id is not None and not received.held
    return UUID(str(received.dialog_id))


def sent_texts(container: Container, channel: str) -> list[tuple[str, str]]:
    gateway = container.channels.gateway(channel)
    assert isinstance(gateway, CountingGateway)
    return gateway.texts


def test_each_reply_goes_out_through_its_dialogs_own_channel(database_url: str) -> None:
    with two_messengers(database_url) as container:
        whatsapp_dialog = client_writes(container, "+79161234567")
        telegram_dialog = telegram_client_writes(container, 42)
        to_whatsapp = reply(container, whatsapp_dialog, "By WhatsApp")
        to_telegram = reply(container, telegram_dialog, "By Telegram")
        wait_for(lambda: caught_up(container))
        report = container.sync.run()
        assert report is not None and report.sent == 2
        assert sent_texts(container, "telegram") == [("tg:42", "By Telegram")]
        assert sent_texts(container, "simulator") == [("+79161234567", "By WhatsApp")]
        wait_for(lambda: caught_up(container))
        assert row(container, to_telegram).status == "sent"
        assert row(container, to_whatsapp).status == "sent"


def test_an_unlinked_whatsapp_holds_back_whatsapp_replies_but_not_telegrams(
        database_url: str) -> None:
    with two_messengers(database_url, simulator_autolink=False) as container:
        telegram_dialog = telegram_client_writes(container, 7)
        assert reply(container, telegram_dialog, "Still answered")
        whatsapp_dialog = client_writes(container, "+79160000001")
        with pytest.raises(ChannelNotReady):
            reply(container, whatsapp_dialog, "Not yet")
        with pytest.raises(ChannelNotReady):
            container.writer.execute_sync(ob.StartDialog(
                operator_id=ADMIN, text="Hello", key=uuid.uuid4().hex, channel="simulator",
                at=container.clock.now(), actor="operator:admin", phone="+79160000002"))


def test_writing_first_to_a_telegram_client_goes_through_telegram(database_url: str) -> None:
    with two_messengers(database_url) as container:
        container.writer.execute_sync(UpdateMessengerSettings(
            in_service=True, employees_may_write_first=True, actor="operator:admin"))
        first = telegram_client_writes(container, 99)
        container.writer.execute_sync(ResolveDialog(
            dialog_id=first, operator_id=ADMIN, at=container.clock.now(),
            actor="operator:admin"))
        client_id = client_id_of("tg:99")
        queued: ob.Queued = container.writer.execute_sync(ob.StartDialog(
            operator_id=ADMIN, text="We are back", key=uuid.uuid4().hex, channel="simulator",
            at=container.clock.now(), actor="operator:admin", client_id=client_id))
        assert queued.new_dialog
        wait_for(lambda: caught_up(container))
        assert container.sync.run() is not None
        assert sent_texts(container, "telegram") == [("tg:99", "We are back")]
        assert sent_texts(container, "simulator") == []
