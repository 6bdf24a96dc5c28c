"""Distribution modes, presence, capacity, the waiting line and the dialog's lifecycle, through
the real handlers and writer on an in-memory store, with a clock the test moves."""

from __future__ import annotations

from concurrent.futures import Future
from pathlib import Path
from uuid import uuid4

import pytest

from application import commands as c
from application import routing as r
from domain.access import NotInAccessGroup
from domain.dialogs import AlreadyTaken, DialogResolved, Status
from domain.errors import NotFound
from domain.routing_rules import TargetNotEligible
from domain.waiting import WAITING_LINE_ID, WaitingLine
from tests.unit.routing_desk import Desk


@pytest.fixture
def desk(tmp_path: Path) -> Desk:
    return Desk(tmp_path)


def waiting(desk: Desk) -> list:
    try:
        line: WaitingLine = desk.store.repository.get(WAITING_LINE_ID)
    except Exception:
        return []
    return list(line.dialogs)


# -- to everybody ---------------------------------------------------------------------------
def test_to_everybody_every_queue_member_sees_it_and_nobody_holds_it(desk: Desk) -> None:
    olga, petr = desk.operator("olga"), desk.operator("petr")
    dialog = desk.dialog(desk.message())
    assert dialog.recipients == [olga, petr]
    assert dialog.assignee is None and dialog.status == Status.OPEN


def test_the_first_claim_takes_the_dialog_and_a_second_is_refused(desk: Desk) -> None:
    olga, petr = desk.operator("olga"), desk.operator("petr")
    did = desk.message()
    assert desk.claim(did, olga) is True
    with pytest.raises(AlreadyTaken):
        desk.claim(did, petr)
    assert desk.holder(did) == olga
    assert desk.claim(did, olga) is False  # holding it already: nothing recorded
    assert desk.holding(olga) == [did]


def test_two_claims_in_one_batch_exactly_one_wins(desk: Desk) -> None:
    olga, petr = desk.operator("olga"), desk.operator("petr")
    did = desk.message()
    desk.writer.start()
    try:
        futures: list[Future] = [
            desk.writer.submit(r.ClaimDialog(dialog_id=did, operator_id=oid, at=desk.now,
                                             actor="test"))
            for oid in (olga, petr, olga, petr)]
        outcomes = []
        for future in futures:
            try:
                outcomes.append(future.result(timeout=10))
            except AlreadyTaken:
                outcomes.append("taken")
    finally:
        desk.writer.stop()
    winner = desk.holder(did)
    assert outcomes.count(True) == 1
    assert outcomes.count("taken") + outcomes.count(False) == 3
    assert desk.holding(winner) == [did]  # type: ignore[arg-type]
    loser = petr if winner == olga else olga
    assert desk.holding(loser) == []


# -- evenly ---------------------------------------------------------------------------------
def test_evenly_goes_to_the_fewest_open_dialogs_then_the_longest_idle(desk: Desk) -> None:
    desk.mode("evenly")
    olga = desk.operator("olga", online=True)
    petr = desk.operator("petr", online=True)
    first = desk.message()
    assert desk.holder(first) == olga  # both free and never busy: the queue's order
    desk.clock.advance(10)
    second = desk.message()
    assert desk.holder(second) == petr  # olga has one already
    desk.clock.advance(10)
    third = desk.message()
    assert desk.holder(third) == olga  # one each: olga has been idle longer
    desk.clock.advance(10)
    desk.resolve(second, petr)
    fourth = desk.message()
    assert desk.holder(fourth) == petr  # petr holds none now
    assert desk.dialog(fourth).accepted  # evenly assigns outright: no offer to answer


def test_evenly_skips_whoever_is_away_offline_or_at_capacity(desk: Desk) -> None:
    desk.mode("evenly", capacity=1)
    olga = desk.operator("olga", online=True)
    petr = desk.operator("petr", online=True)
    anna = desk.operator("anna", online=True)
    desk.away(olga)
    desk.offline(petr)
    one = desk.message()
    assert desk.holder(one) == anna
    two = desk.message()
    assert desk.holder(two) is None  # anna is full, the others unavailable: it waits
    assert waiting(desk) == [two]
    assert desk.dialog(two).recipients == [olga, petr, anna]  # still visible to all


def test_an_operator_capacity_overrides_the_default(desk: Desk) -> None:
    desk.mode("evenly", capacity=1)
    olga = desk.operator("olga", online=True)
    desk.run(r.SetOperatorCapacity(operator_id=olga, capacity=3, at=desk.now, actor="test"))
    held = [desk.holder(desk.message()) for _ in range(4)]
    assert held == [olga, olga, olga, None]


