"""Media messages: what a photo, a document, a voice note, a video, a sticker, a location or a
shared contact carries besides text, and where its file stands.

One `Media` aggregate per message (a client's or an operator's), its id a uuid5 of the message's
id. A client's file is recorded *pending* with the gateway's reference to it (a WAHA media URL, a
Cloud API media id); a background job downloads it and records `Attached` (content-addressed:
the sha256 of the bytes names the blob) or `DownloadFailed` — a slow or broken download never
holds up the message itself. Limits refuse a file with a reason (`Refused`); the message still
arrives, with a note. `DialogFiles` (one per dialog) counts what a dialog keeps, so that the
total per dialog holds however files arrive."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import DomainError, InvalidValue
from domain.failures import RetryPolicy, one_line
from domain.ids import natural_id

MAX_CAPTION = 4096
MAX_FILE_NAME = 255
SHA256 = re.compile(r"^[0-9a-f]{64}$")


class MediaKind(StrEnum):
    IMAGE = "image"
    DOCUMENT = "document"
    VOICE = "voice"  # a voice note (ogg/opus) or another audio file
    VIDEO = "video"
    STICKER = "sticker"
    LOCATION = "location"
    CONTACT = "contact"

    @property
    def has_file(self) -> bool:
        return self not in (MediaKind.LOCATION, MediaKind.CONTACT)


class MediaState(StrEnum):
    NONE = "none"  # a location or a contact: nothing to download
    PENDING = "pending"  # waiting for the download (or its next attempt)
    STORED = "stored"  # the file is in the blob store
    FAILED = "failed"  # the download was given up
    REFUSED = "refused"  # over a limit (or of a type not accepted): not kept


# -- errors, with codes the panel translates ---------------------------------------------------
class FileTooLarge(DomainError):
    code = "FILE_TOO_LARGE"


class DialogFilesFull(DomainError):
    code = "DIALOG_FILES_FULL"


class FileTypeNotAllowed(DomainError):
    code = "FILE_TYPE_NOT_ALLOWED"


# -- pure rules ------------------------------------------------------------------------------
def media_id(message_id: UUID) -> UUID:
    """The media of a message: one per message, found again from the message's id."""
    return natural_id("media", str(message_id))


def dialog_files_id(dialog_id: UUID) -> UUID:
    return natural_id("dialog-files", str(dialog_id))


def check_kind(kind: str) -> MediaKind:
    try:
        return MediaKind(kind)
    except ValueError:
        raise InvalidValue(f"Unknown media kind {kind!r}.", field="kind") from None


def clean_file_name(name: str) -> str:
    """A file name to show and to offer on download: no directories, no control characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '"<>|:*?')
    return base.strip()[:MAX_FILE_NAME]


def check_limits(*, size: int, kept: int, max_file_bytes: int, max_dialog_bytes: int) -> None:
    """Refuses a file over the per-file limit, or one that would take the dialog's files over
    the total per dialog."""
    if size > max_file_bytes:
        raise FileTooLarge(f"The file is {_size(size)}, over the limit of "
                           f"{_size(max_file_bytes)} per file.", field="file")
    if kept + size > max_dialog_bytes:
        raise DialogFilesFull(f"The dialog keeps {_size(kept)} of files already; this one "
                              f"({_size(size)}) would go over the limit of "
                              f"{_size(max_dialog_bytes)} per dialog.", field="file")


def summary(kind: MediaKind, caption: str, file_name: str = "") -> str:
    """The message's text when it is media: its caption, or what it is."""
    if caption.strip():
        return caption
    return f"[{kind.value}{': ' + file_name if file_name else ''}]"


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n} bytes"


