"""Routing on both backends: the first claim wins across writers, lapsed offers move on by the
job's clock, dead replicas' sockets go offline, what-if replays equal live routing, and the
routing read models rebuild to the same rows."""

from __future__ import annotations

import contextlib
import random
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest
import sqlalchemy as sa

from application import commands as c
from application import routing as r
from application.routing_preview import what_if
from domain.dialogs import AlreadyTaken
from domain.ids import operator_id
from domain.operators import Role
from infra.bootstrap import Container, all_projections, bootstrap, ensure_first_admin
from infra.migrations import migrate
from infra.routing_jobs import replica_heartbeats
from infra.security import Argon2PasswordHasher
from projections import presence as presence_view
from projections import routing as routing_view
from projections.inbox import dialogs
from tests.conftest import caught_up, make_settings, wait_for
from tests.unit.routing_desk import FakeClock


@contextlib.contextmanager
def installation(database_url: str, clock: FakeClock | None = None, *,
                 projections: bool = True) -> Iterator[Container]:
    """A container whose routing job the test runs by hand, on the test's clock."""
    settings = make_settings(database_url, run_routing_jobs=False)
    migrate(settings)
    container = bootstrap(settings, hasher=Argon2PasswordHasher(fast=True),
                          clock=clock or FakeClock(datetime.now(UTC)))
    container.start(projections=projections)
    try:
        ensure_first_admin(container)
        yield container
    finally:
        container.stop()


def operator(container: Container, login: str, *, queue: bool = True) -> UUID:
    oid = UUID(str(container.writer.execute_sync(c.RegisterOperator(
        login=login, display_name=login.title(), role=Role.OPERATOR, password_hash="h",
        actor="test"))))
    container.writer.execute_sync(r.AddAccessMember(operator_id=oid, actor="test"))
    if queue:
        container.writer.execute_sync(c.AddQueueMember(operator_id=oid, actor="test"))
    return oid


def connect(container: Container, oid: UUID, replica: str | None = None) -> UUID:
    """A panel socket of this container's replica (or of `replica`)."""
    connection = uuid4()
    container.writer.execute_sync(r.ConnectPanel(
        operator_id=oid, connection_id=connection, replica=replica or container.routing.replica,
        at=container.clock.now(), actor="test"))
    return connection


def message(container: Container, text: str, phone: str | None = None,
            at: datetime | None = None) -> UUID:
    received = container.writer.execute_sync(c.ReceiveClientMessage(
        channel="simulator", external_id=uuid4().hex,
        phone=phone or f"+7916{random.randrange(10**7):07d}", name="Client", text=text,
        sent_at=at or container.clock.now()))
    return UUID(str(received.dialog_id))


def holder(container: Container, dialog_id: UUID) -> UUID | None:
    with container.views.reader.connect() as conn:
        found: UUID | None = conn.execute(sa.select(dialogs.c.assignee_id).where(
            dialogs.c.id == dialog_id)).scalar()
        return found


def test_two_writers_claiming_one_dialog_exactly_one_wins(database_url: str) -> None:
    with installation(database_url) as one, installation(database_url,
                                                         projections=False) as two:
        olga, petr = operator(one, "olga"), operator(one, "petr")
        did = message(one, "Здравствуйте")
        outcomes: list[object] = []
        futures = [(one if i % 2 == 0 else two).writer.submit(r.ClaimDialog(
            dialog_id=did, operator_id=who, at=one.clock.now(), actor="test"))
            for i, who in enumerate((olga, petr, petr, olga))]
        for future in futures:
            try:
                outcomes.append(future.result(timeout=30))
            except AlreadyTaken:
                outcomes.append("taken")
        assert outcomes.count(True) == 1
        assert outcomes.count(True) + outcomes.count(False) + outcomes.count("taken") == 4
        wait_for(lambda: caught_up(one))
        winner = holder(one, did)
        assert winner in (olga, petr)
        with one.views.reader.connect() as conn:
            assert presence_view.presence_of(conn, winner).holding == 1  # type: ignore[arg-type]


