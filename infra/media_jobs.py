"""Downloads of clients' files, in the background: a slow or broken download never holds up the
message it belongs to.

A reaction of the runner (infra/runner.py), the job "media-downloads", looks for pending
downloads in the media read model — every `media_poll_seconds`, and at once when a webhook wakes
it (`wake`) — and fetches the files of one run in parallel in a small pool of its own (up to
`concurrency`). Each file comes through its message's channel's gateway (at most the per-file
limit, refused as soon as it is over), is stored content-addressed in the blob store, and is
recorded with `AttachDownloadedMedia`; a failure records `RecordDownloadFailure`, which
schedules the next attempt with exponential backoff until the attempts run out. Two replicas
may fetch the same file at once: the blob is the same and the second "attached" changes
nothing.

A file over the per-file limit, or over what its dialog may keep (asked of the read model), is
refused before it is stored. The read model may be behind: a file that the limits refuse once
stored (the command decides) is deleted again, unless another message refers to the same bytes
(`FileKeeping`); an upload the command refuses is deleted the same way."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from application.errors import DomainError
from application.media import AttachDownloadedMedia, MediaLimits, RecordDownloadFailure
from application.ports import BlobStore, Clock, GatewayError
from application.sync import Gateways
from domain.failures import RetryPolicy
from domain.media import check_limits
from infra.runner import Runner
from infra.settings import Settings
from infra.sniff import incoming_mime
from infra.views import ViewsDatabase
from projections import media as media_view

log = logging.getLogger(__name__)
JOB = "media-downloads"
BATCH = 20
DONE = 2**31  # stored, refused or given up: nothing more to download
REMEMBERED = 10_000


@dataclass
class DownloadReport:
    attempted: int = 0
    stored: int = 0
    failed: int = 0
    refused: int = 0


def limits_of(settings: Settings) -> MediaLimits:
    return MediaLimits(max_file_bytes=settings.media_max_file_bytes,
                       max_dialog_bytes=settings.media_max_dialog_bytes)


def policy_of(settings: Settings) -> RetryPolicy:
    return RetryPolicy(max_attempts=settings.media_download_attempts,
                          first_delay_seconds=settings.media_retry_first_seconds,
                          max_delay_seconds=settings.media_retry_max_seconds)


class FileKeeping:
    """Keeps in the blob store only the files that messages refer to. Files are named by their
    bytes, so a file a command refused may be another message's too: it is deleted only when
    the media read model, caught up with every event stored so far, shows no media with that
    sha256 — and put back if a message attached the same bytes meanwhile (asked again once
    deleted). Whoever attaches a file makes sure, after the command, that it is still there
    (`kept`). When the read model cannot be caught up, nothing is deleted."""

    def __init__(self, blobs: BlobStore, views: ViewsDatabase,
                 media_caught_up: Callable[[], bool]) -> None:
        self.blobs = blobs
        self.views = views
        self.media_caught_up = media_caught_up

    def in_use(self, sha256: str) -> bool:
        with self.views.reader.connect() as conn:
            return media_view.file_in_use(conn, sha256)

    def discard(self, content: bytes, sha256: str) -> bool:
        """Deletes the file a refused command would have attached; answers whether it did."""
        if not self.media_caught_up() or self.in_use(sha256):
            return False
        self.blobs.delete(sha256)
        if not self.media_caught_up() or self.in_use(sha256):
            self.blobs.put(content)  # attached to another message meanwhile: keep it
            return False
        return True

    def kept(self, content: bytes, sha256: str) -> None:
        """After a command attached the file: puts it back if a refusal of the same bytes
        deleted it in between."""
        if not self.blobs.exists(sha256):
            self.blobs.put(content)


class MediaJobs:
    def __init__(self, settings: Settings, writer: Any, views: ViewsDatabase,
                 gateways: Gateways, blobs: BlobStore, clock: Clock,
                 concurrency: int = 3, keeping: FileKeeping | None = None) -> None:
        self.settings = settings
        self.writer = writer
        self.views = views
        self.gateways = gateways  # each file is fetched through its message's channel
        self.blobs = blobs
        self.clock = clock
        self.keeping = keeping or FileKeeping(blobs, views, lambda: False)
        self.limits = limits_of(settings)
        self.policy = policy_of(settings)
        self._concurrency = concurrency
        self._runner: Runner | None = None
        self._inflight: set[UUID] = set()
        # What this job recorded last for a file: the attempts failed so far, or DONE. The read
        # model may lag behind; a row that shows less is stale and is not downloaded again.
        self._recorded: dict[UUID, int] = {}
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None

    def start(self, runner: Runner) -> None:
        """Registers the downloads with the runner: at once, then every `media_poll_seconds`."""
        if self._runner is None:
            self._pool = ThreadPoolExecutor(max_workers=self._concurrency,
                                            thread_name_prefix="media-download")
            self._runner = runner
            runner.every(JOB, self.settings.media_poll_seconds, self.run_once)

    def stop(self) -> None:
        """Removes the job (stop the runner first: a run going on then is over)."""
        runner, self._runner = self._runner, None
        if runner is not None:
            runner.remove(JOB)
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def wake(self) -> None:
        """A file is waiting (a webhook just recorded one): look now, not at the next poll."""
        runner = self._runner
        if runner is not None:
            runner.wake(JOB)

    def run_once(self) -> DownloadReport:
        """Downloads what is due now; answers what happened."""
        report = DownloadReport()
        with self.views.reader.connect() as conn:
            due = media_view.due_downloads(conn, self.clock.now(), BATCH)
        with self._lock:
            due = [row for row in due if row.media_id not in self._inflight
                   and row.attempts >= self._recorded.get(row.media_id, 0)]
            self._inflight.update(row.media_id for row in due)
        try:
            if self._pool is not None and len(due) > 1:
                outcomes = list(self._pool.map(self.download, due))
            else:
                outcomes = [self.download(row) for row in due]
        finally:
            with self._lock:
                self._inflight.difference_update(row.media_id for row in due)
        for outcome in outcomes:
            report.attempted += 1
            if outcome == "stored":
                report.stored += 1
            elif outcome == "refused":
                report.refused += 1
            else:
                report.failed += 1
        return report

    def download(self, row: Any) -> str:
        """One file: fetched, stored, attached — or the failure recorded. Answers the state."""
        try:
            gateway = self.gateways.gateway(row.channel)
            file = gateway.download_media(row.source, self.limits.max_file_bytes)
            mime = incoming_mime(file.content, file.mime_type or row.mime_type)
            refusal = self._over_limits(row, len(file.content))
            if refusal is not None:  # not stored at all
                return self._failed(row, refusal.code, refusal.message, False)
            sha256 = self.blobs.put(file.content)
        except GatewayError as error:
            return self._failed(row, error.code, error.message, error.retryable)
        except Exception as error:  # a store or gateway bug: recorded, tried again later
            log.warning("downloading media %s failed", row.media_id, exc_info=True)
            return self._failed(row, "DOWNLOAD_FAILED",
                                f"The download failed: {type(error).__name__}.", True)
        state: str = self.writer.execute_sync(AttachDownloadedMedia(
            media_id=row.media_id, sha256=sha256, size=len(file.content), mime_type=mime,
            at=self.clock.now(), limits=self.limits))
        self._remember(row.media_id, DONE)
        if state == "stored":
            self.keeping.kept(file.content, sha256)
        else:  # refused once stored (the read model was behind), or given up meanwhile
            self.keeping.discard(file.content, sha256)
        return state

    def _over_limits(self, row: Any, size: int) -> DomainError | None:
        """Why the file may not be kept, by the per-file limit and what its dialog keeps in
        the read model (which may be behind, never ahead: the command checks again)."""
        with self.views.reader.connect() as conn:
            dialog_id = media_view.dialog_of(conn, row)
            kept = media_view.dialog_bytes(conn, dialog_id) if dialog_id is not None else 0
        try:
            check_limits(size=size, kept=kept, max_file_bytes=self.limits.max_file_bytes,
                         max_dialog_bytes=self.limits.max_dialog_bytes)
        except DomainError as error:
            return error
        return None

    def _remember(self, media_id: UUID, attempts: int) -> None:
        with self._lock:
            self._recorded[media_id] = attempts
            while len(self._recorded) > REMEMBERED:
                del self._recorded[next(iter(self._recorded))]

    def _failed(self, row: Any, code: str, reason: str, retryable: bool) -> str:
        media_id = row.media_id
        state: str = self.writer.execute_sync(RecordDownloadFailure(
            media_id=media_id, code=code, reason=reason, retryable=retryable,
            at=self.clock.now(), policy=self.policy))
        self._remember(media_id, row.attempts + 1 if state == "pending" else DONE)
        log.info("media download failed", extra={"media_id": str(media_id), "code": code,
                                                 "state": state})
        return state
