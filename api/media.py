"""Files of messages over HTTP.

- `GET /media/files/{token}`: a file, through a short-lived signed URL that GraphQL gives (the
  `url` of a message's media). The token names the operator it was issued to; it is served only
  while the URL is fresh (410 once expired) and while that operator may still see the dialog
  (403 otherwise); never from a guessable path. It needs no sign-in (an `<img src>` sends no
  bearer token): whoever holds the URL can fetch the file until it expires.
- `POST /media/upload` (multipart: `file`, `dialogId`, `key`, `caption`; bearer token): an
  operator's image or document to a client. Its size and type are checked on the bytes (a real
  MIME sniffer, not the file name) before anything is stored; the message is queued through the
  outbox like text. Refusals answer `{code, message}` with 413, 415, 404 or 422; a file the
  command refuses once stored (WhatsApp not ready, the dialog taken, …) is deleted again unless
  another message refers to the same bytes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote
from uuid import UUID

from anyio import to_thread
from fastapi import APIRouter, Form, HTTPException, Request, Response, UploadFile
from fastapi.responses import JSONResponse

from application.errors import DomainError, NotFound
from application.media import FileTooLarge, FileTypeNotAllowed, SendMedia, check_upload
from application.outbox import Queued
from application.oversight import reads_every_dialog
from infra.bootstrap import Container
from infra.media_jobs import limits_of
from infra.media_urls import BadMediaUrl, ExpiredMediaUrl, MediaUrlSigner
from infra.sniff import outgoing_kind, sniff
from projections import inbox as inbox_view
from projections import media as media_view
from projections import oversight as oversight_view

router = APIRouter()
INLINE = ("image", "voice", "video", "sticker")
STATUS = {"FILE_TOO_LARGE": 413, "DIALOG_FILES_FULL": 413, "FILE_TYPE_NOT_ALLOWED": 415,
          "NOT_FOUND": 404}


def signer(container: Container) -> MediaUrlSigner:
    return MediaUrlSigner(container.settings.secret_key,
                          container.settings.media_url_ttl_seconds)


def refused(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"code": code, "message": message}, status_code=status)


@router.get("/media/files/{token}", tags=["media"])
async def media_file(token: str, request: Request) -> Response:
    container: Container = request.app.state.container
    try:
        claims = signer(container).verify(token, datetime.now(UTC))
    except ExpiredMediaUrl as error:
        return refused(410, "URL_EXPIRED", str(error))
    except BadMediaUrl as error:
        return refused(403, "FORBIDDEN", str(error))

    def read() -> tuple[Any, bool]:
        with container.views.reader.connect() as conn:
            row = media_view.media_of(conn, claims.media_id)
            if row is None:
                return None, False
            dialog_id = media_view.dialog_of(conn, row)
            if dialog_id is None:
                return row, False
            role = oversight_view.active_role(conn, claims.operator_id)
            if role is not None and reads_every_dialog(role):  # admins, supervisors, auditors
                allowed = oversight_view.any_entry(conn, claims.operator_id, dialog_id) is not None
            else:
                allowed = inbox_view.inbox_entry(conn, claims.operator_id, dialog_id) is not None
            return row, allowed

    row, allowed = await to_thread.run_sync(read)
    if row is None or not allowed:
        return refused(403, "FORBIDDEN", "This file is not in a dialog of yours.")
    if row.state != "stored" or not row.sha256:
        return refused(404, "NOT_STORED", "This file is not stored (yet).")
    try:
        content = await to_thread.run_sync(container.blobs.get, row.sha256)
    except KeyError:
        return refused(404, "NOT_STORED", "This file is missing from the store.")
    disposition = "inline" if row.kind in INLINE else "attachment"
    name = row.file_name or f"{row.kind}"
    ascii_name = name.encode("ascii", "replace").decode().replace('"', "")
    return Response(content, media_type=row.mime_type or "application/octet-stream", headers={
        "content-disposition": f"{disposition}; filename=\"{ascii_name}\"; "
                               f"filename*=UTF-8''{quote(name)}",
        "x-content-type-options": "nosniff",
        "content-security-policy": "default-src 'none'; sandbox",
        "cache-control": "private, max-age=60",
        "referrer-policy": "no-referrer",
    })


@router.post("/media/upload", tags=["media"])
async def upload(
    request: Request, file: UploadFile,
    dialog_id: Annotated[str, Form(alias="dialogId")],
    key: Annotated[str, Form(min_length=1, max_length=100)],
    caption: Annotated[str, Form(max_length=1024)] = "",
) -> JSONResponse:
    container: Container = request.app.state.container
    principal = await container.auth.authenticate(request.headers.get("authorization"))
    if principal is None:
        raise HTTPException(401, "Sign in first.")
    settings = container.settings
    limits = limits_of(settings)
    try:
        did = UUID(dialog_id)
    except ValueError:
        return refused(404, NotFound.code, "No such dialog among yours.")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limits.max_file_bytes + 64 * 1024:
        return _refusal(FileTooLarge(f"The file is over the limit of "
                                     f"{limits.max_file_bytes} bytes per file."))
    content = await file.read(limits.max_file_bytes + 1)
    if len(content) > limits.max_file_bytes:
        return _refusal(FileTooLarge(f"The file is over the limit of "
                                     f"{limits.max_file_bytes} bytes per file."))
    mime = sniff(content)
    kind = outgoing_kind(mime)
    try:
        if kind is None:
            raise FileTypeNotAllowed("Only images (JPEG, PNG, WebP, GIF) and documents (PDF, "
                                     "Office, text) can be sent; this file is "
                                     f"{mime or 'of an unknown type'}.", field="file")
        check_upload(kind, len(content))
    except DomainError as error:
        return _refusal(error)

    def allowed() -> tuple[bool, int]:
        with container.views.reader.connect() as conn:
            entry = inbox_view.inbox_entry(conn, principal.operator_id, did)
            return entry is not None, media_view.dialog_bytes(conn, did)

    visible, kept = await to_thread.run_sync(allowed)
    if not visible:
        return refused(404, NotFound.code, "No such dialog among yours.")
    if kept + len(content) > limits.max_dialog_bytes:
        return refused(413, "DIALOG_FILES_FULL", "This dialog's files would go over the limit "
                       f"of {limits.max_dialog_bytes} bytes per dialog.")
    sha256 = await to_thread.run_sync(container.blobs.put, content)
    keeping = container.media.keeping
    try:
        queued: Queued = await container.writer.execute(SendMedia(
            dialog_id=did, operator_id=principal.operator_id, key=key, kind=kind or "document",
            sha256=sha256, size=len(content), mime_type=mime or "application/octet-stream",
            file_name=file.filename or "", caption=caption, at=datetime.now(UTC),
            actor=principal.actor, limits=limits))
    except DomainError as error:  # refused once stored: the file is not kept
        await to_thread.run_sync(keeping.discard, content, sha256)
        return _refusal(error)
    # A repeated request keeps the first file only; a new message makes sure its file stayed.
    await to_thread.run_sync(keeping.discard if queued.duplicate else keeping.kept,
                             content, sha256)
    return JSONResponse({"messageId": str(queued.message_id),
                         "dialogId": str(queued.dialog_id), "status": queued.status.value,
                         "duplicate": queued.duplicate, "kind": kind, "mimeType": mime,
                         "size": len(content)})


def _refusal(error: DomainError) -> JSONResponse:
    return refused(STATUS.get(error.code, 422), error.code, error.message)
