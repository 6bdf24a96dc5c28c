"""WAHA's conversation events end to end, through the fake WAHA's signed webhooks: a reply typed
on the linked phone shows as the company's, marked from the phone, while our own sends reported
back and the client's messages in `message.any` are not stored twice; a client's edit changes
the text; a deletion shows the message as deleted and keeps its text; a reaction shows on the
client's message and on our reply, and an empty one takes it back."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from application import outbox as ob
from domain.ids import operator_id
from infra.bootstrap import Container
from infra.channels.waha.fake import FakeWaha
from infra.channels.waha.gateway import EVENTS
from projections.inbox import dialogs, messages, reactions_of
from tests.conftest import caught_up, wait_for
from tests.e2e.test_webhook_waha import link, waha_app

CLIENT = "79161234567@c.us"
PHONE = "+79161234567"


@pytest.fixture
def fake() -> Iterator[FakeWaha]:
    server = FakeWaha().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def linked(database_url: str, fake: FakeWaha) -> Iterator[Container]:
    with waha_app(database_url, fake, run_sync_job=False) as (container, _):
        link(container, fake)
        yield container


def rows(container: Container) -> list[Any]:
    wait_for(lambda: caught_up(container))
    with container.views.reader.connect() as conn:
        return list(conn.execute(sa.select(messages).order_by(messages.c.seq)))


def delivered(fake: FakeWaha, count: int) -> None:
    """The fake's webhooks so far were all answered (each once its batch committed)."""
    fake.wait_for_hooks(count)
    assert all(code == 200 for _, code in fake.hooks_sent), fake.hooks_sent


def a_conversation(container: Container, fake: FakeWaha) -> str:
    """The client writes (WAHA delivers it by `message` and `message.any`); returns its id."""
    before = len(fake.hooks_sent)
    mid = fake.client_writes_with_any(CLIENT, "Hello")
    delivered(fake, before + 2)
    wait_for(lambda: [r.text for r in rows(container)] == ["Hello"])
    return mid


def sent_reply(container: Container, text: str = "Good morning") -> str:
    """An operator's reply sent through WAHA; returns the id WAHA gave it."""
    [row] = [r for r in rows(container) if r.direction == "in"][:1]
    container.writer.execute_sync(ob.SendMessage(
        dialog_id=row.dialog_id, operator_id=operator_id("admin"), text=text, key=uuid.uuid4().hex,
        at=container.clock.now(), actor="operator:admin"))
    wait_for(lambda: caught_up(container))
    report = container.sync.run()
    assert report is not None and report.sent == 1
    reply = wait_for(lambda: next((r for r in rows(container)
                                   if r.direction == "out" and r.external_id), None))
    return str(reply.external_id)


def hooks(fake: FakeWaha) -> int:
    return len(fake.hooks_sent)


def test_the_session_subscribes_to_the_conversation_events() -> None:
    assert {"message", "message.any", "message.edited", "message.revoked",
            "message.reaction"} <= set(EVENTS)


def test_a_clients_message_in_both_message_and_message_any_is_stored_once(
    linked: Container, fake: FakeWaha
) -> None:
    a_conversation(linked, fake)
    assert [(r.direction, r.text) for r in rows(linked)] == [("in", "Hello")]
    answers = [body["event"] for body, _ in fake.hooks_sent[-2:]]
    assert sorted(answers) == ["message", "message.any"]


def test_a_reply_typed_on_the_phone_shows_as_the_companys_marked_from_the_phone_once(
    linked: Container, fake: FakeWaha
) -> None:
    a_conversation(linked, fake)
    before = hooks(fake)
    mid = fake.company_writes_on_phone(CLIENT, "Typed on the phone")
    fake.company_writes_on_phone(CLIENT, "Typed on the phone", message_id=mid)  # a retry
    delivered(fake, before + 2)
    shown = wait_for(lambda: [(r.direction, r.text, r.from_phone, r.external_id)
                              for r in rows(linked)][1:] or None)
    assert shown == [("out", "Typed on the phone", True, mid)]
    with linked.views.reader.connect() as conn:
        entry = conn.execute(sa.select(dialogs)).one()
    assert (entry.last_message_text, entry.last_direction) == ("Typed on the phone", "out")


def test_our_own_sends_reported_back_in_message_any_are_not_doubled(
    linked: Container, fake: FakeWaha
) -> None:
    a_conversation(linked, fake)
    sent = sent_reply(linked)
    before = hooks(fake)
    fake.company_writes_on_phone(CLIENT, "Good morning", source="api", message_id=sent)
    fake.company_writes_on_phone(CLIENT, "Good morning", source=None, message_id=sent)
    delivered(fake, before + 2)
    assert [(r.direction, r.text, r.from_phone) for r in rows(linked)] == [
        ("in", "Hello", False), ("out", "Good morning", False)]


def test_a_clients_edit_changes_the_shown_text(linked: Container, fake: FakeWaha) -> None:
    mid = a_conversation(linked, fake)
    before = hooks(fake)
    fake.client_edits(CLIENT, mid, "Hello, world")
    delivered(fake, before + 1)
    [row] = wait_for(lambda: [r for r in rows(linked) if r.edited_at is not None] or None)
    assert row.text == "Hello, world"


@pytest.mark.parametrize("engine", ["GOWS", "WEBJS"])
def test_a_message_deleted_for_everyone_shows_as_deleted_and_keeps_its_text(
    linked: Container, fake: FakeWaha, engine: str
) -> None:
    mid = a_conversation(linked, fake)
    before = hooks(fake)
    fake.client_revokes(CLIENT, mid, engine=engine)
    fake.client_revokes(CLIENT, mid, engine=engine)  # twice is once
    delivered(fake, before + 2)
    [row] = wait_for(lambda: [r for r in rows(linked) if r.revoked_at is not None] or None)
    assert row.text == "Hello"  # kept for the audit
    revokes = [e for e in linked.store.recorder.select_events(row.dialog_id)
               if e.topic.endswith("ClientMessageRevoked")]
    assert len(revokes) == 1


def test_a_reaction_shows_on_the_clients_message_and_on_our_reply_and_can_be_taken_back(
    linked: Container, fake: FakeWaha
) -> None:
    mid = a_conversation(linked, fake)
    sent = sent_reply(linked)
    before = hooks(fake)
    fake.client_reacts(CLIENT, mid, "👍")
    fake.client_reacts(CLIENT, sent, "❤️")
    delivered(fake, before + 2)

    def shown() -> list[dict[str, str]]:
        return [reactions_of(r.reactions) for r in rows(linked)]

    wait_for(lambda: shown() == [{PHONE: "👍"}, {PHONE: "❤️"}])
    fake.client_reacts(CLIENT, sent, "")
    delivered(fake, before + 3)
    wait_for(lambda: shown() == [{PHONE: "👍"}, {}])


def test_events_about_messages_not_known_here_change_nothing(
    linked: Container, fake: FakeWaha
) -> None:
    a_conversation(linked, fake)
    head = linked.store.recorder.max_notification_id()
    before = hooks(fake)
    unknown = f"false_{CLIENT}_NOPE"
    fake.client_edits(CLIENT, unknown, "Edited")
    fake.client_revokes(CLIENT, unknown)
    fake.client_reacts(CLIENT, unknown, "👍")
    fake.company_writes_on_phone("79990000000@c.us", "To someone with no dialog")
    delivered(fake, before + 4)
    assert linked.store.recorder.max_notification_id() == head
