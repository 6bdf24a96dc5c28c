"""Outgoing messages and the sync schedule: commands and handlers.

Operators queue replies (`SendMessage`) and first messages (`StartDialog`); the sync job claims
queued messages (`ClaimOutgoing`), calls the gateway outside the writer, and records what
happened (`RecordSent`, `RecordSendFailure`); gateways' delivery reports arrive through
`RecordDeliveryReports`; admins set the schedule (`ConfigureSync`, `RequestSyncRun`).

Handlers run inside the group-commit writer: no I/O, time comes in with each command."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from application import routing
from application.ports import DeliveryReport, UnitOfWork
from application.setup import ensure_chats_allowed
from domain.channel import CHANNEL_ID, ChannelNotReady, EmployeesMayNotWriteFirst, WhatsAppChannel
from domain.clients import Client, check_identity
from domain.dialogs import WHATSAPP, AlreadyTaken, Dialog, medium_of
from domain.errors import InvalidValue, NotFound
from domain.failures import RetryPolicy
from domain.ids import client_id as client_id_of
from domain.outbox import (
    DeliveryStatus,
    GatewayReceipt,
    NotClaimable,
    OutgoingMessage,
    check_key,
    check_text,
    outgoing_id,
    receipt_id,
)
from domain.sync import SYNC_SCHEDULE_ID, ScheduleMode, ScheduleState, SyncSchedule

SYNC_ACTOR = "system:sync"
GATEWAY_ACTOR = "system:gateway"
OUTSIDE_REPLY_WINDOW = "OUTSIDE_REPLY_WINDOW"
RE_ENGAGEMENT = "131047"
WINDOW_REASON = ("More than 24 hours have passed since the client's last message: WhatsApp "
                 "allows only a template message until the client writes again.")

__all__ = ["DeliveryStatus", "ScheduleMode", "ScheduleState"]


# -- commands --------------------------------------------------------------------------------
@dataclass(frozen=True)
class SendMessage:
    """An operator's reply in a dialog. `key` makes a repeated request the same message."""

    dialog_id: UUID
    operator_id: UUID
    text: str
    key: str
    at: datetime
    actor: str


@dataclass(frozen=True)
class StartDialog:
    """An operator writes first to a client (by phone, or a known client's id); allowed only
    where "employees may write first" is on. `channel` names the gateway that will send it."""

    operator_id: UUID
    text: str
    key: str
    channel: str
    at: datetime
    actor: str
    phone: str | None = None
    client_id: UUID | None = None


@dataclass(frozen=True)
class RetryMessage:
    message_id: UUID
    operator_id: UUID
    at: datetime
    actor: str


@dataclass(frozen=True)
class ClaimOutgoing:
    """The sync job claims these messages before calling the gateway. `idempotent`: whether the
    gateway takes an idempotency key (an interrupted claim is then claimed again; else it
    fails as uncertain)."""

    message_ids: tuple[UUID, ...]
    worker: str
    now: datetime
    lease_seconds: float
    idempotent: bool
    actor: str = SYNC_ACTOR
    idempotent_mediums: frozenset[str] | None = None
    """When given, a message is idempotent as its messenger's gateway is (`idempotent` then
    applies to none): several channels send side by side, each with its own gateway."""


@dataclass(frozen=True)
class RecordSent:
    message_id: UUID
    channel: str
    external_id: str
    worker: str
    at: datetime
    actor: str = SYNC_ACTOR


@dataclass(frozen=True)
class RecordSendFailure:
    message_id: UUID
    worker: str
    code: str
    reason: str
    retryable: bool
    at: datetime
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    actor: str = SYNC_ACTOR


@dataclass(frozen=True)
class RecordDeliveryReports:
    reports: tuple[DeliveryReport, ...]
    actor: str = GATEWAY_ACTOR


@dataclass(frozen=True)
class ConfigureSync:
    enabled: bool
    mode: str
    interval_seconds: int
    cron: str
    actor: str


@dataclass(frozen=True)
class RequestSyncRun:
    at: datetime
    actor: str
    default: ScheduleState | None = None  # the schedule to start from if none was set


