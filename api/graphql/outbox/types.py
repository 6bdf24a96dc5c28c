"""Outgoing messages and the sync job as the API shows them."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry

from api.graphql.time import utc


@strawberry.enum(description="queued (waiting for the sync job; a retry waits for its time) -> "
                             "sending -> sent -> delivered -> read (played: a voice message "
                             "listened to); failed: given up or refused, with the reason — "
                             "an operator may retry it.")
class DeliveryStatus(Enum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    PLAYED = "played"
    FAILED = "failed"


@strawberry.enum(description="Every N seconds, or by a cron expression.")
class SyncMode(Enum):
    INTERVAL = "interval"
    CRON = "cron"


def _when(value: datetime | None) -> datetime | None:
    return utc(value) if value is not None else None


@strawberry.type(description="A message an operator wrote to a client, and how far it got.")
class OutgoingMessage:
    id: strawberry.ID
    dialog_id: strawberry.ID
    text: str
    status: DeliveryStatus
    attempts: int = 0
    failure_code: str | None = strawberry.field(
        default=None, description="Why it failed (or why the last attempt failed while it "
                                  "waits to be retried): a stable code the panel translates.")
    failure_reason: str | None = None
    queued_at: datetime | None = None
    next_attempt_at: datetime | None = None
    sent_at: datetime | None = None
    delivered_at: datetime | None = None
    read_at: datetime | None = None

    @classmethod
    def of(cls, row: Any) -> OutgoingMessage:
        """From a row of the outbox read model."""
        waiting = row.status == "queued"
        return cls(
            id=strawberry.ID(str(row.id)), dialog_id=strawberry.ID(str(row.dialog_id)),
            text=row.text_preview, status=DeliveryStatus(row.status), attempts=row.attempts,
            failure_code=row.failure_code, failure_reason=row.failure_reason,
            queued_at=_when(row.queued_at),
            next_attempt_at=_when(row.wake_at) if waiting else None,
            sent_at=_when(row.sent_at), delivered_at=_when(row.delivered_at),
            read_at=_when(row.read_at))


@strawberry.type
class SendMessageSuccess:
    outgoing: OutgoingMessage
    duplicate: bool = strawberry.field(
        description="The same idempotency key was sent before: this is that message.")


@strawberry.type
class StartDialogSuccess:
    dialog_id: strawberry.ID
    outgoing: OutgoingMessage
    new_dialog: bool = strawberry.field(description="False: the client's open dialog was used.")


@strawberry.type
class RetryMessageSuccess:
    outgoing: OutgoingMessage


@strawberry.type(description="The scheduled sync job's schedule (\"Synchronise messages\").")
class SyncSettings:
    enabled: bool
    mode: SyncMode
    interval_seconds: int
    cron: str
    timezone: str
    is_default: bool = strawberry.field(
        description="Nobody has set it yet: the installation's defaults apply.")
    changed_at: datetime | None
    changed_by: str | None
    next_run_at: datetime | None = strawberry.field(
        description="When this replica's scheduler runs the job next (null: off, or the "
                    "scheduler does not run here).")
    waiting: int = strawberry.field(description="Outgoing messages queued or being sent.")
    failed: int = strawberry.field(description="Outgoing messages failed, awaiting a retry.")


@strawberry.type
class UpdateSyncSettingsSuccess:
    settings: SyncSettings


@strawberry.type(description="What one run of the job did.")
class SyncRunReport:
    claimed: int
    sent: int
    retrying: int
    failed: int
    uncertain: int

    @classmethod
    def of(cls, report: dict[str, Any]) -> SyncRunReport:
        return cls(claimed=report["claimed"], sent=report["sent"], retrying=report["retrying"],
                   failed=report["failed"], uncertain=report["uncertain"])


@strawberry.type
class RunSyncNowSuccess:
    finished: bool = strawberry.field(
        description="False: a run is going on already (here or in another replica), or this "
                    "one takes longer than the request waits; it carries on.")
    report: SyncRunReport | None


@strawberry.type
class HealthWarning:
    code: str = strawberry.field(description="SCHEDULER_NOT_RUNNING, LOCK_HELD_TOO_LONG, "
                                             "SYNC_OFF_WHILE_QUEUED or QUEUED_TOO_LONG.")
    message: str
    since: datetime | None


@strawberry.type(description="The sync job's health, as the replica that answers sees it.")
class Health:
    ok: bool
    replica: str
    checked_at: datetime
    warnings: list[HealthWarning]
    scheduler_running: bool
    runs_here: bool = strawberry.field(description="Whether this replica runs the job.")
    sync_enabled: bool
    next_run_at: datetime | None
    last_run_at: datetime | None
    last_run: SyncRunReport | None
    queued: int
    sending: int
    failed: int
    oldest_due_at: datetime | None
    lock_held_since: datetime | None


@strawberry.type(description="Replies in a dialog changed: queued, sent, delivered, read or "
                             "failed.")
class OutgoingChange:
    dialog_id: strawberry.ID
    message_ids: list[strawberry.ID]