def test_a_lapsed_offer_moves_to_the_next_operator_on_the_jobs_clock(database_url: str) -> None:
    clock = FakeClock(datetime.now(UTC))
    with installation(database_url, clock) as container:
        container.writer.execute_sync(c.RemoveQueueMember(operator_id=operator_id("admin"),
                                                          actor="test"))
        olga, petr = operator(container, "olga"), operator(container, "petr")
        connect(container, olga)
        connect(container, petr)
        container.writer.execute_sync(r.ConfigureDistribution(
            mode="in_order", idle_timeout_seconds=30, capacity=0, reopen_window_hours=72,
            at=clock.now(), actor="test"))
        did = message(container, "Где мой заказ?")
        wait_for(lambda: caught_up(container))
        assert holder(container, did) == olga
        clock.advance(29)
        assert container.routing.tick()["forwarded"] == 0
        clock.advance(1)
        assert container.routing.tick()["forwarded"] == 1
        wait_for(lambda: caught_up(container))
        assert holder(container, did) == petr
        container.writer.execute_sync(r.ClaimDialog(dialog_id=did, operator_id=petr,
                                                    at=clock.now(), actor="test"))
        wait_for(lambda: caught_up(container))
        clock.advance(3600)
        assert container.routing.tick()["forwarded"] == 0
        assert holder(container, did) == petr


def test_the_sockets_of_a_replica_that_stopped_beating_go_offline(database_url: str) -> None:
    clock = FakeClock(datetime.now(UTC))
    with installation(database_url, clock) as container:
        olga = operator(container, "olga")
        with container.views.writer.begin() as conn:
            conn.execute(replica_heartbeats.insert().values(replica="gone", seen_at=clock.now()))
        connect(container, olga, replica="gone")
        connect(container, olga)
        wait_for(lambda: caught_up(container))
        container.routing.tick()
        with container.views.reader.connect() as conn:
            assert presence_view.presence_of(conn, olga).status.value == "online"
        clock.advance(31)  # three heartbeats of 10 s missed by "gone"
        container.routing.tick()
        wait_for(lambda: caught_up(container))
        with container.views.reader.connect() as conn:
            rows = presence_view.connections_of_replicas_other_than(conn, set())
        assert [replica for _, _, replica in rows] == [container.routing.replica]


TEXTS = ["Хочу оплатить заказ", "Пришлите счета", "Где доставка?", "refund please",
         "оплата по счету", "Привет", "my payments failed", "доставку перенести",
         "возврат денег", "Здравствуйте, оплатой картой"]


def test_what_if_with_the_current_rules_equals_live_routing(database_url: str) -> None:
    with installation(database_url) as container:
        olga, petr, anna = (operator(container, n) for n in ("olga", "petr", "anna"))
        start = container.clock.now() - timedelta(seconds=1)
        run = container.writer.execute_sync
        run(r.AddRoutingRule(rule_id=uuid4(), name="Billing", keywords=("оплата", "счёт"),
                             match="any", targets=(olga,), enabled=True, actor="test"))
        run(r.AddRoutingRule(rule_id=uuid4(), name="Delivery", keywords=("доставка",),
                             match="any", targets=(petr, anna), enabled=True, actor="test"))
        run(r.AddRoutingRule(rule_id=uuid4(), name="Refunds", keywords=("refund", "payment"),
                             match="any", targets=(anna,), enabled=True, actor="test"))
        for text in TEXTS:
            message(container, text)
        run(r.RemoveAccessMember(operator_id=olga, at=container.clock.now(), actor="test"))
        for text in TEXTS:  # billing now falls back to the queue
            message(container, text)
        run(r.AddAccessMember(operator_id=olga, actor="test"))
        until = container.clock.now() + timedelta(minutes=5)
        wait_for(lambda: caught_up(container))
        with container.views.reader.connect() as conn:
            past = routing_view.decisions_between(conn, start, until, 1000)
            current = routing_view.current_rules(conn)
        assert len(past) == 2 * len(TEXTS)
        same = what_if(past, current)
        assert same.messages == 20 and same.changed == 0
        assert same.proposed_by_operator == same.live_by_operator
        live_total: Counter[UUID] = Counter()
        for decision in past:
            live_total.update(decision.recipients)
        assert same.live_by_operator == live_total
        assert any(d.fallback for d in past)
        # A proposal without the billing rule sends billing traffic to the queue instead.
        without = what_if(past, current[1:])
        assert without.changed > 0
        assert without.by_rule[str(current[0].id)].proposed == 0
        assert without.by_rule["queue"].proposed > same.by_rule["queue"].proposed