# -- results ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Queued:
    message_id: UUID
    dialog_id: UUID
    status: DeliveryStatus
    text: str
    queued_at: datetime
    duplicate: bool = False
    new_dialog: bool = False

    @classmethod
    def of(cls, message: OutgoingMessage, *, duplicate: bool = False,
           new_dialog: bool = False) -> Queued:
        return cls(message_id=message.id, dialog_id=message.dialog_id, status=message.status,
                   text=message.text, queued_at=message.queued_at, duplicate=duplicate,
                   new_dialog=new_dialog)


@dataclass(frozen=True)
class Claim:
    """What a worker needs to send one claimed message."""

    message_id: UUID
    to: str
    text: str
    key: str
    attempt: int
    recovered: bool
    queued_at: datetime
    media: Any = None  # application.media.OutgoingMedia: the file sent with the message, if any
    channel: str = ""  # the dialog's channel: its gateway sends it
    template: tuple[str, str, tuple[str, ...]] | None = None  # (name, language, parameters)


@dataclass(frozen=True)
class ClaimBatch:
    claims: list[Claim]
    uncertain: list[UUID]  # interrupted claims failed as uncertain (non-idempotent gateway)
    skipped: int  # not claimable any more (another worker, or not due)


@dataclass(frozen=True)
class ReportOutcome:
    applied: int = 0
    kept: int = 0
    ignored: int = 0


# -- handlers: operators ---------------------------------------------------------------------
def send_message(cmd: SendMessage, uow: UnitOfWork) -> Queued:
    key = check_key(cmd.key)
    known = queued_before(uow, key)
    if known is not None:
        return known
    text = check_text(cmd.text)
    dialog = reply_target(uow, cmd.dialog_id, cmd.operator_id)
    return Queued.of(queue_reply(uow, dialog, operator_id=cmd.operator_id, text=text, key=key,
                                 at=cmd.at, actor=cmd.actor))


def start_dialog(cmd: StartDialog, uow: UnitOfWork) -> Queued:
    key = check_key(cmd.key)
    known = queued_before(uow, key)
    if known is not None:
        return known
    text = check_text(cmd.text)
    through = _channel_to_write_first(uow, cmd)
    if medium_of(through) == WHATSAPP:
        _ready_channel(uow).ensure_employees_may_write_first()
    else:  # the company's setting holds for every messenger
        ensure_chats_allowed(uow)
        settings = uow.get(WhatsAppChannel, CHANNEL_ID)
        if settings is None:
            raise EmployeesMayNotWriteFirst(
                "Only a client can start a dialog: employees may not write first.")
        settings.ensure_employees_may_write_first()
    routing.ensure_access(uow, cmd.operator_id)
    client = _client(uow, cmd)
    dialog = uow.get(Dialog, client.current_dialog_id) if client.current_dialog_id else None
    new_dialog = dialog is None or dialog.resolved
    if dialog is None or dialog.resolved:
        dialog = Dialog.open(
            client_id=client.id, phone=client.phone, client_name=client.name,
            channel=through, recipients=[cmd.operator_id], rule="", actor=cmd.actor)
        uow.add(dialog)
        client.start_episode(dialog.id, actor=cmd.actor)
    elif not dialog.may_read(cmd.operator_id):
        raise AlreadyTaken("This client has an open dialog with other operators.")
    return Queued.of(queue_reply(uow, dialog, operator_id=cmd.operator_id, text=text, key=key,
                                 at=cmd.at, actor=cmd.actor, client=client),
                     new_dialog=new_dialog)


def _channel_to_write_first(uow: UnitOfWork, cmd: StartDialog) -> str:
    """A known client is written to through the messenger of their last dialog (a Telegram
    client through Telegram); a phone number through WhatsApp (`cmd.channel`)."""
    if cmd.client_id is not None:
        client = uow.get(Client, cmd.client_id)
        if client is not None and client.current_dialog_id is not None:
            last = uow.get(Dialog, client.current_dialog_id)
            if last is not None:
                return str(last.channel)
    return cmd.channel


