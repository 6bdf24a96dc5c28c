"""What gateways report besides new messages: a client deletes a message for everyone (shown as
deleted, the text kept), reacts with an emoji to any message of the dialog (an empty one takes
it back), and the company replies on the linked phone itself (shown as its reply, but never our
own sends reported back)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.domain import Aggregate

from application.conversation import (
    HANDLERS,
    ReactToMessage,
    RecordPhoneReply,
    RevokeClientMessage,
    react_to_message,
    record_phone_reply,
    revoke_client_message,
)
from application.registry import all_handlers
from domain.clients import Client
from domain.dialogs import MAX_REACTION, Dialog, ExternalMessage
from domain.errors import InvalidValue
from domain.ids import message_id
from domain.outbox import GatewayReceipt, OutgoingMessage
from domain.routing import QUEUE

NOW = datetime(2026, 12, 8, 12, 0, tzinfo=UTC)
PHONE = "+79991234567"


def a_dialog() -> Dialog:
    return Dialog.open(client_id=uuid4(), phone=PHONE, client_name="Ivan", channel="waha",
                       recipients=[], rule=QUEUE, actor="test")


def received(dialog: Dialog, text: str = "Hello") -> UUID:
    mid = uuid4()
    dialog.receive(message_id=mid, external_id=mid.hex, text=text, sent_at=NOW, actor="test")
    return mid


def of_type(dialog: Dialog, cls: type[Any]) -> list[Any]:
    return [e for e in dialog.collect_events() if isinstance(e, cls)]


# -- the domain -------------------------------------------------------------------------------
def test_a_revoke_records_once_who_deleted_which_message_and_when() -> None:
    dialog = a_dialog()
    mid = received(dialog)
    assert dialog.revoke_client_message(mid, NOW, actor=f"client:{PHONE}")
    assert not dialog.revoke_client_message(mid, NOW, actor=f"client:{PHONE}")
    [revoked] = of_type(dialog, Dialog.ClientMessageRevoked)
    assert (revoked.message_id, revoked.revoked_at, revoked.actor) == (
        mid, NOW, f"client:{PHONE}")


def test_a_message_this_dialog_did_not_receive_is_not_revoked() -> None:
    dialog = a_dialog()
    received(dialog)
    assert not dialog.revoke_client_message(uuid4(), NOW, actor="t")
    assert of_type(dialog, Dialog.ClientMessageRevoked) == []


def test_a_deleted_message_takes_no_more_edits() -> None:
    dialog = a_dialog()
    mid = received(dialog)
    dialog.revoke_client_message(mid, NOW, actor="t")
    assert not dialog.edit_client_message(mid, "changed", NOW, actor="t")
    assert of_type(dialog, Dialog.ClientMessageEdited) == []


def test_a_reaction_is_recorded_once_and_an_empty_one_takes_it_back() -> None:
    dialog = a_dialog()
    mid = received(dialog)
    assert dialog.react(message_id=mid, sender=PHONE, emoji="👍", at=NOW, actor="t")
    assert not dialog.react(message_id=mid, sender=PHONE, emoji="👍", at=NOW, actor="t")
    assert dialog.react(message_id=mid, sender=PHONE, emoji="❤️", at=NOW, actor="t")
    assert dialog.react(message_id=mid, sender=PHONE, emoji="", at=NOW, actor="t")
    assert not dialog.react(message_id=mid, sender=PHONE, emoji="", at=NOW, actor="t")
    assert [(e.message_id, e.sender, e.emoji, e.at) for e in
            of_type(dialog, Dialog.MessageReacted)] == [
        (mid, PHONE, "👍", NOW), (mid, PHONE, "❤️", NOW), (mid, PHONE, "", NOW)]


@pytest.mark.parametrize("emoji", ["x" * (MAX_REACTION + 1), "👍\n👎"])
def test_a_reaction_too_long_or_on_two_lines_is_refused(emoji: str) -> None:
    dialog = a_dialog()
    mid = received(dialog)
    with pytest.raises(InvalidValue) as refused:
        dialog.react(message_id=mid, sender=PHONE, emoji=emoji, at=NOW, actor="t")
    assert refused.value.field == "emoji"
    assert of_type(dialog, Dialog.MessageReacted) == []


def test_a_phone_reply_is_recorded_with_its_gateway_id_and_counts_as_nothing_unread() -> None:
    dialog = a_dialog()
    received(dialog)
    mid = uuid4()
    dialog.record_phone_reply(message_id=mid, external_id="true_1@c.us_A", text="On my way",
                              sent_at=NOW, actor="phone:waha")
    [reply] = of_type(dialog, Dialog.PhoneReplyRecorded)
    assert (reply.message_id, reply.external_id, reply.text, reply.actor) == (
        mid, "true_1@c.us_A", "On my way", "phone:waha")
    assert dialog.message_count == 1


def test_a_dialog_rebuilt_from_its_events_remembers_deletions_and_reactions() -> None:
    dialog = a_dialog()
    mid = received(dialog)
    dialog.react(message_id=mid, sender=PHONE, emoji="👍", at=NOW, actor="t")
    dialog.revoke_client_message(mid, NOW, actor="t")
    rebuilt: Dialog | None = None
    for e in dialog.collect_events():
        rebuilt = e.mutate(rebuilt)
    assert isinstance(rebuilt, Dialog)
    assert not rebuilt.revoke_client_message(mid, NOW, actor="t")
    assert not rebuilt.react(message_id=mid, sender=PHONE, emoji="👍", at=NOW, actor="t")


def test_a_snapshot_from_before_these_events_still_loads() -> None:
    dialog = a_dialog()
    mid = received(dialog)
    snapshot = Dialog.Snapshot.take(dialog)
    for name in ("revoked_messages", "reactions"):
        snapshot.state.pop(name, None)  # as snapshots taken before this release were
    old = snapshot.mutate(None)
    assert isinstance(old, Dialog)
    assert old.revoke_client_message(mid, NOW, actor="t")
    assert old.react(message_id=mid, sender=PHONE, emoji="👍", at=NOW, actor="t")


# -- the handlers, with a unit of work in memory ----------------------------------------------
class MemoryUnitOfWork:
    def __init__(self) -> None:
        self.aggregates: dict[UUID, Aggregate] = {}

    def get(self, cls: type[Any], aggregate_id: UUID) -> Any:
        found = self.aggregates.get(aggregate_id)
        return found if isinstance(found, cls) else None

    def add(self, aggregate: Aggregate) -> None:
        self.aggregates[aggregate.id] = aggregate

    def is_recorded(self, aggregate_id: UUID) -> bool:
        return aggregate_id in self.aggregates

    def events(self) -> list[Any]:
        return [e for a in self.aggregates.values() for e in a.collect_events()]


def a_conversation(uow: MemoryUnitOfWork) -> Dialog:
    """A client with a dialog, their message `false_…_IN` in it and our reply sent as
    `true_…_OUT`, as the receiving and sending handlers leave them."""
    client = Client.register(phone=PHONE, name="Ivan", actor="t")
    dialog = Dialog.open(client_id=client.id, phone=PHONE, client_name="Ivan", channel="waha",
                         recipients=[], rule=QUEUE, actor="t")
    client.start_episode(dialog.id, actor="t")
    mid = message_id("waha", "false_IN")
    dialog.receive(message_id=mid, external_id="false_IN", text="Hello", sent_at=NOW, actor="t")
    reply = OutgoingMessage.queue(dialog_id=dialog.id, client_id=client.id, phone=PHONE,
                                  channel="waha", text="Hi!", operator_id=uuid4(), key="k1",
                                  at=NOW, actor="t")
    reply.record_sent(channel="waha", external_id="true_OUT", worker="w", at=NOW, actor="t")
    for aggregate in (client, dialog, reply,
                      ExternalMessage(channel="waha", external_id="false_IN",
                                      dialog_id=dialog.id, actor="t"),
                      GatewayReceipt(channel="waha", external_id="true_OUT",
                                     message_id=reply.id, actor="t")):
        uow.add(aggregate)
    uow.events()  # stored
    return dialog


def test_every_handler_is_registered_with_the_writer() -> None:
    handlers = all_handlers()
    assert all(handlers[command] is handler for command, handler in HANDLERS.items())


def test_the_client_deletes_their_message_as_themselves() -> None:
    uow = MemoryUnitOfWork()
    dialog = a_conversation(uow)
    assert revoke_client_message(RevokeClientMessage("waha", "false_IN", NOW), uow)
    [revoked] = uow.events()
    assert isinstance(revoked, Dialog.ClientMessageRevoked)
    assert (revoked.originator_id, revoked.message_id, revoked.actor) == (
        dialog.id, message_id("waha", "false_IN"), f"client:{PHONE}")


def test_a_delete_of_an_unknown_message_changes_nothing() -> None:
    uow = MemoryUnitOfWork()
    a_conversation(uow)
    assert not revoke_client_message(RevokeClientMessage("waha", "false_NONE", NOW), uow)
    assert uow.events() == []


def test_a_reaction_finds_the_clients_message_and_our_reply() -> None:
    uow = MemoryUnitOfWork()
    a_conversation(uow)
    assert react_to_message(ReactToMessage("waha", "false_IN", PHONE, "👍", NOW), uow)
    assert react_to_message(ReactToMessage("waha", "true_OUT", PHONE, "🙏", NOW), uow)
    reply = next(a for a in uow.aggregates.values() if isinstance(a, OutgoingMessage))
    assert [(e.message_id, e.emoji) for e in uow.events()] == [
        (message_id("waha", "false_IN"), "👍"), (reply.id, "🙏")]


def test_a_reaction_to_a_message_not_known_here_changes_nothing() -> None:
    uow = MemoryUnitOfWork()
    a_conversation(uow)
    assert not react_to_message(ReactToMessage("waha", "true_NONE", PHONE, "👍", NOW), uow)
    assert uow.events() == []


def phone_reply(external_id: str = "true_PHONE", to: str = PHONE) -> RecordPhoneReply:
    return RecordPhoneReply(channel="waha", external_id=external_id, recipient=to,
                            text="Typed on the phone", sent_at=NOW)


def test_a_reply_typed_on_the_phone_shows_in_the_clients_dialog_once() -> None:
    uow = MemoryUnitOfWork()
    dialog = a_conversation(uow)
    assert record_phone_reply(phone_reply(), uow)
    assert not record_phone_reply(phone_reply(), uow)  # WAHA's retry
    recorded = uow.events()
    assert [type(e) for e in recorded] == [Dialog.PhoneReplyRecorded, ExternalMessage.Recorded]
    assert recorded[0].originator_id == dialog.id
    assert recorded[0].text == "Typed on the phone"


def test_our_own_send_reported_back_is_not_a_phone_reply() -> None:
    uow = MemoryUnitOfWork()
    a_conversation(uow)
    assert not record_phone_reply(phone_reply(external_id="true_OUT"), uow)
    assert uow.events() == []


def test_a_phone_reply_to_someone_with_no_dialog_here_is_not_recorded() -> None:
    uow = MemoryUnitOfWork()
    a_conversation(uow)
    assert not record_phone_reply(phone_reply(to="+79990000000"), uow)
    assert uow.events() == []


# -- what GraphQL shows -------------------------------------------------------------------------
def test_a_deleted_messages_text_goes_only_to_those_who_audit() -> None:
    from types import SimpleNamespace

    from api.graphql.inbox.types import Message

    row = SimpleNamespace(id=uuid4(), seq=1, direction="in", text="Wrong chat", sent_at=NOW,
                          recorded_at=NOW, revoked_at=NOW, from_phone=False,
                          reactions='{"+79991234567": "👍"}')
    operator, auditor = Message.of(row), Message.of(row, reveal_revoked=True)
    assert (operator.text, operator.revoked_at) == ("", NOW)
    assert auditor.text == "Wrong chat"
    assert [(r.sender, r.emoji) for r in operator.reactions] == [("+79991234567", "👍")]
