from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry

from api.graphql.time import utc


@strawberry.enum(description="ringing (asked of the PBX) -> answered (your phone picked up and "
                             "the PBX dials the client) | no_answer | busy | failed (see "
                             "`reason`).")
class CallStatus(Enum):
    RINGING = "ringing"
    ANSWERED = "answered"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    FAILED = "failed"


@strawberry.type(description="A call back in a dialog's timeline: the PBX rings the operator's "
                             "extension, then the client's number.")
class CallEntry:
    status: CallStatus
    extension: str = strawberry.field(description="The operator's extension that rang.")
    number: str = strawberry.field(description="The client's number called (E.164).")
    reason: str | None = strawberry.field(
        default=None, description="Why it failed, a code the panel translates: CONGESTION, "
                                  "CALL_FAILED, PBX_UNREACHABLE, PBX_LOGIN_REFUSED, "
                                  "PBX_REFUSED, PBX_SILENT (no answer from the PBX), "
                                  "INTERRUPTED.")
    detail: str | None = strawberry.field(default=None,
                                          description="The PBX's own words, if any.")
    finished_at: datetime | None = None

    @classmethod
    def of(cls, row: Any) -> CallEntry | None:
        status = getattr(row, "call_status", None)
        if not status:
            return None
        finished = getattr(row, "call_finished_at", None)
        return cls(status=CallStatus(status), extension=row.call_extension or "",
                   number=row.call_number or "", reason=row.call_reason or None,
                   detail=row.call_detail or None,
                   finished_at=utc(finished) if finished is not None else None)


@strawberry.type(description="The PBX was asked to ring your extension and then the client; "
                             "the outcome shows in the dialog's messages (`Message.call`).")
class CallBackSuccess:
    call_id: strawberry.ID = strawberry.field(description="The call's entry among the dialog's "
                                                          "messages (`Message.id`).")
    dialog_id: strawberry.ID
    extension: str
    number: str
    status: CallStatus = CallStatus.RINGING


@strawberry.type(description="Whether you can call clients back, and if not why: "
                             "PBX_NOT_CONFIGURED or NO_EXTENSION.")
class CallBackAvailability:
    available: bool
    refusal: str | None = None
    extension: str = ""