# -- waiting dialogs ------------------------------------------------------------------------
def test_waiting_dialogs_go_at_once_oldest_first_to_an_operator_coming_online(
    desk: Desk,
) -> None:
    desk.mode("evenly", capacity=2)
    olga = desk.operator("olga")
    dialogs = []
    for _ in range(3):
        dialogs.append(desk.message())
        desk.clock.advance(5)
    assert waiting(desk) == dialogs
    assert desk.online(olga) == "online"
    assert [desk.holder(d) for d in dialogs] == [olga, olga, None]
    assert waiting(desk) == [dialogs[2]]
    desk.resolve(dialogs[0], olga)  # frees capacity: the next waiting one follows at once
    assert desk.holder(dialogs[2]) == olga
    assert waiting(desk) == []


def test_coming_back_from_away_takes_waiting_dialogs(desk: Desk) -> None:
    desk.mode("in_order")
    olga = desk.operator("olga", online=True)
    desk.away(olga)
    did = desk.message()
    assert desk.holder(did) is None
    desk.run(r.ChoosePresence(operator_id=olga, status="online", at=desk.now, actor="test"))
    assert desk.holder(did) == olga


def test_the_retry_job_command_assigns_what_waits(desk: Desk) -> None:
    desk.mode("evenly", capacity=1)
    olga = desk.operator("olga", online=True)
    first, second = desk.message(), desk.message()
    assert desk.holder(second) is None
    desk.run(r.ConfigureDistribution(mode="evenly", idle_timeout_seconds=60, capacity=0,
                                     reopen_window_hours=72, at=desk.now, actor="test"))
    assert desk.holder(first) == desk.holder(second) == olga
    assert desk.run(r.AssignWaitingDialogs(at=desk.now)) == 0


# -- strictly in order ----------------------------------------------------------------------
def test_in_order_offers_to_one_at_a_time_and_moves_on_after_the_idle_timeout(
    desk: Desk,
) -> None:
    desk.mode("in_order", timeout=60)
    olga = desk.operator("olga", online=True)
    petr = desk.operator("petr", online=True)
    anna = desk.operator("anna", online=True)
    did = desk.message()
    assert desk.holder(did) == olga and not desk.dialog(did).accepted
    desk.clock.advance(59)
    assert desk.forward(did) is None  # not yet
    desk.clock.advance(1)
    assert desk.forward(did) == petr
    assert desk.holding(olga) == [] and desk.holding(petr) == [did]
    desk.clock.advance(60)
    assert desk.forward(did) == anna
    desk.clock.advance(60)
    assert desk.forward(did) == olga  # round again


def test_in_order_an_answered_offer_stays(desk: Desk) -> None:
    desk.mode("in_order", timeout=30)
    olga = desk.operator("olga", online=True)
    desk.operator("petr", online=True)
    did = desk.message()
    desk.clock.advance(10)
    assert desk.claim(did, olga) is True  # accepting the offer
    desk.clock.advance(600)
    assert desk.forward(did) is None
    assert desk.holder(did) == olga


def test_in_order_skips_the_unavailable_and_keeps_the_offer_when_nobody_else_can(
    desk: Desk,
) -> None:
    desk.mode("in_order", timeout=60)
    olga = desk.operator("olga", online=True)
    petr = desk.operator("petr")  # offline
    anna = desk.operator("anna", online=True)
    did = desk.message()
    desk.clock.advance(60)
    assert desk.forward(did) == anna
    desk.away(olga)
    desk.clock.advance(60)
    assert desk.forward(did) is None and desk.holder(did) == anna
    desk.online(petr)
    assert desk.forward(did) == petr


def test_in_order_follows_the_queue_order_which_admins_change(desk: Desk) -> None:
    desk.mode("in_order")
    olga = desk.operator("olga", online=True)
    petr = desk.operator("petr", online=True)
    desk.run(r.MoveQueueMember(operator_id=petr, position=0, actor="test"))
    assert desk.holder(desk.message()) == petr
    assert olga != petr


# -- transfer, resolve, reopen --------------------------------------------------------------
def test_transfer_hands_the_dialog_over_and_counts_capacity(desk: Desk) -> None:
    olga = desk.operator("olga")
    petr = desk.operator("petr", queue=False)  # in the group, not the queue
    did = desk.message()
    desk.claim(did, olga)
    desk.run(r.TransferDialog(dialog_id=did, operator_id=olga, to_operator_id=petr,
                              note="VIP", at=desk.now, actor="test"))
    dialog = desk.dialog(did)
    assert dialog.assignee == petr and petr in dialog.recipients
    assert desk.holding(olga) == [] and desk.holding(petr) == [did]


def test_only_the_holder_or_an_admin_transfers_and_never_outside_the_group(desk: Desk) -> None:
    olga, petr = desk.operator("olga"), desk.operator("petr")
    stranger = desk.operator("ivan", queue=False, group=False)
    boss = desk.operator("boss", queue=False, admin=True)
    did = desk.message()
    desk.claim(did, olga)
    with pytest.raises(AlreadyTaken):
        desk.run(r.TransferDialog(dialog_id=did, operator_id=petr, to_operator_id=petr,
                                  note="", at=desk.now, actor="test"))
    with pytest.raises(TargetNotEligible):
        desk.run(r.TransferDialog(dialog_id=did, operator_id=olga, to_operator_id=stranger,
                                  note="", at=desk.now, actor="test"))
    desk.run(r.TransferDialog(dialog_id=did, operator_id=boss, to_operator_id=petr, note="",
                              at=desk.now, actor="test"))
    assert desk.holder(did) == petr