def retry_message(cmd: RetryMessage, uow: UnitOfWork) -> Queued:
    message = uow.get(OutgoingMessage, cmd.message_id)
    dialog = uow.get(Dialog, message.dialog_id) if message is not None else None
    if message is None or dialog is None or not dialog.may_read(cmd.operator_id):
        raise NotFound("No such message among your dialogs.", field="messageId")
    ensure_chats_allowed(uow)  # sent again is sent: not while the connection is long-polling
    routing.ensure_access(uow, cmd.operator_id)
    message.retry(operator_id=cmd.operator_id, now=cmd.at, actor=cmd.actor)
    return Queued.of(message)


# -- handlers: the sync job --------------------------------------------------------------------
def claim_outgoing(cmd: ClaimOutgoing, uow: UnitOfWork) -> ClaimBatch:
    """Claims what is still claimable; what another worker took first is skipped, not an
    error (one refusal must not undo the batch's other claims)."""
    claims: list[Claim] = []
    uncertain: list[UUID] = []
    skipped = 0
    lease = timedelta(seconds=cmd.lease_seconds)
    for message_id in dict.fromkeys(cmd.message_ids):
        message = uow.get(OutgoingMessage, message_id)
        if message is None or not message.claimable(cmd.now):
            skipped += 1
            continue
        idempotent = cmd.idempotent if cmd.idempotent_mediums is None else \
            medium_of(message.channel) in cmd.idempotent_mediums
        if message.lapsed(cmd.now) and not idempotent:
            message.give_up_uncertain(now=cmd.now, actor=cmd.actor)
            uncertain.append(message_id)
            continue
        recovered = message.lapsed(cmd.now)
        try:
            attempt = message.claim(worker=cmd.worker, now=cmd.now, lease=lease,
                                    actor=cmd.actor)
        except NotClaimable:
            skipped += 1
            continue
        claims.append(Claim(message_id=message_id, to=message.phone, text=message.text,
                            key=message.send_key, attempt=attempt, recovered=recovered,
                            queued_at=message.queued_at,
                            media=_outgoing_media(uow, message_id),
                            channel=message.channel, template=message.template))
    return ClaimBatch(claims=claims, uncertain=uncertain, skipped=skipped)


def record_sent(cmd: RecordSent, uow: UnitOfWork) -> bool:
    message = uow.get(OutgoingMessage, cmd.message_id)
    if message is None:
        raise NotFound("No such outgoing message.", field="messageId")
    if not message.record_sent(channel=cmd.channel, external_id=cmd.external_id,
                               worker=cmd.worker, at=cmd.at, actor=cmd.actor):
        return False
    rid = receipt_id(cmd.channel, cmd.external_id)
    if not uow.is_recorded(rid):  # as a rule: no report came before the send was recorded
        uow.add(GatewayReceipt(channel=cmd.channel, external_id=cmd.external_id,
                               message_id=message.id, actor=cmd.actor))
        return True
    receipt = _receipt(uow, cmd.channel, cmd.external_id, cmd.actor)
    for status, reported_at, error_code, error in receipt.link(message.id, actor=cmd.actor):
        _apply_report(message, DeliveryReport(
            channel=cmd.channel, external_id=cmd.external_id, status=status, at=reported_at,
            error_code=error_code, error=error), cmd.actor)
    return True


def record_send_failure(cmd: RecordSendFailure, uow: UnitOfWork) -> str | None:
    message = uow.get(OutgoingMessage, cmd.message_id)
    if message is None:
        raise NotFound("No such outgoing message.", field="messageId")
    code, reason = failure_of(cmd.code, cmd.reason)
    outcome = message.attempt_failed(
        worker=cmd.worker, code=code, reason=reason, retryable=cmd.retryable, now=cmd.at,
        policy=cmd.policy, actor=cmd.actor)
    return outcome.value if outcome is not None else None


