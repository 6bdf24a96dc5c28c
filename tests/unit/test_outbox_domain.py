"""Outgoing messages and the sync schedule as aggregates: claims and leases, backoff, statuses
that never move backwards, reports kept until the send is recorded, and the schedule's rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from domain.errors import InvalidValue
from domain.failures import RetryPolicy, retry_delay
from domain.outbox import (
    DeliveryStatus,
    EmptyMessage,
    GatewayReceipt,
    MessageTooLong,
    NotClaimable,
    NotRetryable,
    OutgoingMessage,
    outgoing_id,
)
from domain.sync import ScheduleMode, SyncSchedule, check_cron

T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
LEASE = timedelta(seconds=120)
OPERATOR = uuid4()


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def queued(text: str = "Hello", key: str = "key-1") -> OutgoingMessage:
    return OutgoingMessage.queue(dialog_id=uuid4(), client_id=uuid4(), phone="+79161234567",
                                 channel="simulator", text=text, operator_id=OPERATOR, key=key,
                                 at=T0, actor="operator:olga")


def fail(message: OutgoingMessage, worker: str, now: datetime, *, retryable: bool = True,
         max_attempts: int = 3) -> DeliveryStatus | None:
    return message.attempt_failed(worker=worker, code="NOT_CONNECTED", reason="down",
                                  retryable=retryable, now=now,
                                  policy=RetryPolicy(max_attempts=max_attempts,
                                                     first_delay_seconds=2,
                                                     max_delay_seconds=60),
                                  actor="system:sync")


def sent(external_id: str = "ext-1") -> OutgoingMessage:
    message = queued()
    message.claim(worker="w1", now=T0, lease=LEASE, actor="system:sync")
    assert message.record_sent(channel="simulator", external_id=external_id, worker="w1", at=T0,
                               actor="system:sync")
    return message


def report(message: OutgoingMessage, status: str, external_id: str = "ext-1") -> bool:
    return message.report(status=status, external_id=external_id, error_code="", error="",
                          reported_at=T0, actor="system:gateway")


def test_the_same_idempotency_key_is_the_same_message() -> None:
    assert queued(key="abc").id == queued(key="abc").id == outgoing_id("abc")
    assert queued(key="abc").id != queued(key="abd").id


def test_a_message_is_not_empty_and_at_most_4096_characters() -> None:
    with pytest.raises(EmptyMessage):
        queued(text="  \n ")
    with pytest.raises(MessageTooLong):
        queued(text="x" * 4097)
    assert queued(text="x" * 4096).text == "x" * 4096


def test_a_claimed_message_cannot_be_claimed_again_within_its_lease() -> None:
    message = queued()
    assert message.claim(worker="w1", now=T0, lease=LEASE, actor="system:sync") == 1
    assert message.status == DeliveryStatus.SENDING
    with pytest.raises(NotClaimable):
        message.claim(worker="w2", now=at(119), lease=LEASE, actor="system:sync")


def test_a_claim_neither_sent_nor_failed_within_its_lease_is_recovered_with_the_same_key() -> None:
    message = queued()
    message.claim(worker="w1", now=T0, lease=LEASE, actor="system:sync")
    key = message.send_key
    assert message.lapsed(at(120))
    assert message.claim(worker="w2", now=at(120), lease=LEASE, actor="system:sync") == 2
    assert message.send_key == key
    events = message.collect_events()
    assert isinstance(events[-1], OutgoingMessage.Claimed) and events[-1].recovered


def test_failed_attempts_back_off_exponentially_then_give_up_with_the_reason() -> None:
    message = queued()
    message.claim(worker="w1", now=T0, lease=LEASE, actor="system:sync")
    assert fail(message, "w1", T0) == DeliveryStatus.QUEUED
    assert message.next_attempt_at == at(2) and not message.due(at(1.9)) and message.due(at(2))
    message.claim(worker="w1", now=at(2), lease=LEASE, actor="system:sync")
    assert fail(message, "w1", at(2)) == DeliveryStatus.QUEUED
    assert message.next_attempt_at == at(2 + 4)
    message.claim(worker="w1", now=at(6), lease=LEASE, actor="system:sync")
    assert fail(message, "w1", at(6)) == DeliveryStatus.FAILED
    assert message.status == DeliveryStatus.FAILED and not message.claimable(at(10_000))
    assert message.failure_code == "NOT_CONNECTED"
    assert "gave up after 3 attempts" in message.failure_reason


def test_a_refusal_no_retry_can_cure_fails_at_once() -> None:
    message = queued()
    message.claim(worker="w1", now=T0, lease=LEASE, actor="system:sync")
    assert fail(message, "w1", T0, retryable=False) == DeliveryStatus.FAILED


def test_the_retry_delay_doubles_up_to_a_cap() -> None:
    first, cap = timedelta(seconds=2), timedelta(seconds=30)
    assert [retry_delay(n, first, cap).total_seconds() for n in range(1, 7)] == [
        2, 4, 8, 16, 30, 30]


def test_a_late_answer_from_a_worker_whose_claim_was_taken_over_counts_only_if_it_sent() -> None:
    message = queued()
    message.claim(worker="w1", now=T0, lease=LEASE, actor="system:sync")
    message.claim(worker="w2", now=at(200), lease=LEASE, actor="system:sync")
    assert fail(message, "w1", at(201)) is None  # w2 holds it now
    assert message.record_sent(channel="simulator", external_id="ext-1", worker="w1",
                               at=at(202), actor="system:sync")
    assert not message.record_sent(channel="simulator", external_id="ext-1", worker="w2",
                                   at=at(203), actor="system:sync")
    assert message.status == DeliveryStatus.SENT


def test_statuses_never_move_backwards_and_a_repeat_records_nothing() -> None:
    message = sent()
    assert report(message, "read")
    assert not report(message, "delivered")
    assert not report(message, "read")
    assert not report(message, "sent")
    assert not report(message, "failed")  # the phone had it: a failure now is stale
    assert message.status == DeliveryStatus.READ
    assert report(message, "played")


def test_a_report_about_another_id_or_an_earlier_round_is_ignored() -> None:
    message = sent("ext-1")
    assert not report(message, "delivered", external_id="ext-2")
    assert message.status == DeliveryStatus.SENT


def test_a_gateway_failure_can_be_retried_by_hand_under_a_new_key() -> None:
    message = sent("ext-1")
    assert message.report(status="failed", external_id="ext-1", error_code="OUTSIDE_REPLY_WINDOW",
                          error="24 hours", reported_at=T0, actor="system:gateway")
    assert (message.status, message.failure_code) == (DeliveryStatus.FAILED,
                                                      "OUTSIDE_REPLY_WINDOW")
    first_key = message.send_key
    message.retry(operator_id=OPERATOR, now=at(5), actor="operator:olga")
    assert message.status == DeliveryStatus.QUEUED and message.due(at(5))
    assert message.send_key != first_key and message.external_id is None
    assert not report(message, "delivered", external_id="ext-1")


def test_a_failure_before_any_send_is_retried_under_the_same_key() -> None:
    message = queued()
    message.claim(worker="w1", now=T0, lease=LEASE, actor="system:sync")
    fail(message, "w1", T0, retryable=False)
    key = message.send_key
    message.retry(operator_id=OPERATOR, now=at(1), actor="operator:olga")
    assert message.send_key == key and message.attempts == 0


def test_only_a_failed_message_is_retried() -> None:
    with pytest.raises(NotRetryable):
        queued().retry(operator_id=OPERATOR, now=T0, actor="operator:olga")


def test_an_interrupted_claim_on_a_gateway_without_keys_fails_as_uncertain() -> None:
    message = queued()
    message.claim(worker="w1", now=T0, lease=LEASE, actor="system:sync")
    with pytest.raises(NotClaimable):
        message.give_up_uncertain(now=at(10), actor="system:sync")
    message.give_up_uncertain(now=at(120), actor="system:sync")
    assert (message.status, message.failure_code) == (DeliveryStatus.FAILED,
                                                      "DELIVERY_UNCERTAIN")


def test_a_receipt_keeps_early_reports_once_and_hands_them_over_when_linked() -> None:
    receipt = GatewayReceipt(channel="simulator", external_id="ext-1", message_id=None,
                             actor="system:gateway")
    assert receipt.keep(status="read", reported_at=T0, error_code="", error="", actor="g")
    assert not receipt.keep(status="read", reported_at=T0, error_code="", error="", actor="g")
    message_id = uuid4()
    assert [k[0] for k in receipt.link(message_id, actor="system:sync")] == ["read"]
    assert receipt.link(message_id, actor="system:sync") == []


# -- the schedule ---------------------------------------------------------------------------
def test_a_schedule_is_an_interval_or_a_valid_cron_expression() -> None:
    schedule = SyncSchedule.create(enabled=True, mode="interval", interval_seconds=5, cron="",
                                   actor="operator:admin")
    assert schedule.state().mode == ScheduleMode.INTERVAL
    assert schedule.configure(enabled=True, mode="cron", interval_seconds=5,
                              cron=" */5  9-18 * * mon-fri ", actor="operator:admin")
    assert schedule.cron == "*/5 9-18 * * mon-fri"
    assert not schedule.configure(enabled=True, mode="cron", interval_seconds=5,
                                  cron="*/5 9-18 * * mon-fri", actor="operator:admin")
    for bad in ("* * * *", "61 * * * *", "* 24 * * *", "5-1 * * * *", "*/0 * * * *",
                "* * * foo *"):
        with pytest.raises(InvalidValue):
            check_cron(bad)
    with pytest.raises(InvalidValue):
        schedule.configure(enabled=True, mode="interval", interval_seconds=0, cron="",
                           actor="operator:admin")
    with pytest.raises(InvalidValue):
        schedule.configure(enabled=True, mode="hourly", interval_seconds=5, cron="",
                           actor="operator:admin")
