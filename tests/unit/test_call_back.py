"""Call back's pieces on their own: how a number is dialled, how the PBX's answer reads, the
call's aggregate, and one AMI conversation against the fake manager interface on loopback —
answered, busy, a wrong secret, a refused Originate, a PBX that never tells the outcome, and
nothing listening."""

from __future__ import annotations

import socket
from dataclasses import replace
from datetime import UTC, datetime
from uuid import uuid4

import pytest

from domain.calls import CallBack, NoPhoneNumber, Outcome, Reason, dial_string, outcome_of
from infra.pbx_ami import AmiAccess, AmiConversation
from infra.pbx_ami_fake import SECRET, USER, FakeAmi

AT = datetime(2026, 12, 9, 10, 0, tzinfo=UTC)


def access(port: int, secret: str = SECRET) -> AmiAccess:
    return AmiAccess(host="127.0.0.1", port=port, user=USER, secret=secret,
                     channel="Local/{extension}@internal-originate", context="all_peers",
                     ring_seconds=20, timeout_seconds=5.0)


async def call(fake_port: int, secret: str = SECRET) -> tuple[str, str]:
    result = await AmiConversation(access(fake_port, secret)).call(
        extension="201", exten="89161234567", caller_id='"Ivan" <89161234567>',
        action_id=uuid4().hex)
    return result.outcome.value, result.reason


def test_a_russian_number_is_dialled_with_8_and_a_foreign_one_with_810() -> None:
    rules = "+7=8,+=810"
    assert dial_string("+79161234567", rules) == "89161234567"
    assert dial_string("+4930123456", rules) == "8104930123456"
    assert dial_string("+4930123456", "") == "+4930123456"


def test_the_pbx_reasons_read_as_outcomes() -> None:
    assert outcome_of("Success", "4") == (Outcome.ANSWERED, "")
    assert outcome_of("Failure", "5") == (Outcome.BUSY, "")
    assert outcome_of("Failure", "3") == (Outcome.NO_ANSWER, "")
    assert outcome_of("Failure", "8") == (Outcome.FAILED, Reason.CONGESTION.value)
    assert outcome_of("Failure", "0") == (Outcome.FAILED, Reason.CALL_FAILED.value)


def test_a_call_ends_once_and_needs_a_phone_number() -> None:
    with pytest.raises(NoPhoneNumber):
        CallBack.request(call_id=uuid4(), dialog_id=uuid4(), operator_id=uuid4(),
                         extension="201", number="tg:42", exten="tg:42", at=AT, actor="o")
    call = CallBack.request(call_id=uuid4(), dialog_id=uuid4(), operator_id=uuid4(),
                            extension="201", number="+79161234567", exten="89161234567",
                            at=AT, actor="o")
    assert call.finish(outcome=Outcome.BUSY, reason="", detail="", at=AT, actor="pbx")
    assert not call.finish(outcome=Outcome.ANSWERED, reason="", detail="", at=AT, actor="pbx")
    assert call.outcome == "busy"


async def test_an_answered_call_logs_in_originates_and_logs_off() -> None:
    with FakeAmi(outcome="answered") as fake:
        assert await call(fake.port) == ("answered", "")
    actions = [a["action"] for a in fake.actions]
    assert actions == ["Login", "Originate", "Logoff"]
    originate = fake.originates()[0]
    assert originate["channel"] == "Local/201@internal-originate"
    assert (originate["exten"], originate["context"], originate["priority"],
            originate["async"], originate["timeout"]) == (
        "89161234567", "all_peers", "1", "true", "20000")


async def test_a_busy_client_line_reads_busy() -> None:
    with FakeAmi(outcome="busy") as fake:
        assert await call(fake.port) == ("busy", "")


async def test_a_wrong_secret_fails_the_call_without_originating() -> None:
    with FakeAmi() as fake:
        assert await call(fake.port, secret="wrong") == ("failed", "PBX_LOGIN_REFUSED")
    assert fake.originates() == []


async def test_a_refused_originate_fails_the_call() -> None:
    with FakeAmi(refuse_originate=True) as fake:
        assert await call(fake.port) == ("failed", "PBX_REFUSED")


async def test_a_pbx_that_never_tells_the_outcome_fails_the_call_after_its_deadline() -> None:
    with FakeAmi(outcome="never") as fake:
        conversation = AmiConversation(replace(access(fake.port), ring_seconds=0.1,
                                               timeout_seconds=0.2))
        result = await conversation.call(extension="201", exten="89161234567",
                                         caller_id="x", action_id=uuid4().hex)
    assert (result.outcome, result.reason, result.detail) == (
        Outcome.FAILED, "PBX_SILENT", "no answer from the PBX")
    assert len(fake.originates()) == 1


async def test_nothing_listening_fails_the_call_as_unreachable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: connections are refused
        assert await call(port) == ("failed", "PBX_UNREACHABLE")