def record_delivery_reports(cmd: RecordDeliveryReports, uow: UnitOfWork) -> ReportOutcome:
    applied = kept = ignored = 0
    for report in cmd.reports:
        if report.status not in ("sent", "delivered", "read", "played", "failed"):
            ignored += 1
            continue
        rid = receipt_id(report.channel, report.external_id)
        receipt = uow.get(GatewayReceipt, rid)
        if receipt is not None and receipt.message_id is not None:
            message = uow.get(OutgoingMessage, receipt.message_id)
            if message is not None and _apply_report(message, report, cmd.actor):
                applied += 1
            else:
                ignored += 1
            continue
        receipt = receipt or _receipt(uow, report.channel, report.external_id, cmd.actor)
        code, error = _report_failure(report)
        if receipt.keep(status=report.status, reported_at=report.at, error_code=code,
                        error=error, actor=cmd.actor):
            kept += 1
        else:
            ignored += 1
    return ReportOutcome(applied=applied, kept=kept, ignored=ignored)


# -- handlers: the schedule ------------------------------------------------------------------
def configure_sync(cmd: ConfigureSync, uow: UnitOfWork) -> ScheduleState:
    schedule = uow.get(SyncSchedule, SYNC_SCHEDULE_ID)
    if schedule is None:
        _ensure_absent(uow, SYNC_SCHEDULE_ID)
        schedule = SyncSchedule.create(enabled=cmd.enabled, mode=cmd.mode,
                                       interval_seconds=cmd.interval_seconds, cron=cmd.cron,
                                       actor=cmd.actor)
        uow.add(schedule)
    else:
        schedule.configure(enabled=cmd.enabled, mode=cmd.mode,
                           interval_seconds=cmd.interval_seconds, cron=cmd.cron,
                           actor=cmd.actor)
    return schedule.state()


def request_sync_run(cmd: RequestSyncRun, uow: UnitOfWork) -> bool:
    schedule = uow.get(SyncSchedule, SYNC_SCHEDULE_ID)
    if schedule is None:
        default = cmd.default or ScheduleState(enabled=False, mode=ScheduleMode.INTERVAL,
                                               interval_seconds=60, cron="")
        _ensure_absent(uow, SYNC_SCHEDULE_ID)
        schedule = SyncSchedule.create(enabled=default.enabled, mode=default.mode.value,
                                       interval_seconds=default.interval_seconds,
                                       cron=default.cron, actor=cmd.actor)
        uow.add(schedule)
    schedule.request_run(at=cmd.at, actor=cmd.actor)
    return True


# -- helpers ---------------------------------------------------------------------------------
def failure_of(code: str, reason: str) -> tuple[str, str]:
    """A gateway's refusal as the code and reason the operator sees; the 24-hour rule of the
    Cloud API (error 131047, as an HTTP 400 or a failed status) reads the same either way."""
    if code in (RE_ENGAGEMENT, OUTSIDE_REPLY_WINDOW) or reason == OUTSIDE_REPLY_WINDOW:
        return OUTSIDE_REPLY_WINDOW, WINDOW_REASON
    return code, reason


def _report_failure(report: DeliveryReport) -> tuple[str, str]:
    if report.status != "failed":
        return "", ""
    code, reason = failure_of(report.error_code, report.error)
    if code == OUTSIDE_REPLY_WINDOW:
        return code, reason
    return (f"GATEWAY_{code}" if code and code.isdigit() else code or "GATEWAY_FAILED",
            reason or "WhatsApp could not deliver the message.")


def _apply_report(message: OutgoingMessage, report: DeliveryReport, actor: str) -> bool:
    code, error = _report_failure(report)
    return message.report(status=report.status, external_id=report.external_id,
                          error_code=code, error=error, reported_at=report.at, actor=actor)


def _outgoing_media(uow: UnitOfWork, message_id: UUID) -> Any:
    from application.media import outgoing_media  # media builds on the outbox

    return outgoing_media(uow, message_id)


def queued_before(uow: UnitOfWork, key: str) -> Queued | None:
    """The message this idempotency key queued already, if any (a repeated request)."""
    mid = outgoing_id(key)
    if not uow.is_recorded(mid):
        return None
    message = uow.get(OutgoingMessage, mid)
    if message is None:
        raise InvalidValue("This idempotency key was used for something else.",
                           field="idempotencyKey")
    return Queued.of(message, duplicate=True)


