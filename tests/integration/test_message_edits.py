"""A client edits a message they sent (Telegram's edited messages), on both backends: the inbox
shows the new text and when it changed; an edit of a message never received, or the same edit
again, changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
import sqlalchemy as sa

from api.graphql.inbox.types import Message
from application import commands as c
from domain.dialogs import Dialog
from domain.ids import message_id
from domain.routing import QUEUE
from infra.bootstrap import Container
from infra.projection.verify import Scratch
from projections.base import Changes
from projections.inbox import InboxProjection, dialog_messages, dialogs, messages
from projections.rows import utc
from tests.conftest import caught_up, wait_for

SENT = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
EDITED = SENT + timedelta(minutes=2)


def receive(container: Container, external_id: str = "42:7", text: str = "Helo") -> UUID:
    received = container.writer.execute_sync(c.ReceiveClientMessage(
        channel="telegram", external_id=external_id, phone="tg:42", name="Ivan", text=text,
        sent_at=SENT))
    assert received.dialog_id is not None, received
    return UUID(str(received.dialog_id))


def edit(container: Container, external_id: str = "42:7", text: str = "Hello",
         at: datetime = EDITED) -> bool:
    return bool(container.writer.execute_sync(c.EditClientMessage(
        channel="telegram", external_id=external_id, text=text, edited_at=at)))


def message_row(container: Container, external_id: str = "42:7") -> Any:
    wait_for(lambda: caught_up(container))
    with container.views.reader.connect() as conn:
        return conn.execute(sa.select(messages).where(
            messages.c.id == message_id("telegram", external_id))).one()


def event_count(container: Container) -> int:
    return container.store.recorder.max_notification_id() or 0


def test_an_edited_message_shows_its_new_text_and_when_it_changed(container: Container) -> None:
    dialog_id = receive(container)
    assert message_row(container).edited_at is None
    assert edit(container)
    row = message_row(container)
    assert row.text == "Hello"
    assert utc(row.edited_at) == EDITED
    assert utc(row.sent_at) == SENT  # still where it was in the dialog
    with container.views.reader.connect() as conn:
        dialog = conn.execute(sa.select(dialogs).where(dialogs.c.id == dialog_id)).one()
        [shown] = [Message.of(r) for r in dialog_messages(conn, dialog_id, last=10,
                                                          before_seq=None)]
    assert (dialog.last_message_text, dialog.message_count) == ("Hello", 1)
    assert (shown.text, shown.edited_at) == ("Hello", EDITED)


def test_an_edit_of_an_earlier_message_leaves_the_preview_of_the_last(
        container: Container) -> None:
    dialog_id = receive(container, "42:7", "first")
    receive(container, "42:8", "second")
    assert edit(container, "42:7", "first, edited")
    assert message_row(container, "42:7").text == "first, edited"
    with container.views.reader.connect() as conn:
        preview = conn.execute(sa.select(dialogs.c.last_message_text)
                               .where(dialogs.c.id == dialog_id)).scalar_one()
    assert preview == "second"
    assert message_row(container, "42:8").edited_at is None


def test_an_edit_of_a_message_never_received_changes_nothing(container: Container) -> None:
    receive(container)
    before = event_count(container)
    assert not edit(container, external_id="42:99")
    assert not edit(container, external_id="42:7", text="Helo")  # the text it has
    assert event_count(container) == before
    row = message_row(container)
    assert (row.text, row.edited_at) == ("Helo", None)
    with container.views.reader.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(messages)).scalar_one() == 1


def test_the_same_edit_delivered_again_is_harmless(container: Container) -> None:
    receive(container)
    assert edit(container)
    after_first = event_count(container)
    assert not edit(container, at=EDITED + timedelta(seconds=5))
    assert event_count(container) == after_first
    row = message_row(container)
    assert (row.text, utc(row.edited_at)) == ("Hello", EDITED)


@pytest.mark.parametrize("batch_size", [1, 2, 10])
def test_an_edit_tells_the_recipients_live_whatever_the_batches(
        container: Container, batch_size: int) -> None:
    operator = uuid4()
    dialog = Dialog.open(client_id=uuid4(), phone="tg:42", client_name="Ivan",
                         channel="telegram", recipients=[operator], rule=QUEUE, actor="test")
    first, last = uuid4(), uuid4()
    for mid, text in ((first, "one"), (last, "two")):
        dialog.receive(message_id=mid, external_id=mid.hex, text=text, sent_at=SENT,
                       actor="test")
    dialog.edit_client_message(last, "two, edited", EDITED, actor="test")
    dialog.edit_client_message(first, "one, edited", EDITED, actor="test")
    events = list(enumerate(dialog.collect_events(), start=1))
    projection = InboxProjection()
    pushed: list[dict[str, Any]] = []
    with Scratch(container.views, projection) as scratch:
        for i in range(0, len(events), batch_size):
            with scratch.begin() as conn:
                changes = Changes()
                projection.apply_batch(conn, events[i:i + batch_size], changes)
                pushed.append(changes.as_dict())
        with scratch.begin() as conn:
            rows = {r.id: r for r in conn.execute(sa.select(messages))}
            preview = conn.execute(sa.select(dialogs.c.last_message_text)).scalar_one()
    assert (rows[first].text, rows[last].text) == ("one, edited", "two, edited")
    assert utc(rows[first].edited_at) == utc(rows[last].edited_at) == EDITED
    assert preview == "two, edited"
    last_batch = pushed[-1]  # the edit of the earlier message, alone or with others
    assert last_batch["inbox"][str(operator)] == [str(dialog.id)]
