"""Media messages: commands and handlers.

A client's photo, document, voice note, video, sticker, location or shared contact arrives as
`ReceiveClientMedia`: the message itself takes the inbox's own path (its text is the caption, or
what it is), and a `Media` aggregate keeps the metadata and the gateway's reference to the file.
The download happens outside the writer (infra/media_jobs.py), which then submits
`AttachDownloadedMedia` or `RecordDownloadFailure`. An operator's image or document, stored by
the upload before the command, is queued through the outbox like text (`SendMedia`).

Handlers run inside the group-commit writer: no I/O; time and limits come with each command."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from application import commands as c
from application import outbox
from application.handlers import Received, receive_client_message
from application.ports import UnitOfWork
from domain.dialogs import ExternalMessage
from domain.errors import DomainError, InvalidValue, NotFound
from domain.failures import NO_RETRY, RetryPolicy
from domain.media import (
    DialogFiles,
    DialogFilesFull,
    FileTooLarge,
    FileTypeNotAllowed,
    Media,
    MediaKind,
    MediaState,
    check_kind,
    check_limits,
    dialog_files_id,
    media_id,
    summary,
)
from domain.outbox import check_key

MEDIA_ACTOR = "system:media"
OUTGOING_KINDS = (MediaKind.IMAGE, MediaKind.DOCUMENT)

__all__ = ["DialogFilesFull", "FileTooLarge", "FileTypeNotAllowed", "MediaKind", "MediaState"]


@dataclass(frozen=True)
class MediaLimits:
    max_file_bytes: int = 16 * 1024 * 1024
    max_dialog_bytes: int = 100 * 1024 * 1024


@dataclass(frozen=True)
class IncomingMedia:
    """What a gateway's payload says about a client's media."""

    kind: str
    mime_type: str = ""
    size: int | None = None
    file_name: str = ""
    caption: str = ""
    duration: int | None = None
    latitude: float | None = None
    longitude: float | None = None
    place: str = ""
    contact_name: str = ""
    contact_phones: tuple[str, ...] = ()
    source: str = ""
    unavailable: str = ""  # why the gateway has no file for it (then `source` is empty)


# -- commands --------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReceiveClientMedia:
    channel: str
    external_id: str
    phone: str
    name: str
    sent_at: datetime
    media: IncomingMedia
    limits: MediaLimits = field(default_factory=MediaLimits)


@dataclass(frozen=True)
class AttachDownloadedMedia:
    media_id: UUID
    sha256: str
    size: int
    mime_type: str
    at: datetime
    limits: MediaLimits = field(default_factory=MediaLimits)
    actor: str = MEDIA_ACTOR


@dataclass(frozen=True)
class RecordDownloadFailure:
    media_id: UUID
    code: str
    reason: str
    retryable: bool
    at: datetime
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    actor: str = MEDIA_ACTOR


@dataclass(frozen=True)
class SendMedia:
    """An operator's image or document to a client. The file is in the blob store already
    (its sha256 names it); `key` makes a repeated request the same message."""

    dialog_id: UUID
    operator_id: UUID
    key: str
    kind: str
    sha256: str
    size: int
    mime_type: str
    file_name: str
    caption: str
    at: datetime
    actor: str
    limits: MediaLimits = field(default_factory=MediaLimits)


# -- results ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class MediaReceived:
    received: Received
    media_id: UUID
    state: str
    duplicate: bool = False

    @property
    def dialog_id(self) -> UUID | None:
        return self.received.dialog_id

    @property
    def message_id(self) -> UUID:
        return self.received.message_id

    @property
    def held(self) -> bool:
        return self.received.held


@dataclass(frozen=True)
class OutgoingMedia:
    """What the sync job needs to send a queued message's file."""

    kind: str
    sha256: str
    mime_type: str
    file_name: str
    caption: str