class Media(Aggregate):
    """A message's media: its metadata from the start, its file once it is stored."""

    class Recorded(Aggregate.Created):
        message_id: UUID
        dialog_id: UUID | None  # None while the message is held (WhatsApp out of service)
        direction: str  # "in" (a client's) or "out" (an operator's)
        channel: str
        kind: str
        mime_type: str
        size: int | None  # as the gateway declared it; the stored size comes with Attached
        file_name: str
        caption: str
        duration: int | None  # seconds, for voice notes and videos
        latitude: float | None
        longitude: float | None
        place: str  # a location's name and address
        contact_name: str
        contact_phones: list[str]
        source: str  # the gateway's reference to the file (a URL or a media id); never shown
        at: datetime
        actor: str

    class DownloadFailed(Aggregate.Event):
        """An attempt failed; `retry_at` None: given up."""

        attempt: int
        code: str
        reason: str
        retry_at: datetime | None
        at: datetime
        actor: str

    class Attached(Aggregate.Event):
        sha256: str
        size: int
        mime_type: str
        at: datetime
        actor: str

    class Refused(Aggregate.Event):
        code: str
        reason: str
        at: datetime
        actor: str

    @staticmethod
    def create_id(message_id: UUID) -> UUID:
        return media_id(message_id)

    @event(Recorded)
    def __init__(self, message_id: UUID, dialog_id: UUID | None, direction: str, channel: str,
                 kind: str, mime_type: str, size: int | None, file_name: str, caption: str,
                 duration: int | None, latitude: float | None, longitude: float | None,
                 place: str, contact_name: str, contact_phones: list[str], source: str,
                 at: datetime, actor: str) -> None:
        self.message_id = message_id
        self.dialog_id = dialog_id
        self.direction = direction
        self.kind = kind
        self.mime_type = mime_type
        self.file_name = file_name
        self.caption = caption
        self.source = source
        # A client's file waits for its download (one without a reference fails at once).
        self.state = MediaState.PENDING.value if MediaKind(kind).has_file and direction == "in" \
            else MediaState.NONE.value
        self.attempts = 0
        self.sha256: str | None = None
        self.size = size

    @classmethod
    def record(cls, *, message_id: UUID, dialog_id: UUID | None, direction: str, channel: str,
               kind: str, mime_type: str = "", size: int | None = None, file_name: str = "",
               caption: str = "", duration: int | None = None, latitude: float | None = None,
               longitude: float | None = None, place: str = "", contact_name: str = "",
               contact_phones: tuple[str, ...] | list[str] = (), source: str = "",
               at: datetime, actor: str) -> Media:
        chosen = check_kind(kind)
        if direction not in ("in", "out"):
            raise InvalidValue("Media goes in or out.", field="direction")
        if len(caption) > MAX_CAPTION:
            raise InvalidValue(f"A caption is at most {MAX_CAPTION} characters.",
                               field="caption")
        if size is not None and size < 0:
            raise InvalidValue("A size is not negative.", field="size")
        if chosen == MediaKind.LOCATION and (
                latitude is None or longitude is None or not -90 <= latitude <= 90
                or not -180 <= longitude <= 180):
            raise InvalidValue("A location needs a latitude and a longitude.", field="location")
        return cls(message_id=message_id, dialog_id=dialog_id, direction=direction,
                   channel=channel, kind=chosen.value, mime_type=mime_type[:127].lower(),
                   size=size, file_name=clean_file_name(file_name), caption=caption,
                   duration=duration if duration is None or duration >= 0 else None,
                   latitude=latitude, longitude=longitude, place=place[:500],
                   contact_name=contact_name[:200],
                   contact_phones=[p[:64] for p in contact_phones][:20],
                   source=source[:2000], at=at, actor=actor)

    # -- reading ---------------------------------------------------------------------------
    @property
    def pending(self) -> bool:
        return self.state == MediaState.PENDING

    @property
    def stored(self) -> bool:
        return self.state == MediaState.STORED

    # -- the download job ------------------------------------------------------------------
    def attach(self, *, sha256: str, size: int, mime_type: str, at: datetime,
               actor: str) -> bool:
        """The file is stored; False when it was already (a second download of the same)."""
        if self.state == MediaState.STORED:
            return False
        if not SHA256.match(sha256):
            raise InvalidValue("A blob is named by its sha256 in hex.", field="sha256")
        if size < 0:
            raise InvalidValue("A size is not negative.", field="size")
        self._attach(sha256=sha256, size=size, mime_type=(mime_type or self.mime_type)[:127],
                     at=at, actor=actor)
        return True

    @event(Attached)
    def _attach(self, sha256: str, size: int, mime_type: str, at: datetime, actor: str) -> None:
        self.state = MediaState.STORED.value
        self.sha256 = sha256
        self.size = size
        self.mime_type = mime_type

    def download_failed(self, *, code: str, reason: str, retryable: bool, now: datetime,
                        policy: RetryPolicy, actor: str) -> MediaState | None:
        """An attempt failed: try again later (exponential backoff) while attempts remain and
        trying again may help; else give up. None when nothing waits for a download."""
        if self.state != MediaState.PENDING:
            return None
        attempt = self.attempts + 1
        reason = one_line(reason) or "The file could not be downloaded."
        if retryable and attempt < policy.max_attempts:
            self._download_failed(attempt=attempt, code=code or "DOWNLOAD_FAILED", reason=reason,
                                  retry_at=now + policy.delay(attempt), at=now, actor=actor)
            return MediaState.PENDING
        if retryable:
            reason = f"{reason} (gave up after {attempt} attempts)"
        self._download_failed(attempt=attempt, code=code or "DOWNLOAD_FAILED", reason=reason,
                              retry_at=None, at=now, actor=actor)
        return MediaState.FAILED

    @event(DownloadFailed)
    def _download_failed(self, attempt: int, code: str, reason: str, retry_at: datetime | None,
                         at: datetime, actor: str) -> None:
        self.attempts = attempt
        if retry_at is None:
            self.state = MediaState.FAILED.value

    def refuse(self, *, code: str, reason: str, at: datetime, actor: str) -> bool:
        """Over a limit, or not a type we keep: the file is not kept (the message stays)."""
        if self.state in (MediaState.STORED, MediaState.REFUSED, MediaState.NONE):
            return False
        self._refuse(code=code, reason=one_line(reason), at=at, actor=actor)
        return True

    @event(Refused)
    def _refuse(self, code: str, reason: str, at: datetime, actor: str) -> None:
        self.state = MediaState.REFUSED.value


class DialogFiles(Aggregate):
    """What one dialog keeps in files, so that the total per dialog holds."""

    class Opened(Aggregate.Created):
        dialog_id: UUID
        actor: str

    class Counted(Aggregate.Event):
        media_id: UUID
        size: int
        actor: str

    @staticmethod
    def create_id(dialog_id: UUID) -> UUID:
        return dialog_files_id(dialog_id)

    @event(Opened)
    def __init__(self, dialog_id: UUID, actor: str) -> None:
        self.dialog_id = dialog_id
        self.kept = 0

    def count(self, *, media_id: UUID, size: int, max_file_bytes: int, max_dialog_bytes: int,
              actor: str) -> None:
        check_limits(size=size, kept=self.kept, max_file_bytes=max_file_bytes,
                     max_dialog_bytes=max_dialog_bytes)
        self._count(media_id=media_id, size=size, actor=actor)

    @event(Counted)
    def _count(self, media_id: UUID, size: int, actor: str) -> None:
        self.kept += size
