"""Outgoing messages: what operators write to clients, from the moment it is queued until the
client's phone reports it read.

One aggregate per message, its id a uuid5 of the idempotency key the panel sends with it, so a
double-clicked "Send" is one message. The scheduled sync job claims a queued message with an event
before it calls the gateway: two workers that claim the same message write the same version, and
the store refuses the second. A claim carries a lease; a claim that is followed by neither "sent"
nor "failed" within its lease was interrupted (a crash) and may be claimed again — with the same
idempotency key, so a gateway that honours the key sends once.

Delivery reports (sent, delivered, read, played; failed) arrive out of order and twice: a status
only ever moves forwards, and a report that changes nothing records nothing. A report may even
arrive before the job has recorded the send; `GatewayReceipt` (one per gateway message id) keeps
it until the send is recorded."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import DomainError, InvalidValue, NotAllowed
from domain.failures import RetryPolicy, one_line
from domain.ids import natural_id

MAX_TEXT = 4096
MAX_KEY = 100
KEPT_REPORTS = 10


class DeliveryStatus(StrEnum):
    QUEUED = "queued"  # waiting for the sync job (a retry waits for its `next_attempt_at`)
    SENDING = "sending"  # claimed by a worker, which is calling the gateway
    SENT = "sent"  # the gateway accepted it
    DELIVERED = "delivered"  # it reached the client's phone
    READ = "read"
    PLAYED = "played"  # a voice message was listened to (WAHA's ack 4)
    FAILED = "failed"  # given up (or refused by the gateway): an operator may retry it


# How far a message has got; reports only ever move a message further.
PROGRESS = {DeliveryStatus.SENT: 1, DeliveryStatus.DELIVERED: 2, DeliveryStatus.READ: 3,
            DeliveryStatus.PLAYED: 4}
REPORTED = {"sent", "delivered", "read", "played", "failed"}


# -- errors, with codes the panel translates ---------------------------------------------------
class EmptyMessage(InvalidValue):
    code = "TEXT_EMPTY"


class MessageTooLong(InvalidValue):
    code = "TEXT_TOO_LONG"


class NotClaimable(DomainError):
    """Another worker claimed it first, or it is not waiting to be sent."""

    code = "NOT_CLAIMABLE"


class NotRetryable(NotAllowed):
    code = "NOT_RETRYABLE"


# -- pure rules ------------------------------------------------------------------------------
def check_text(text: str) -> str:
    if not text.strip():
        raise EmptyMessage("Write something first: the message is empty.", field="text")
    if len(text) > MAX_TEXT:
        raise MessageTooLong(f"A WhatsApp message is at most {MAX_TEXT} characters "
                             f"({len(text)} written).", field="text")
    return text


def check_key(key: str) -> str:
    key = key.strip()
    if not key or len(key) > MAX_KEY:
        raise InvalidValue(f"An idempotency key is 1 to {MAX_KEY} characters.",
                           field="idempotencyKey")
    return key


def outgoing_id(key: str) -> UUID:
    """The message's id: the same key (a double click, a retried request) is the same message."""
    return natural_id("outgoing-message", key)


def receipt_id(channel: str, external_id: str) -> UUID:
    return natural_id("gateway-receipt", f"{channel}:{external_id}")