def test_a_resolved_dialog_reopens_with_the_next_message_to_whoever_held_it(desk: Desk) -> None:
    olga, petr = desk.operator("olga"), desk.operator("petr")
    did = desk.message(phone="+79160000001")
    desk.claim(did, petr)
    desk.resolve(did, petr)
    assert desk.dialog(did).status == Status.RESOLVED
    with pytest.raises(DialogResolved):
        desk.claim(did, olga)
    desk.clock.advance(3600)
    again = desk.message("А ещё вопрос", phone="+79160000001")
    assert again == did
    dialog = desk.dialog(did)
    assert dialog.status == Status.ASSIGNED and dialog.assignee == petr


def test_after_the_reopen_window_the_client_starts_a_new_episode(desk: Desk) -> None:
    desk.mode("everybody", reopen_hours=24)
    olga = desk.operator("olga")
    did = desk.message(phone="+79160000002")
    desk.resolve(did, olga)
    desk.clock.advance(24 * 3600)
    again = desk.message("Новый вопрос", phone="+79160000002")
    assert again != did
    assert desk.dialog(again).status == Status.OPEN


# -- the access group -----------------------------------------------------------------------
def test_an_operator_outside_the_group_may_not_claim_read_or_send(desk: Desk) -> None:
    olga = desk.operator("olga")
    did = desk.message()
    desk.run(r.RemoveAccessMember(operator_id=olga, at=desk.now, actor="test"))
    with pytest.raises(NotInAccessGroup):
        desk.claim(did, olga)
    with pytest.raises(NotFound):
        desk.run(c.MarkRead(dialog_id=did, operator_id=olga, actor="test"))
    uow_dialog = desk.dialog(did)
    assert uow_dialog.may_read(olga)  # delivered before she left, but the group decides


def test_leaving_the_group_leaves_the_queue_and_hands_dialogs_on(desk: Desk) -> None:
    desk.mode("evenly")
    olga = desk.operator("olga", online=True)
    petr = desk.operator("petr", online=True)
    did = desk.message()
    assert desk.holder(did) == olga
    desk.run(r.RemoveAccessMember(operator_id=olga, at=desk.now, actor="test"))
    assert desk.holder(did) == petr
    assert desk.holding(olga) == []
    assert desk.dialog(desk.message()).recipients == [petr]


def test_a_queue_member_must_be_in_the_group_unless_access_is_granted(desk: Desk) -> None:
    ivan = desk.operator("ivan", queue=False, group=False)
    with pytest.raises(NotInAccessGroup):
        desk.run(c.AddQueueMember(operator_id=ivan, actor="test", grant_access=False))
    desk.run(c.AddQueueMember(operator_id=ivan, actor="test"))  # grants access, recorded
    desk.run(r.RemoveAccessMember(operator_id=ivan, at=desk.now, actor="test"))
    assert desk.dialog(desk.message()).recipients == []


def test_the_access_group_is_seeded_from_an_older_queue_once(desk: Desk) -> None:
    assert desk.run(r.SeedAccessGroup(actor="system")) is False


# -- rules through the handlers -------------------------------------------------------------
def test_a_rule_sends_matching_messages_to_its_targets_only(desk: Desk) -> None:
    olga, petr = desk.operator("olga"), desk.operator("petr")
    rid = desk.run(r.AddRoutingRule(rule_id=uuid4(), name="Billing", keywords=("оплата",),
                                    match="any", targets=(petr,), enabled=True, actor="test"))
    assert desk.dialog(desk.message("Не проходит оплатой картой")).recipients == [petr]
    assert desk.dialog(desk.message("Привет")).recipients == [olga, petr]
    desk.run(r.RemoveAccessMember(operator_id=petr, at=desk.now, actor="test"))
    fallback = desk.dialog(desk.message("оплату внёс"))
    assert fallback.recipients == [olga] and fallback.to_queue
    assert rid


def test_a_rule_target_outside_the_group_or_queue_is_refused_with_a_reason(desk: Desk) -> None:
    outsider = desk.operator("ivan", queue=False, group=False)
    member = desk.operator("petr", queue=False)
    for oid, reason in ((outsider, "access group"), (member, "employee queue")):
        with pytest.raises(TargetNotEligible) as refused:
            desk.run(r.AddRoutingRule(rule_id=uuid4(), name="x", keywords=("оплата",),
                                      match="any", targets=(oid,), enabled=True, actor="t"))
        assert reason in refused.value.message and refused.value.field == "targets"
