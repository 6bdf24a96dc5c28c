"""The sync job's work, one run at a time: claim what is due, send it through its dialog's
channel's gateway outside the writer, record what happened. APScheduler runs it
(infra/sync_job.py) under a lock that keeps two replicas from running it at once; the claims
are what make a double send impossible even without the lock.

Messages to one client leave in the order they were written (one after another); different
clients are served side by side. Each result is recorded as soon as it is known (the writer
groups them), so a crash leaves as few claims unanswered as possible."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from application import outbox as ob
from application.channels import Outbound
from application.ports import BlobStore, Clock, GatewayError, MediaFile
from application.templates import TemplateGateway
from domain.failures import RetryPolicy

log = logging.getLogger(__name__)


Page = tuple[datetime, int]


@dataclass(frozen=True)
class Due:
    message_id: UUID
    page: Page  # where the next page starts after this one


class DueOutgoing(Protocol):
    """Where the job finds candidates: queued messages that are due, and claims that lapsed,
    oldest first, a page at a time (a read model, which may lag a little behind the claims:
    paging on, a run does not meet what it has just handled; the claim is what decides)."""

    def due(self, now: datetime, limit: int, after: Page | None = None) -> list[Due]: ...


class Gateways(Protocol):
    """The gateway of each channel (application.channels.Channels)."""

    def gateway(self, channel: str) -> Outbound: ...

    def idempotent_mediums(self) -> frozenset[str]: ...


class OutboxBus(Protocol):
    def execute_sync(self, command: object) -> Any: ...

    def submit(self, command: object) -> Future[Any]: ...


@dataclass(frozen=True)
class SendPolicy:
    claim_batch: int = 50
    concurrency: int = 4
    lease_seconds: float = 120.0
    max_per_run: int = 5000
    retry: RetryPolicy = field(default_factory=RetryPolicy)


@dataclass
class RunReport:
    started_at: datetime
    finished_at: datetime | None = None
    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    uncertain: int = 0
    skipped: int = 0
    batches: int = 0
    errors: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"claimed": self.claimed, "sent": self.sent, "retrying": self.retrying,
                "failed": self.failed, "uncertain": self.uncertain, "skipped": self.skipped,
                "batches": self.batches, "errors": dict(self.errors)}


@dataclass(frozen=True)
class _Outcome:
    claim: ob.Claim
    recorded: Future[Any]
    external_id: str | None = None
    error: GatewayError | None = None


class OutboxSender:
    def __init__(self, *, bus: OutboxBus, gateways: Gateways, clock: Clock,
                 due: DueOutgoing, worker: str, policy: SendPolicy | None = None,
                 blobs: BlobStore | None = None) -> None:
        self.bus = bus
        self.blobs = blobs  # where the files of media messages are kept
        self.gateways = gateways
        self.clock = clock
        self.due = due
        self.worker = worker
        self.policy = policy or SendPolicy()
        self._pool: ThreadPoolExecutor | None = None
        self.on_outcome: Callable[[str, str], None] | None = None  # (status, code): metrics

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def run_once(self) -> RunReport:
        """Sends everything that is due now (at most `max_per_run`); answers what happened."""
        report = RunReport(started_at=self.clock.now())
        policy = self.policy
        after: Page | None = None
        while report.claimed + report.uncertain < policy.max_per_run:
            now = self.clock.now()
            page = self.due.due(now, policy.claim_batch, after)
            if not page:
                break
            after = page[-1].page
            ids = [due.message_id for due in page]
            batch: ob.ClaimBatch = self.bus.execute_sync(ob.ClaimOutgoing(
                message_ids=tuple(ids), worker=self.worker, now=now,
                lease_seconds=policy.lease_seconds,
                idempotent=False, idempotent_mediums=self.gateways.idempotent_mediums()))
            report.batches += 1
            report.claimed += len(batch.claims)
            report.uncertain += len(batch.uncertain)
            report.skipped += batch.skipped
            for outcome in self._send_all(batch.claims):
                self._tally(report, outcome)
            if len(ids) < policy.claim_batch:
                break
        report.finished_at = self.clock.now()
        return report

    # -- inside ----------------------------------------------------------------------------
    def _send_all(self, claims: list[ob.Claim]) -> list[_Outcome]:
        by_client: defaultdict[str, list[ob.Claim]] = defaultdict(list)
        for claim in sorted(claims, key=lambda c: c.queued_at):
            by_client[claim.to].append(claim)
        queues = list(by_client.values())
        if self.policy.concurrency <= 1 or len(queues) == 1:
            return [o for queue in queues for o in self._send_in_order(queue)]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=self.policy.concurrency,
                                            thread_name_prefix="outbox-send")
        running = [self._pool.submit(self._send_in_order, queue) for queue in queues]
        return [o for future in running for o in future.result()]

    def _send_in_order(self, claims: list[ob.Claim]) -> list[_Outcome]:
        """One client's messages, oldest first. After a failure that a retry may cure, the
        later ones wait with it (they would overtake it otherwise)."""
        outcomes: list[_Outcome] = []
        blocked: GatewayError | None = None
        for claim in claims:
            outcome = self._failed(claim, blocked) if blocked else self._send(claim)
            if outcome.error is not None and outcome.error.retryable:
                blocked = outcome.error
            outcomes.append(outcome)
        return outcomes

    def _send(self, claim: ob.Claim) -> _Outcome:
        try:
            gateway = self.gateways.gateway(claim.channel)
            if claim.template is not None:
                external_id = self._send_template(gateway, claim)
            elif claim.media is not None:
                external_id = self._send_media(gateway, claim)
            else:
                external_id = gateway.send_text(claim.to, claim.text, claim.key)
        except GatewayError as error:
            return self._failed(claim, error)
        except Exception as error:  # a gateway bug must not lose the claim's answer
            log.warning("the gateway failed unexpectedly", exc_info=True)
            return self._failed(claim, GatewayError(
                f"The gateway failed: {type(error).__name__}.", code="GATEWAY_ERROR"))
        recorded = self.bus.submit(ob.RecordSent(
            message_id=claim.message_id, channel=gateway.kind, external_id=external_id,
            worker=self.worker, at=self.clock.now()))
        return _Outcome(claim=claim, recorded=recorded, external_id=external_id)

    def _send_template(self, gateway: Outbound, claim: ob.Claim) -> str:
        """A WhatsApp template message (application/templates.py): only a gateway that knows
        templates sends it; any other refuses it for good."""
        assert claim.template is not None
        if not isinstance(gateway, TemplateGateway):
            raise GatewayError("This channel's gateway sends no WhatsApp templates.",
                               code="TEMPLATES_NOT_AVAILABLE", retryable=False)
        name, language, parameters = claim.template
        return gateway.send_template(claim.to, name, language, list(parameters), claim.key)

    def _send_media(self, gateway: Outbound, claim: ob.Claim) -> str:
        media = claim.media
        try:
            if self.blobs is None:
                raise KeyError(media.sha256)
            content = self.blobs.get(media.sha256)
        except KeyError:
            raise GatewayError("The file of this message is missing from the store.",
                               code="FILE_MISSING", retryable=False) from None
        return gateway.send_media(
            claim.to, media.kind, MediaFile(content=content, mime_type=media.mime_type,
                                            file_name=media.file_name),
            media.caption, claim.key)

    def _failed(self, claim: ob.Claim, error: GatewayError) -> _Outcome:
        recorded = self.bus.submit(ob.RecordSendFailure(
            message_id=claim.message_id, worker=self.worker, code=error.code,
            reason=error.message, retryable=error.retryable, at=self.clock.now(),
            policy=self.policy.retry))
        return _Outcome(claim=claim, recorded=recorded, error=error)

    def _tally(self, report: RunReport, outcome: _Outcome) -> None:
        try:
            result = outcome.recorded.result(timeout=60)
        except Exception:
            # Not recorded: the claim's lease runs out and the message is claimed again.
            log.warning("recording the outcome of %s failed", outcome.claim.message_id,
                        exc_info=True)
            return
        if outcome.error is None:
            report.sent += 1 if result else 0
            self._notify("sent", "")
            return
        code = outcome.error.code
        report.errors[code] = report.errors.get(code, 0) + 1
        if result == "failed":
            report.failed += 1
            self._notify("failed", code)
        elif result == "queued":
            report.retrying += 1
            self._notify("retrying", code)

    def _notify(self, status: str, code: str) -> None:
        if self.on_outcome is not None:
            self.on_outcome(status, code)