# -- handlers --------------------------------------------------------------------------------
def receive_client_media(cmd: ReceiveClientMedia, uow: UnitOfWork) -> MediaReceived:
    incoming = cmd.media
    kind = check_kind(incoming.kind)
    received = receive_client_message(c.ReceiveClientMessage(
        channel=cmd.channel, external_id=cmd.external_id, phone=cmd.phone, name=cmd.name,
        text=_text_of(kind, incoming), sent_at=cmd.sent_at), uow)
    mid = media_id(received.message_id)
    if uow.is_recorded(mid):
        known = uow.get(Media, mid)
        return MediaReceived(received=received, media_id=mid,
                             state=known.state if known else MediaState.PENDING.value,
                             duplicate=True)
    actor = f"client:{cmd.phone}"
    media = Media.record(
        message_id=received.message_id, dialog_id=received.dialog_id, direction="in",
        channel=cmd.channel, kind=kind.value, mime_type=incoming.mime_type, size=incoming.size,
        file_name=incoming.file_name, caption=incoming.caption, duration=incoming.duration,
        latitude=incoming.latitude, longitude=incoming.longitude, place=incoming.place,
        contact_name=incoming.contact_name, contact_phones=list(incoming.contact_phones),
        source=incoming.source, at=cmd.sent_at, actor=actor)
    uow.add(media)
    if media.pending and not incoming.source:
        media.download_failed(code="MEDIA_UNAVAILABLE", reason=incoming.unavailable or
                              "The gateway could not fetch this file.", retryable=False,
                              now=cmd.sent_at, policy=NO_RETRY, actor=actor)
    elif media.pending and incoming.size is not None:
        try:  # a declared size over the limit is refused before any download
            check_limits(size=incoming.size, kept=0, max_file_bytes=cmd.limits.max_file_bytes,
                         max_dialog_bytes=cmd.limits.max_dialog_bytes)
        except DomainError as error:
            media.refuse(code=error.code, reason=error.message, at=cmd.sent_at, actor=actor)
    return MediaReceived(received=received, media_id=mid, state=media.state)


def attach_downloaded_media(cmd: AttachDownloadedMedia, uow: UnitOfWork) -> str:
    """Records the stored file; answers the media's state afterwards ("refused" when a limit
    refused it: the file stays out of the dialog and the message shows why)."""
    media = _media(uow, cmd.media_id)
    if not media.pending:
        return str(media.state)
    dialog_id = media.dialog_id or _dialog_of(uow, media.message_id)
    try:
        if dialog_id is not None:
            _files(uow, dialog_id, cmd.actor).count(
                media_id=media.id, size=cmd.size, max_file_bytes=cmd.limits.max_file_bytes,
                max_dialog_bytes=cmd.limits.max_dialog_bytes, actor=cmd.actor)
        else:
            check_limits(size=cmd.size, kept=0, max_file_bytes=cmd.limits.max_file_bytes,
                         max_dialog_bytes=cmd.limits.max_dialog_bytes)
    except (FileTooLarge, DialogFilesFull) as error:
        media.refuse(code=error.code, reason=error.message, at=cmd.at, actor=cmd.actor)
        return str(media.state)
    media.attach(sha256=cmd.sha256, size=cmd.size, mime_type=cmd.mime_type, at=cmd.at,
                 actor=cmd.actor)
    return str(media.state)


def record_download_failure(cmd: RecordDownloadFailure, uow: UnitOfWork) -> str:
    media = _media(uow, cmd.media_id)
    if cmd.code in (FileTooLarge.code, FileTypeNotAllowed.code, DialogFilesFull.code):
        media.refuse(code=cmd.code, reason=cmd.reason, at=cmd.at, actor=cmd.actor)
        return str(media.state)
    media.download_failed(code=cmd.code, reason=cmd.reason, retryable=cmd.retryable,
                          now=cmd.at, policy=cmd.policy, actor=cmd.actor)
    return str(media.state)


