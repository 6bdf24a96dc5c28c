"""The inbox narrowed to one messenger, on both backends: "whatsapp" is any of WhatsApp's
gateways, any other messenger is its own channel name; every row says its channel."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from application import commands as c
from domain.ids import operator_id
from infra.bootstrap import Container
from projections import inbox as view
from tests.conftest import caught_up, wait_for

ADMIN = operator_id("admin")
# One client per channel: WhatsApp's three gateways and Telegram.
CLIENTS = {"simulator": "+79161110001", "waha": "+79161110002", "cloud": "+79161110003",
           "telegram": "tg:42"}


def receive(container: Container, channel: str, phone: str, text: str = "hi") -> UUID:
    received = container.writer.execute_sync(c.ReceiveClientMessage(
        channel=channel, external_id=f"{channel}-{phone}-{text}", phone=phone, name="Ann",
        text=text, sent_at=datetime.now(UTC)))
    dialog_id: UUID = received.dialog_id
    return dialog_id


def page(container: Container, medium: str | None, *, first: int = 50,
         before: int | None = None) -> view.InboxPage:
    with container.views.reader.connect() as conn:
        return view.inbox_page(conn, ADMIN, first=first, before_position=before,
                               unread_only=False, medium=medium)


def test_the_inbox_shows_one_messengers_dialogs_each_with_its_channel(
    container: Container,
) -> None:
    dialogs = {channel: receive(container, channel, phone) for channel, phone in CLIENTS.items()}
    wait_for(lambda: caught_up(container))

    every = {row.id: row.channel for row in page(container, None).rows}
    assert every == {dialog_id: channel for channel, dialog_id in dialogs.items()}
    whatsapp = {row.id: row.channel for row in page(container, "whatsapp").rows}
    assert whatsapp == {dialogs[ch]: ch for ch in ("simulator", "waha", "cloud")}
    assert [row.id for row in page(container, "telegram").rows] == [dialogs["telegram"]]
    assert page(container, "viber").rows == []


def test_a_narrowed_inbox_pages_through_its_own_dialogs_only(container: Container) -> None:
    whatsapp = [receive(container, "simulator", f"+7916222000{i}") for i in range(3)]
    telegram = [receive(container, "telegram", f"tg:{100 + i}") for i in range(2)]
    wait_for(lambda: caught_up(container))

    first = page(container, "whatsapp", first=2)
    assert [row.id for row in first.rows] == [whatsapp[2], whatsapp[1]] and first.has_next
    rest = page(container, "whatsapp", first=2, before=first.rows[-1].position)
    assert [row.id for row in rest.rows] == [whatsapp[0]] and not rest.has_next
    only = page(container, "telegram", first=2)
    assert [row.id for row in only.rows] == [telegram[1], telegram[0]] and not only.has_next


def test_one_dialog_answers_for_its_own_messenger_only(container: Container) -> None:
    telegram = receive(container, "telegram", "tg:42")
    wait_for(lambda: caught_up(container))
    with container.views.reader.connect() as conn:
        entry = view.inbox_entry(conn, ADMIN, telegram)
        assert entry is not None and entry.channel == "telegram"
        assert view.inbox_entry(conn, ADMIN, telegram, medium="telegram") is not None
        assert view.inbox_entry(conn, ADMIN, telegram, medium="whatsapp") is None
