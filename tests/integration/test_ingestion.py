"""The writer on both backends: repeated deliveries change nothing, concurrent ones are stored
together, and a refused command does not take its neighbours down with it."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from application import commands as c
from domain.errors import AlreadyExists
from domain.ids import operator_id
from domain.operators import Role
from infra.bootstrap import Container
from infra.eventstore import open_event_store
from projections.inbox import dialog_recipients, dialogs, messages
from tests.conftest import caught_up, make_settings, running_container, wait_for


def message(external_id: str, phone: str = "+79161234567", text: str = "hi") -> Any:
    return c.ReceiveClientMessage(channel="simulator", external_id=external_id, phone=phone,
                                  name="Ivan", text=text, sent_at=datetime.now(UTC))


def count(container: Container, table: sa.Table) -> int:
    with container.views.reader.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def event_count(container: Container) -> int:
    return container.store.recorder.max_notification_id() or 0


def test_the_same_delivery_twice_changes_nothing_the_second_time(container: Container) -> None:
    first = container.writer.execute_sync(message("wamid-1"))
    events_after_first = event_count(container)
    second = container.writer.execute_sync(message("wamid-1"))
    assert not first.duplicate and second.duplicate
    assert second.dialog_id == first.dialog_id
    assert event_count(container) == events_after_first
    wait_for(lambda: caught_up(container))
    assert count(container, messages) == 1


def test_fifty_identical_deliveries_at_once_store_one_message(container: Container) -> None:
    futures: list[Future[Any]] = [container.writer.submit(message("wamid-50"))
                                  for _ in range(50)]
    results = [f.result(timeout=30) for f in futures]
    assert sum(not r.duplicate for r in results) == 1
    assert len({r.dialog_id for r in results}) == 1
    wait_for(lambda: caught_up(container))
    assert count(container, messages) == 1


def test_concurrent_deliveries_share_transactions(container: Container,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = container.store.recorder
    transactions: list[int] = []
    original = recorder.insert_events

    def counting(stored: Any, **kwargs: Any) -> Any:
        transactions.append(len(stored))
        return original(stored, **kwargs)

    monkeypatch.setattr(recorder, "insert_events", counting)
    futures = [container.writer.submit(message(f"m{i}", phone=f"+7916000{i:04d}"))
               for i in range(200)]
    assert all(not f.result(timeout=30).duplicate for f in futures)
    assert len(transactions) < 200 / 4, transactions
    wait_for(lambda: caught_up(container))
    assert count(container, messages) == 200
    assert count(container, dialogs) == 200


def test_messages_of_one_client_in_one_batch_append_to_one_dialog(container: Container) -> None:
    futures = [container.writer.submit(message(f"m{i}", text=f"#{i}")) for i in range(30)]
    dialog_ids = {f.result(timeout=30).dialog_id for f in futures}
    assert len(dialog_ids) == 1
    wait_for(lambda: caught_up(container))
    with container.views.reader.connect() as conn:
        seqs = conn.execute(sa.select(messages.c.seq).order_by(messages.c.seq)).scalars().all()
        total = conn.execute(sa.select(dialogs.c.message_count)).scalar_one()
    assert seqs == list(range(1, 31))
    assert total == 30


def test_a_refused_command_does_not_take_its_batch_down(container: Container) -> None:
    duplicate_admin = c.RegisterOperator(login="admin", display_name="x", role=Role.ADMIN,
                                         password_hash="h", actor="t")
    futures = [container.writer.submit(message(f"ok{i}", phone=f"+7916555{i:04d}"))
               for i in range(10)]
    refused = container.writer.submit(duplicate_admin)
    futures += [container.writer.submit(message(f"ok{i}", phone=f"+7917555{i:04d}"))
                for i in range(10, 20)]
    with pytest.raises(AlreadyExists):
        refused.result(timeout=30)
    assert all(not f.result(timeout=30).duplicate for f in futures)
    wait_for(lambda: caught_up(container))
    assert count(container, messages) == 20


def test_two_writers_on_one_store_lose_and_double_nothing(database_url: str) -> None:
    """Two processes' writers (here, two containers) append to the same client's dialog with
    stale caches: the store refuses the stale batch and it is run again on fresh state."""
    settings = make_settings(database_url)
    with running_container(settings) as one, running_container(settings,
                                                                projections=False) as two:
        for i in range(20):
            writer = (one if i % 2 == 0 else two).writer
            assert not writer.execute_sync(message(f"x{i}", text=f"#{i}")).duplicate
        assert two.writer.execute_sync(message("x3")).duplicate
        wait_for(lambda: caught_up(one))
        with one.views.reader.connect() as conn:
            seqs = conn.execute(sa.select(messages.c.seq).order_by(messages.c.seq)).scalars()
            assert list(seqs) == list(range(1, 21))
            unread = conn.execute(
                sa.select(dialog_recipients.c.unread)
                .where(dialog_recipients.c.operator_id == operator_id("admin"))).scalar_one()
            assert unread == 20


def test_a_queue_member_added_by_another_process_receives_the_next_message(
    database_url: str,
) -> None:
    settings = make_settings(database_url)
    with running_container(settings) as one, running_container(settings,
                                                                projections=False) as two:
        one.writer.execute_sync(message("before", phone="+79160000001"))  # caches the queue
        olga = two.writer.execute_sync(c.RegisterOperator(
            login="olga", display_name="Olga", role=Role.OPERATOR, password_hash="h",
            actor="test"))
        two.writer.execute_sync(c.AddQueueMember(operator_id=olga, actor="test"))
        received = one.writer.execute_sync(message("after", phone="+79160000002"))
        wait_for(lambda: caught_up(one))
        with one.views.reader.connect() as conn:
            recipients = set(conn.execute(
                sa.select(dialog_recipients.c.operator_id)
                .where(dialog_recipients.c.dialog_id == received.dialog_id)).scalars())
        assert olga in recipients


def test_processes_opening_the_event_store_at_the_same_moment_all_start(
        database_url: str) -> None:
    """Replicas, projection workers and rebuild processes start together: the library creates
    its tables and replaces its function each time, which PostgreSQL refuses when two do it at
    once ("tuple concurrently updated")."""
    settings = make_settings(database_url)
    for _ in range(3):
        with ThreadPoolExecutor(6) as pool:
            stores = list(pool.map(lambda _: open_event_store(settings), range(6)))
        for store in stores:
            assert store.recorder.max_notification_id() in (None, 0)
            store.close()