def test_the_routing_read_models_rebuild_to_the_same_rows(database_url: str) -> None:
    clock = FakeClock(datetime.now(UTC))
    with installation(database_url, clock) as container:
        olga, petr = operator(container, "olga"), operator(container, "petr")
        run = container.writer.execute_sync
        run(r.ConfigureDistribution(mode="evenly", idle_timeout_seconds=60, capacity=2,
                                    reopen_window_hours=72, at=clock.now(), actor="test"))
        connect(container, olga)
        ids = [message(container, t) for t in TEXTS]
        connect(container, petr)
        run(r.ResolveDialog(dialog_id=ids[0], operator_id=olga, at=clock.now(), actor="test"))
        run(r.TransferDialog(dialog_id=ids[1], operator_id=olga, to_operator_id=petr,
                             note="VIP", at=clock.now(), actor="test"))
        run(r.MarkNotificationsSeen(operator_id=petr, up_to=10**9, actor="test"))
        run(r.MoveQueueMember(operator_id=petr, position=0, actor="test"))
        for text in TEXTS[:5]:
            message(container, text, phone="+79160000001")
        wait_for(lambda: caught_up(container))
        container.projector.stop()
        names = {"routing", "presence", "notifications", "inbox"}
        for projection in [p for p in all_projections() if p.name in names]:
            runner = next(x for x in container.projector.runners if x.name == projection.name)
            before = rows(container, projection.tables)
            runner.reset()
            runner.batch_size = 3
            runner.run_until_caught_up()
            assert rows(container, projection.tables) == before, projection.name


def rows(container: Container, tables: object) -> dict[str, list[tuple[str, ...]]]:
    with container.views.reader.connect() as conn:
        return {t.name: sorted(tuple(str(v) for v in row) for row in conn.execute(sa.select(t)))
                for t in tables}  # type: ignore[attr-defined]


@pytest.mark.parametrize("mode", ["evenly", "in_order"])
def test_waiting_dialogs_are_assigned_oldest_first_when_someone_comes_online(
    database_url: str, mode: str
) -> None:
    if "postgres" in database_url and mode == "in_order":
        pytest.skip("one backend suffices for the second mode")
    clock = FakeClock(datetime.now(UTC))
    with installation(database_url, clock) as container:
        container.writer.execute_sync(c.RemoveQueueMember(operator_id=operator_id("admin"),
                                                          actor="test"))
        olga = operator(container, "olga")
        container.writer.execute_sync(r.ConfigureDistribution(
            mode=mode, idle_timeout_seconds=60, capacity=2, reopen_window_hours=72,
            at=clock.now(), actor="test"))
        waiting = []
        for i in range(3):
            waiting.append(message(container, f"вопрос {i}", at=clock.advance(1)))
        connect(container, olga)
        wait_for(lambda: caught_up(container))
        assert [holder(container, d) for d in waiting] == [olga, olga, None]


def test_routing_settings_are_in_the_audit_and_time_travel(database_url: str) -> None:
    from projections.audit import trail as audit

    with installation(database_url) as container:
        olga, petr = operator(container, "olga"), operator(container, "petr")
        run = container.writer.execute_sync
        rule_id = uuid4()
        run(r.AddRoutingRule(rule_id=rule_id, name="Billing", keywords=("оплата",),
                             match="any", targets=(olga,), enabled=True, actor="test"))
        wait_for(lambda: caught_up(container))
        with container.views.reader.connect() as conn:
            before = audit.current_configuration(conn).position
        run(r.ConfigureDistribution(mode="evenly", idle_timeout_seconds=60, capacity=2,
                                    reopen_window_hours=24, at=container.clock.now(),
                                    actor="test"))
        run(r.MoveQueueMember(operator_id=petr, position=0, actor="test"))
        run(r.SwitchRoutingRule(rule_id=rule_id, enabled=False, actor="test"))
        run(r.RemoveAccessMember(operator_id=olga, at=container.clock.now(), actor="test"))
        wait_for(lambda: caught_up(container))
        with container.views.reader.connect() as conn:
            now = audit.current_configuration(conn).readable
            then = audit.sections().describe(audit.configuration_at_position(conn, before))
        assert then["distribution"]["Distribution"] == "to everybody"
        assert then["routing_rules"] == {"Rule 1: Billing": "any of оплата → olga"}
        assert then["access"]["Access group"] == "admin, olga, petr"
        assert now["distribution"]["Distribution"] == "evenly"
        assert now["distribution"]["Capacity"] == "2"
        assert now["routing_rules"] == {"Rule 1: Billing": "any of оплата → olga (off)"}
        assert now["access"]["Access group"] == "admin, petr"
        assert now["queue"]["Employee queue"] == "petr, admin"