class OutgoingMessage(Aggregate):
    """A reply (or a first message) to a client, from queued to read."""

    class Queued(Aggregate.Created):
        dialog_id: UUID
        client_id: UUID
        phone: str
        channel: str
        text: str
        operator_id: UUID
        key: str
        at: datetime
        actor: str

    class Claimed(Aggregate.Event):
        """A worker took it to send; `recovered`: an interrupted claim whose lease ran out."""

        worker: str
        attempt: int
        lease_until: datetime
        recovered: bool
        at: datetime
        actor: str

    class Sent(Aggregate.Event):
        channel: str
        external_id: str
        worker: str
        at: datetime
        actor: str

    class AttemptFailed(Aggregate.Event):
        """The gateway refused or was unreachable; the message waits until `retry_at`."""

        attempt: int
        code: str
        reason: str
        retry_at: datetime
        at: datetime
        actor: str

    class Failed(Aggregate.Event):
        """Given up: attempts exhausted, a refusal that no retry will change, or a send that
        was interrupted where the gateway cannot tell whether it went out."""

        attempt: int
        code: str
        reason: str
        at: datetime
        actor: str

    class StatusReported(Aggregate.Event):
        """The gateway's delivery report, recorded only when it moves the message forwards."""

        status: str
        external_id: str
        error_code: str
        error: str
        reported_at: datetime
        actor: str

    class Retried(Aggregate.Event):
        """An operator sends a failed message again; `new_round`: the gateway had accepted it
        before (then failed it), so it is sent under a new idempotency key."""

        operator_id: UUID
        new_round: bool
        at: datetime
        actor: str

    class TemplateChosen(Aggregate.Event):
        """The message is a WhatsApp template (Cloud API), recorded with `Queued` in the same
        transaction: `Queued.text` is its body with the parameters filled in (what the dialog
        shows); the sync job sends `name` in `language` with `parameters`. A new event rather
        than new fields on `Queued`: every stored `Queued` stays as it was (no upcast), and a
        message without this event is free text, as it always was."""

        name: str
        language: str
        parameters: list[str]
        actor: str

    @staticmethod
    def create_id(key: str) -> UUID:
        return outgoing_id(key)

    @event(Queued)
    def __init__(self, dialog_id: UUID, client_id: UUID, phone: str, channel: str, text: str,
                 operator_id: UUID, key: str, at: datetime, actor: str) -> None:
        self.dialog_id = dialog_id
        self.client_id = client_id
        self.phone = phone
        self.channel = channel
        self.text = text
        self.operator_id = operator_id
        self.key = key
        self.queued_at = at
        self.status = DeliveryStatus.QUEUED
        self.attempts = 0
        self.round = 0
        self.worker = ""
        self.lease_until: datetime | None = None
        self.next_attempt_at: datetime | None = None
        self.external_id: str | None = None
        self.receipt_channel = ""
        self.progress = 0
        self.failure_code = ""
        self.failure_reason = ""
        self.template: tuple[str, str, tuple[str, ...]] | None = None

    @classmethod
    def queue(cls, *, dialog_id: UUID, client_id: UUID, phone: str, channel: str, text: str,
              operator_id: UUID, key: str, at: datetime, actor: str) -> OutgoingMessage:
        return cls(dialog_id=dialog_id, client_id=client_id, phone=phone, channel=channel,
                   text=check_text(text), operator_id=operator_id, key=check_key(key), at=at,
                   actor=actor)

    def choose_template(self, *, name: str, language: str, parameters: list[str],
                        actor: str) -> None:
        """Makes a message just queued a template message (before anything was sent)."""
        if self.template is not None or self.attempts or self.status != DeliveryStatus.QUEUED:
            raise NotAllowed("Only a message just queued becomes a template message.")
        self._choose_template(name=name, language=language, parameters=list(parameters),
                              actor=actor)

    @event(TemplateChosen)
    def _choose_template(self, name: str, language: str, parameters: list[str],
                         actor: str) -> None:
        self.template = (name, language, tuple(parameters))

    # -- reading ---------------------------------------------------------------------------
    @property
    def send_key(self) -> str:
        """The idempotency key handed to the gateway: the same for every attempt of a round."""
        return self.key if self.round == 0 else f"{self.key}:r{self.round}"

    def lapsed(self, now: datetime) -> bool:
        """Claimed, but neither sent nor failed within the lease: the worker was interrupted."""
        return (self.status == DeliveryStatus.SENDING and self.lease_until is not None
                and now >= self.lease_until)

    def due(self, now: datetime) -> bool:
        return self.status == DeliveryStatus.QUEUED and (
            self.next_attempt_at is None or now >= self.next_attempt_at)

    def claimable(self, now: datetime) -> bool:
        return self.due(now) or self.lapsed(now)

    # -- the sync job ----------------------------------------------------------------------
    def claim(self, *, worker: str, now: datetime, lease: timedelta, actor: str) -> int:
        """Takes the message to send it; answers the attempt's number."""
        if not self.claimable(now):
            raise NotClaimable("This message is not waiting to be sent (another worker may "
                               "have claimed it).")
        recovered = self.lapsed(now)
        attempt = self.attempts + 1
        self._claim(worker=worker, attempt=attempt, lease_until=now + lease,
                    recovered=recovered, at=now, actor=actor)
        return attempt

    @event(Claimed)
    def _claim(self, worker: str, attempt: int, lease_until: datetime, recovered: bool,
               at: datetime, actor: str) -> None:
        self.status = DeliveryStatus.SENDING
        self.worker = worker
        self.attempts = attempt
        self.lease_until = lease_until
        self.next_attempt_at = None

    def record_sent(self, *, channel: str, external_id: str, worker: str, at: datetime,
                    actor: str) -> bool:
        """The gateway accepted it. The first confirmed send wins: a worker whose lease ran out
        and another that sent again under the same key both report the same id."""
        if self.external_id is not None or self.status in PROGRESS:
            return False
        if not external_id:
            raise InvalidValue("A send records the gateway's message id.", field="externalId")
        self._sent(channel=channel, external_id=external_id, worker=worker, at=at, actor=actor)
        return True

    @event(Sent)
    def _sent(self, channel: str, external_id: str, worker: str, at: datetime,
              actor: str) -> None:
        self.status = DeliveryStatus.SENT
        self.external_id = external_id
        self.receipt_channel = channel
        self.progress = PROGRESS[DeliveryStatus.SENT]
        self.lease_until = None
        self.next_attempt_at = None
        self.failure_code = ""
        self.failure_reason = ""

    def attempt_failed(self, *, worker: str, code: str, reason: str, retryable: bool,
                       now: datetime, policy: RetryPolicy, actor: str
                       ) -> DeliveryStatus | None:
        """An attempt failed: wait and try again (exponential backoff) while attempts remain
        and trying again may help; else fail. None when the attempt no longer counts (another
        worker took over, or the message was sent meanwhile)."""
        if self.status != DeliveryStatus.SENDING or self.worker != worker:
            return None
        reason = one_line(reason) or "The gateway refused the message."
        code = code or "GATEWAY_ERROR"
        if retryable and self.attempts < policy.max_attempts:
            self._attempt_failed(attempt=self.attempts, code=code, reason=reason,
                                 retry_at=now + policy.delay(self.attempts), at=now, actor=actor)
            return DeliveryStatus.QUEUED
        if retryable:
            reason = f"{reason} (gave up after {self.attempts} attempts)"
        self._fail(attempt=self.attempts, code=code, reason=reason, at=now, actor=actor)
        return DeliveryStatus.FAILED

    @event(AttemptFailed)
    def _attempt_failed(self, attempt: int, code: str, reason: str, retry_at: datetime,
                        at: datetime, actor: str) -> None:
        self.status = DeliveryStatus.QUEUED
        self.lease_until = None
        self.next_attempt_at = retry_at
        self.failure_code = code
        self.failure_reason = reason

    def give_up_uncertain(self, *, now: datetime, actor: str) -> None:
        """An interrupted claim on a gateway that takes no idempotency key: sending again might
        send twice, so the message fails and an operator decides (at most once)."""
        if not self.lapsed(now):
            raise NotClaimable("Only an interrupted claim is given up.")
        self._fail(attempt=self.attempts, code="DELIVERY_UNCERTAIN",
                   reason="Sending was interrupted and this gateway cannot tell whether the "
                          "message went out. Check with the client, then retry by hand.",
                   at=now, actor=actor)

    @event(Failed)
    def _fail(self, attempt: int, code: str, reason: str, at: datetime, actor: str) -> None:
        self.status = DeliveryStatus.FAILED
        self.lease_until = None
        self.next_attempt_at = None
        self.failure_code = code
        self.failure_reason = reason

    # -- the gateway's reports ---------------------------------------------------------------
    def report(self, *, status: str, external_id: str, error_code: str, error: str,
               reported_at: datetime, actor: str) -> bool:
        """Records a delivery report when it moves the message forwards; False when it is a
        repeat, stale (an earlier status arriving late) or about an earlier round."""
        if status not in REPORTED:
            raise InvalidValue(f"Unknown delivery status {status!r}.", field="status")
        if self.external_id is None or external_id != self.external_id:
            return False
        if status == DeliveryStatus.FAILED:
            # A failure after the phone had the message is stale; twice is once.
            if self.status == DeliveryStatus.FAILED or self.progress >= PROGRESS[
                    DeliveryStatus.DELIVERED]:
                return False
        elif PROGRESS[DeliveryStatus(status)] <= self.progress:
            return False
        self._report(status=status, external_id=external_id, error_code=error_code[:64],
                     error=one_line(error), reported_at=reported_at, actor=actor)
        return True

    @event(StatusReported)
    def _report(self, status: str, external_id: str, error_code: str, error: str,
                reported_at: datetime, actor: str) -> None:
        if status == DeliveryStatus.FAILED:
            self.status = DeliveryStatus.FAILED
            self.failure_code = error_code or "GATEWAY_FAILED"
            self.failure_reason = error or "WhatsApp could not deliver the message."
            return
        self.status = DeliveryStatus(status)
        self.progress = PROGRESS[DeliveryStatus(status)]
        self.failure_code = ""
        self.failure_reason = ""

    # -- operators ---------------------------------------------------------------------------
    def retry(self, *, operator_id: UUID, now: datetime, actor: str) -> None:
        if self.status != DeliveryStatus.FAILED:
            raise NotRetryable("Only a failed message can be sent again.")
        self._retry(operator_id=operator_id, new_round=self.external_id is not None, at=now,
                    actor=actor)

    @event(Retried)
    def _retry(self, operator_id: UUID, new_round: bool, at: datetime, actor: str) -> None:
        self.status = DeliveryStatus.QUEUED
        self.attempts = 0
        self.next_attempt_at = None
        self.lease_until = None
        self.failure_code = ""
        self.failure_reason = ""
        if new_round:
            self.round += 1
            self.external_id = None
            self.receipt_channel = ""
            self.progress = 0


