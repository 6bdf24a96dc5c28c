from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from domain.clients import Client
from domain.dialogs import Dialog, ExternalMessage
from domain.errors import AlreadyExists, InvalidValue, NotAllowed, NotFound
from domain.ids import message_id, operator_id
from domain.operators import Operator, Role
from domain.queue import EmployeeQueue
from domain.routing import QUEUE, route


def a_dialog(recipients: list) -> Dialog:
    return Dialog.open(client_id=uuid4(), phone="+79161234567", client_name="Ivan",
                       channel="simulator", recipients=recipients, rule=QUEUE, actor="test")


def receive(dialog: Dialog, text: str = "hi") -> None:
    dialog.receive(message_id=uuid4(), external_id=uuid4().hex, text=text,
                   sent_at=datetime.now(UTC), actor="test")


def test_an_operator_login_is_normalised_and_names_the_operator_id() -> None:
    operator = Operator.register(login="  Olga.K ", display_name="", role=Role.OPERATOR,
                                 password_hash="h", actor="test")
    assert operator.login == "olga.k"
    assert operator.display_name == "olga.k"
    assert operator.id == operator_id("OLGA.K")


@pytest.mark.parametrize("login", ["", "a", "with space", "кириллица", "x" * 65])
def test_a_malformed_login_is_refused_with_the_field(login: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        Operator.register(login=login, display_name="", role=Role.OPERATOR, password_hash="h",
                          actor="test")
    assert refused.value.field == "login"


def test_every_operator_event_carries_who_acted() -> None:
    operator = Operator.register(login="olga", display_name="Olga", role=Role.ADMIN,
                                 password_hash="h", actor="operator:admin")
    operator.rename("Olga K.", actor="operator:admin")
    operator.deactivate(actor="operator:boss")
    assert [e.actor for e in operator.collect_events()] == [
        "operator:admin", "operator:admin", "operator:boss"]


def test_a_deactivated_operator_cannot_change_password() -> None:
    operator = Operator.register(login="olga", display_name="", role=Role.OPERATOR,
                                 password_hash="h", actor="t")
    operator.deactivate(actor="t")
    with pytest.raises(NotAllowed):
        operator.change_password("h2", actor="t")


def test_the_queue_refuses_a_member_twice_and_a_stranger_leaving() -> None:
    queue = EmployeeQueue(actor="t")
    member = uuid4()
    queue.add_member(member, actor="t")
    with pytest.raises(AlreadyExists):
        queue.add_member(member, actor="t")
    with pytest.raises(NotFound):
        queue.remove_member(uuid4(), actor="t")
    queue.remove_member(member, actor="t")
    assert queue.members == []


def test_a_client_phone_must_be_e164() -> None:
    with pytest.raises(InvalidValue):
        Client.register(phone="8 916 123", name="", actor="t")
    client = Client.register(phone="+79161234567", name=" Ivan ", actor="t")
    assert client.name == "Ivan"


def test_a_client_starts_episodes_one_after_another() -> None:
    client = Client.register(phone="+79161234567", name="Ivan", actor="t")
    first, second = uuid4(), uuid4()
    client.start_episode(first, actor="t")
    client.start_episode(second, actor="t")
    assert client.current_dialog_id == second
    assert client.episodes == 2


def test_renaming_a_client_to_the_same_name_records_nothing() -> None:
    client = Client.register(phone="+79161234567", name="Ivan", actor="t")
    client.collect_events()
    client.rename("Ivan", actor="t")
    assert client.collect_events() == []


def test_with_no_routing_rule_every_queue_member_receives_the_message() -> None:
    members = [uuid4(), uuid4(), uuid4()]
    chosen = route("any text at all", members)
    assert chosen.recipients == members
    assert chosen.rule == QUEUE


def test_marking_read_is_for_recipients_only_and_records_only_news() -> None:
    olga, ivan = uuid4(), uuid4()
    dialog = a_dialog([olga])
    receive(dialog)
    receive(dialog)
    with pytest.raises(NotAllowed):
        dialog.mark_read(ivan, actor="t")
    assert dialog.mark_read(olga, actor="t") is True
    assert dialog.read_up_to[olga] == 2
    assert dialog.mark_read(olga, actor="t") is False


def test_an_external_message_id_names_one_aggregate_per_channel() -> None:
    recorded = ExternalMessage(channel="waha", external_id="abc", dialog_id=uuid4(), actor="t")
    assert recorded.id == message_id("waha", "abc")
    assert recorded.id != message_id("cloud", "abc")



def test_the_writer_cache_remembers_absence_and_forgets_the_least_recently_used() -> None:
    from infra.writer import AggregateCache

    cache = AggregateCache(maxsize=2)
    queue, absent, unknown = EmployeeQueue(actor="t"), uuid4(), uuid4()
    cache.put(queue.id, queue)
    cache.put(absent, None)
    assert cache.lookup(queue.id) == (True, queue)
    assert cache.lookup(absent) == (True, None)
    assert cache.lookup(unknown) == (False, None)
    cache.put(unknown, None)
    assert cache.lookup(queue.id) == (False, None)  # the least recently used went
    cache.evict([absent])
    assert len(cache) == 1
