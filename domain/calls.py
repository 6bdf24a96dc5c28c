"""Call back: an operator asks the PBX to ring their own extension and then the client's number.
One small aggregate per call: `Requested` (who, from which extension, to which number, as the
PBX dials it, under which AMI ActionID) and `Finished` (how it ended). The dialog's timeline
shows it as an entry among the messages (projections/inbox.py).

How the PBX's answer reads (Asterisk's `OriginateResponse` event, `Reason` being the last control
frame the originated channel saw — AST_CONTROL_* in Asterisk's include/asterisk/frame.h, listed
as "Dial result" in pchero/asterisk-outbound doc/structure.rst): 4 answered, 3 still ringing
when the time ran out, 1 hung up, 5 busy, 8 congestion, 0 the call could not be placed."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import DomainError, InvalidValue

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
RULE = re.compile(r"^\+\d*=[0-9*#+]*$")
MAX_DETAIL = 200


class Outcome(StrEnum):
    RINGING = "ringing"  # requested; the PBX has not told yet
    ANSWERED = "answered"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    FAILED = "failed"


class Reason(StrEnum):
    """Why a call back failed (the panel translates these)."""

    CONGESTION = "CONGESTION"  # Reason 8: no line to the number
    CALL_FAILED = "CALL_FAILED"  # Reason 0 (or another): the PBX could not place the call
    PBX_UNREACHABLE = "PBX_UNREACHABLE"  # no TCP connection, or not an AMI banner
    PBX_LOGIN_REFUSED = "PBX_LOGIN_REFUSED"  # Login answered Response: Error
    PBX_REFUSED = "PBX_REFUSED"  # Originate answered Response: Error
    PBX_SILENT = "PBX_SILENT"  # no answer from the PBX in time
    INTERRUPTED = "INTERRUPTED"  # Switchboard stopped while the call was going on


class NoExtension(DomainError):
    """The operator has no extension among the employees' numbers (setup wizard, step 6)."""

    code = "NO_EXTENSION"


class PbxNotConfigured(DomainError):
    code = "PBX_NOT_CONFIGURED"


class NoPhoneNumber(DomainError):
    """The client writes through a messenger that gives no phone number (Telegram)."""

    code = "NO_PHONE_NUMBER"


def outcome_of(response: str, reason: str) -> tuple[Outcome, str]:
    """The outcome of an `OriginateResponse` event, and the reason code of a failure ("")."""
    if response.strip().lower() == "success":
        return Outcome.ANSWERED, ""
    match reason.strip():
        case "4":  # answered, and yet Failure: the dialplan could not go on
            return Outcome.FAILED, Reason.CALL_FAILED.value
        case "1" | "3":
            return Outcome.NO_ANSWER, ""
        case "5":
            return Outcome.BUSY, ""
        case "8":
            return Outcome.FAILED, Reason.CONGESTION.value
    return Outcome.FAILED, Reason.CALL_FAILED.value


def parse_rules(rules: str) -> list[tuple[str, str]]:
    """`"+7=8,+=810"` -> [("+7", "8"), ("+", "810")]: E.164 prefixes and what replaces them."""
    parsed = []
    for part in (p.strip() for p in rules.split(",")):
        if not part:
            continue
        if not RULE.match(part):
            raise ValueError(f"{part!r} is not a dialling rule such as +7=8")
        prefix, _, replacement = part.partition("=")
        parsed.append((prefix, replacement))
    return parsed


def dial_string(number: str, rules: str) -> str:
    """The client's E.164 number as the PBX dials it: the first rule whose prefix the number
    starts with replaces that prefix; no rule matching, the number goes as it is."""
    for prefix, replacement in parse_rules(rules):
        if number.startswith(prefix):
            return replacement + number[len(prefix):]
    return number


class CallBack(Aggregate):
    class Requested(Aggregate.Created):
        dialog_id: UUID
        operator_id: UUID
        extension: str
        number: str  # the client's, E.164
        exten: str  # the number as the PBX dials it
        action_id: str
        at: datetime
        actor: str

    class Finished(Aggregate.Event):
        outcome: str
        reason: str  # a Reason code, "" unless it failed
        detail: str  # the PBX's own words, when it said any
        at: datetime
        actor: str

    @staticmethod
    def create_id(action_id: str) -> UUID:
        return UUID(hex=action_id)  # the AMI ActionID is the call's id

    @event(Requested)
    def __init__(self, dialog_id: UUID, operator_id: UUID, extension: str, number: str,
                 exten: str, action_id: str, at: datetime, actor: str) -> None:
        self.dialog_id = dialog_id
        self.operator_id = operator_id
        self.outcome = Outcome.RINGING.value

    @classmethod
    def request(cls, *, call_id: UUID, dialog_id: UUID, operator_id: UUID, extension: str,
                number: str, exten: str, at: datetime, actor: str) -> CallBack:
        if not E164.match(number):
            raise NoPhoneNumber("The client has no phone number to call.", field="dialogId")
        if not extension.isdigit():
            raise NoExtension("You have no extension to ring.", field="dialogId")
        return cls(dialog_id=dialog_id, operator_id=operator_id,
                   extension=extension, number=number, exten=exten, action_id=call_id.hex,
                   at=at, actor=actor)

    @property
    def finished(self) -> bool:
        return self.outcome != Outcome.RINGING.value

    def finish(self, *, outcome: Outcome, reason: str, detail: str, at: datetime,
               actor: str) -> bool:
        """Records how the call ended; False when it ended already (a late second answer)."""
        if outcome == Outcome.RINGING:
            raise InvalidValue("A call ends answered, unanswered, busy or failed.",
                               field="outcome")
        if self.finished:
            return False
        self._finish(outcome=outcome.value, reason=reason, detail=detail[:MAX_DETAIL], at=at,
                     actor=actor)
        return True

    @event(Finished)
    def _finish(self, outcome: str, reason: str, detail: str, at: datetime, actor: str) -> None:
        self.outcome = outcome