def send_media(cmd: SendMedia, uow: UnitOfWork) -> outbox.Queued:
    key = check_key(cmd.key)
    known = outbox.queued_before(uow, key)
    if known is not None:
        return known
    kind = check_kind(cmd.kind)
    if kind not in OUTGOING_KINDS:
        raise FileTypeNotAllowed("Only images and documents can be sent.", field="file")
    dialog = outbox.reply_target(uow, cmd.dialog_id, cmd.operator_id)
    files = _files(uow, dialog.id, cmd.actor)
    check_limits(size=cmd.size, kept=files.kept, max_file_bytes=cmd.limits.max_file_bytes,
                 max_dialog_bytes=cmd.limits.max_dialog_bytes)
    message = outbox.queue_reply(uow, dialog, operator_id=cmd.operator_id,
                                 text=summary(kind, cmd.caption, cmd.file_name), key=key,
                                 at=cmd.at, actor=cmd.actor)
    files.count(media_id=media_id(message.id), size=cmd.size,
                max_file_bytes=cmd.limits.max_file_bytes,
                max_dialog_bytes=cmd.limits.max_dialog_bytes, actor=cmd.actor)
    media = Media.record(
        message_id=message.id, dialog_id=dialog.id, direction="out", channel=dialog.channel,
        kind=kind.value, mime_type=cmd.mime_type, size=cmd.size, file_name=cmd.file_name,
        caption=cmd.caption, at=cmd.at, actor=cmd.actor)
    media.attach(sha256=cmd.sha256, size=cmd.size, mime_type=cmd.mime_type, at=cmd.at,
                 actor=cmd.actor)
    uow.add(media)
    return outbox.Queued.of(message)


# -- what the outbox needs ---------------------------------------------------------------------
def outgoing_media(uow: UnitOfWork, message_id: UUID) -> OutgoingMedia | None:
    """The file of a queued message, if it carries one (read by the sync job's claim)."""
    media = uow.get(Media, media_id(message_id))
    if media is None or media.direction != "out" or media.sha256 is None:
        return None
    return OutgoingMedia(kind=media.kind, sha256=media.sha256, mime_type=media.mime_type,
                         file_name=media.file_name, caption=media.caption)


# -- helpers ---------------------------------------------------------------------------------
def _text_of(kind: MediaKind, media: IncomingMedia) -> str:
    if kind == MediaKind.LOCATION and not media.caption.strip():
        where = media.place or f"{media.latitude}, {media.longitude}"
        return f"[location: {where}]"
    if kind == MediaKind.CONTACT and not media.caption.strip():
        return f"[contact: {media.contact_name or ', '.join(media.contact_phones)}]"
    return summary(kind, media.caption, media.file_name)


def _media(uow: UnitOfWork, mid: UUID) -> Media:
    media = uow.get(Media, mid)
    if media is None:
        raise NotFound("No such media.", field="mediaId")
    return media


def _dialog_of(uow: UnitOfWork, message_id: UUID) -> UUID | None:
    """The dialog of a client's message that was held when its media was recorded."""
    known = uow.get(ExternalMessage, message_id)
    return known.dialog_id if known is not None else None


def _files(uow: UnitOfWork, dialog_id: UUID, actor: str) -> DialogFiles:
    fid = dialog_files_id(dialog_id)
    files = uow.get(DialogFiles, fid)
    if files is None:
        if uow.is_recorded(fid):  # an optimistic answer was wrong: the batch runs again
            raise RuntimeError("The dialog's files exist but could not be read.")
        files = DialogFiles(dialog_id=dialog_id, actor=actor)
        uow.add(files)
    return files


def check_upload(kind: str, size: int) -> MediaKind:
    """What an upload may be, before anything is stored."""
    chosen = check_kind(kind)
    if chosen not in OUTGOING_KINDS:
        raise FileTypeNotAllowed("Only images and documents can be sent.", field="file")
    if size <= 0:
        raise InvalidValue("The file is empty.", field="file")
    return chosen


HANDLERS: dict[type, Callable[[Any, UnitOfWork], Any]] = {
    ReceiveClientMedia: receive_client_media,
    AttachDownloadedMedia: attach_downloaded_media,
    RecordDownloadFailure: record_download_failure,
    SendMedia: send_media,
}