def reply_target(uow: UnitOfWork, dialog_id: UUID, operator_id: UUID) -> Dialog:
    """The dialog an operator replies in: one they may read, with its messenger ready to send
    (WhatsApp linked and in service; another messenger's readiness is its gateway's to tell,
    and a message waits in the outbox while it is not)."""
    dialog = uow.get(Dialog, dialog_id)
    if dialog is None or not dialog.may_read(operator_id):
        raise NotFound("No such dialog among yours.", field="dialogId")
    if medium_of(dialog.channel) == WHATSAPP:
        _ready_channel(uow)
    else:
        ensure_chats_allowed(uow)
    return dialog


def queue_reply(uow: UnitOfWork, dialog: Dialog, *, operator_id: UUID, text: str, key: str,
                at: datetime, actor: str, client: Client | None = None) -> OutgoingMessage:
    """Queues a message to the dialog's client (or to `client` as it is now, when writing
    first). The access group, the dialog's holder and its state decide; replying takes the
    dialog."""
    routing.answer(uow, dialog, operator_id, at=at, actor=actor)
    message = OutgoingMessage.queue(
        dialog_id=dialog.id, client_id=client.id if client else dialog.client_id,
        phone=client.phone if client else dialog.phone, channel=dialog.channel, text=text,
        operator_id=operator_id, key=key, at=at, actor=actor)
    uow.add(message)
    return message


def _ready_channel(uow: UnitOfWork) -> WhatsAppChannel:
    """For a message (a reply, a first message, a file) to be queued, messenger chats must be
    allowed (the 1C-to-PBX connection is the web service, not long-polling), and WhatsApp
    linked (a connection being restored counts: the job retries) and in service."""
    ensure_chats_allowed(uow)
    channel = uow.get(WhatsAppChannel, CHANNEL_ID)
    if channel is None or not channel.linked:
        raise ChannelNotReady("WhatsApp is not linked: an admin links it in the admin area.")
    if not channel.in_service:
        raise ChannelNotReady("WhatsApp is out of service: an admin can put it in service.")
    return channel


def _client(uow: UnitOfWork, cmd: StartDialog) -> Client:
    if cmd.client_id is not None:
        client = uow.get(Client, cmd.client_id)
        if client is None:
            raise NotFound("No such client.", field="clientId")
    elif cmd.phone:
        phone = check_identity(cmd.phone)
        client = uow.get(Client, client_id_of(phone))
        if client is None:
            _ensure_absent(uow, client_id_of(phone))
            client = Client.register(phone=phone, name="", actor=cmd.actor)
            uow.add(client)
    else:
        raise InvalidValue("Name the client: a phone number or a client.", field="phone")
    merged = client.merged_into
    if merged is not None:  # a lid that turned out to be a number: write to the number
        target = uow.get(Client, merged)
        if target is not None:
            return target
    return client


def _receipt(uow: UnitOfWork, channel: str, external_id: str, actor: str) -> GatewayReceipt:
    """The receipt of a gateway message id; a new one (a report before the send) names no
    message yet."""
    rid = receipt_id(channel, external_id)
    receipt = uow.get(GatewayReceipt, rid)
    if receipt is None:
        _ensure_absent(uow, rid)
        receipt = GatewayReceipt(channel=channel, external_id=external_id, message_id=None,
                                 actor=actor)
        uow.add(receipt)
    return receipt


def _ensure_absent(uow: UnitOfWork, aggregate_id: UUID) -> None:
    if uow.is_recorded(aggregate_id):  # an optimistic answer was wrong: the batch runs again
        raise RuntimeError("The aggregate exists but could not be read.")


HANDLERS: dict[type, Callable[[Any, UnitOfWork], Any]] = {
    SendMessage: send_message,
    StartDialog: start_dialog,
    RetryMessage: retry_message,
    ClaimOutgoing: claim_outgoing,
    RecordSent: record_sent,
    RecordSendFailure: record_send_failure,
    RecordDeliveryReports: record_delivery_reports,
    ConfigureSync: configure_sync,
    RequestSyncRun: request_sync_run,
}