class GatewayReceipt(Aggregate):
    """One per gateway message id: which outgoing message it is, and the reports that arrived
    before the send was recorded (kept, then applied when it is)."""

    class Opened(Aggregate.Created):
        """By the send (`message_id` known), or by a report that came first (None)."""

        channel: str
        external_id: str
        message_id: UUID | None
        actor: str

    class Linked(Aggregate.Event):
        message_id: UUID
        actor: str

    class ReportKept(Aggregate.Event):
        status: str
        reported_at: datetime
        error_code: str
        error: str
        actor: str

    @staticmethod
    def create_id(channel: str, external_id: str) -> UUID:
        return receipt_id(channel, external_id)

    @event(Opened)
    def __init__(self, channel: str, external_id: str, message_id: UUID | None,
                 actor: str) -> None:
        self.channel = channel
        self.external_id = external_id
        self.message_id = message_id
        self.kept: list[tuple[str, datetime, str, str]] = []

    def link(self, message_id: UUID, actor: str) -> list[tuple[str, datetime, str, str]]:
        """Names the message; answers the reports kept until now, to apply to it."""
        if self.message_id == message_id:
            return []
        if self.message_id is not None:
            raise NotAllowed("This gateway message id belongs to another message.")
        kept = list(self.kept)
        self._link(message_id=message_id, actor=actor)
        return kept

    @event(Linked)
    def _link(self, message_id: UUID, actor: str) -> None:
        self.message_id = message_id
        self.kept = []

    def keep(self, *, status: str, reported_at: datetime, error_code: str, error: str,
             actor: str) -> bool:
        """Keeps a report on a message not known yet; the same report twice is kept once."""
        if status not in REPORTED:
            raise InvalidValue(f"Unknown delivery status {status!r}.", field="status")
        entry = (status, reported_at, error_code[:64], one_line(error))
        if entry in self.kept or len(self.kept) >= KEPT_REPORTS:
            return False
        self._keep(status=entry[0], reported_at=entry[1], error_code=entry[2], error=entry[3],
                   actor=actor)
        return True

    @event(ReportKept)
    def _keep(self, status: str, reported_at: datetime, error_code: str, error: str,
              actor: str) -> None:
        self.kept.append((status, reported_at, error_code, error))
