"""The built-in simulator's phone over HTTP — the client's phone that the `/phone` page and
the CLI drive (only while the simulator is the WhatsApp gateway; no sign-in: it is the client's
phone). What it sends goes through `POST /webhooks/simulator`, signed by the server (the secret
never reaches the browser).

- `GET /simulator/phone` — the company's WhatsApp as the phone sees it;
- `POST /simulator/phone/send` `{from, name, text, id?}` — write as a client (the same `id` again
  is a repeated delivery);
- `POST /simulator/phone/send-media` (multipart `file`, `from`, `name`, `caption`, `sticker`) —
  a photo, document, voice note or video as a client (`sticker=true`: an image as a sticker);
- `POST /simulator/phone/share` `{from, name, caption?, location? | contact?}` — a location
  (`{latitude, longitude, name?, address?}`) or a shared contact (`{name, phones}`);
- `POST /simulator/phone/scan` `{value?}` — scan the QR code shown in the admin area;
- `POST /simulator/phone/pair` `{code}` — enter a pairing code instead;
- `POST /simulator/phone/drop`, `/restore` — the company's phone loses its connection / gets it
  back; what clients write meanwhile waits and is delivered on restore;
- `GET /simulator/phone/{number}/messages` — what the company sent to this number, with status;
- `POST /simulator/phone/ack` `{number, id, status}` — the client's phone reports delivered or
  read, through the webhook.

Telegram's phone, while Telegram is played here, is `api/telegram_phone.py`."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from anyio import to_thread
from fastapi import APIRouter, Form, HTTPException, Request, Response, UploadFile
from pydantic import BaseModel, Field

from application.channels import WebhookRefused, WebhookRequest
from application.errors import DomainError
from application.phones import to_e164
from application.ports import MediaFile
from infra.bootstrap import Container
from infra.channels.simulator.client import signed_request
from infra.channels.simulator.gateway import (
    PhoneRefused,
    SimulatorWhatsAppGateway,
    WaitingMessage,
)
from infra.channels.simulator.webhook import SimulatorContact, SimulatorLocation
from infra.sniff import sniff

router = APIRouter()
CHANNEL = "simulator"


class Accepted(BaseModel):
    status: str = Field(description="accepted, duplicate, held (WhatsApp out of service), "
                                    "waiting (the company's phone is offline) or recorded")
    dialog_id: str | None = None
    message_id: str | None = None


class PhoneMessage(BaseModel):
    from_: Annotated[str, Field(alias="from", min_length=3, max_length=64)]
    name: Annotated[str, Field(max_length=120)] = ""
    text: Annotated[str, Field(min_length=1, max_length=4096)]
    id: Annotated[str | None, Field(min_length=1, max_length=200)] = None


class Scan(BaseModel):
    value: Annotated[str | None, Field(max_length=4096)] = None


class Pairing(BaseModel):
    code: Annotated[str, Field(min_length=4, max_length=16)]


class Share(BaseModel):
    """A location or a contact the client shares (exactly one of them)."""

    from_: Annotated[str, Field(alias="from", min_length=3, max_length=64)]
    name: Annotated[str, Field(max_length=120)] = ""
    caption: Annotated[str, Field(max_length=4096)] = ""
    location: SimulatorLocation | None = None
    contact: SimulatorContact | None = None


class Ack(BaseModel):
    number: Annotated[str, Field(min_length=3, max_length=64)]
    id: Annotated[str, Field(min_length=1, max_length=200)]
    status: Literal["delivered", "read", "played"]


async def ingest(container: Container, body: bytes, headers: dict[str, str]) -> Accepted:
    """Delivers a signed body through the simulator channel's webhook, as the simulated servers
    would."""
    channel = container.channels.named("simulator")
    if channel is None:
        raise HTTPException(404, "The simulator channel is not active here.")
    try:
        answer = await channel.webhook(WebhookRequest(method="POST", body=body, headers=headers))
    except WebhookRefused as refused:
        raise HTTPException(refused.status, refused.reason) from None
    return Accepted.model_validate(answer)


# -- the phone ---------------------------------------------------------------------------------
def _phone(request: Request) -> tuple[Container, SimulatorWhatsAppGateway]:
    container: Container = request.app.state.container
    simulator = container.whatsapp.simulator
    if simulator is None:
        raise HTTPException(404, "The simulator is not the WhatsApp gateway here.")
    return container, simulator


def _refused(error: PhoneRefused) -> HTTPException:
    return HTTPException(409, {"code": error.code, "message": error.message})


async def _deliver(container: Container, message: WaitingMessage) -> Accepted:
    """Takes a client's message through the webhook's own path, signed by the server (the secret
    never reaches the browser)."""
    body, headers = signed_request(container.settings.simulator_secret, {
        "id": message.id, "from": message.phone, "name": message.name, "text": message.text,
        "timestamp": int(message.at.timestamp()),
    })
    return await ingest(container, body, headers)


@router.get("/simulator/phone", tags=["simulator"])
async def phone_state(request: Request) -> dict[str, Any]:
    _, simulator = _phone(request)
    return simulator.snapshot()


@router.post("/simulator/phone/send", response_model=Accepted, tags=["simulator"])
async def phone_send(message: PhoneMessage, request: Request) -> Accepted:
    """The phone page writes as a client. While the company's phone is offline the message
    waits ("waiting") and is delivered when the connection is back."""
    container, simulator = _phone(request)
    try:
        phone = to_e164(message.from_)
    except DomainError as error:
        raise HTTPException(422, error.message) from None
    waiting = WaitingMessage(id=message.id or f"sim-{uuid.uuid4().hex}", phone=phone,
                             name=message.name, text=message.text, at=datetime.now(UTC))
    try:
        now = simulator.client_writes(waiting)
    except PhoneRefused as error:
        raise _refused(error) from None
    if not now:
        return Accepted(status="waiting", message_id=waiting.id)
    answer = await _deliver(container, waiting)
    answer.message_id = waiting.id
    return answer


@router.post("/simulator/phone/send-media", response_model=Accepted, tags=["simulator"])
async def phone_send_media(
    request: Request, file: UploadFile,
    sender: Annotated[str, Form(alias="from", min_length=3, max_length=64)],
    name: Annotated[str, Form(max_length=120)] = "",
    caption: Annotated[str, Form(max_length=4096)] = "",
    sticker: Annotated[bool, Form()] = False,
) -> Accepted:
    """The phone page sends a photo, a document, a voice note or a video as a client (an image
    as a sticker with `sticker`): the file goes to the simulated servers, and the webhook names
    it, as WhatsApp does."""
    container, simulator = _phone(request)
    try:
        phone = to_e164(sender)
    except DomainError as error:
        raise HTTPException(422, error.message) from None
    limit = container.settings.media_max_file_bytes * 4  # the company's own limit comes later
    content = await file.read(limit + 1)
    if not content or len(content) > limit:
        raise HTTPException(413, "The file is empty or too large for the simulated phone.")
    mime = sniff(content) or (file.content_type or "application/octet-stream")
    kind = ("image" if mime.startswith("image/") else "voice" if mime.startswith("audio/")
            else "video" if mime.startswith("video/") else "document")
    if sticker and kind != "image":
        raise HTTPException(422, "A sticker is an image (WebP or PNG).")
    _connected(simulator)
    file_id = simulator.upload(MediaFile(content=content, mime_type=mime,
                                         file_name=file.filename or ""))
    return await _deliver_media(container, phone, name, caption, {"media": {
        "kind": "sticker" if sticker else kind, "id": file_id, "mimetype": mime,
        "filename": file.filename or "", "size": len(content)}})


@router.post("/simulator/phone/share", response_model=Accepted, tags=["simulator"])
async def phone_share(share: Share, request: Request) -> Accepted:
    """The phone page shares a location or a contact as a client, through the webhook."""
    container, simulator = _phone(request)
    try:
        phone = to_e164(share.from_)
    except DomainError as error:
        raise HTTPException(422, error.message) from None
    if (share.location is None) == (share.contact is None):
        raise HTTPException(422, "Share a location or a contact (one of them).")
    if share.contact is not None and not (share.contact.name.strip() or share.contact.phones):
        raise HTTPException(422, "A contact has a name or a phone number.")
    _connected(simulator)
    shared = {"location": share.location.model_dump()} if share.location is not None else \
        {"contact": share.contact.model_dump() if share.contact is not None else {}}
    return await _deliver_media(container, phone, share.name, share.caption, shared)


def _connected(simulator: SimulatorWhatsAppGateway) -> None:
    if simulator.snapshot()["dropped"] or simulator.snapshot()["linked_as"] is None:
        raise _refused(PhoneRefused("The company's WhatsApp is not connected now.",
                                    "NOT_CONNECTED"))


async def _deliver_media(container: Container, phone: str, name: str, caption: str,
                         media: dict[str, Any]) -> Accepted:
    """A client's media message through the webhook's own path, signed by the server."""
    message_id = f"sim-{uuid.uuid4().hex}"
    body, headers = signed_request(container.settings.simulator_secret, {
        "id": message_id, "from": phone, "name": name, "text": caption,
        "timestamp": int(time.time()), **media})
    answer = await ingest(container, body, headers)
    answer.message_id = message_id
    return answer


@router.get("/simulator/phone/files/{file_id}", tags=["simulator"])
async def phone_file(file_id: str, request: Request) -> Response:
    """A file the company sent to a client, as the client's phone shows it."""
    _, simulator = _phone(request)
    file = simulator.file(file_id)
    if file is None:
        raise HTTPException(404, "No such file.")
    return Response(file.content, media_type=file.mime_type,
                    headers={"x-content-type-options": "nosniff",
                             "content-disposition": "inline"})


@router.post("/simulator/phone/scan", tags=["simulator"])
async def phone_scan(scan: Scan, request: Request) -> dict[str, Any]:
    _, simulator = _phone(request)
    try:
        await to_thread.run_sync(simulator.scan, scan.value)
    except PhoneRefused as error:
        raise _refused(error) from None
    return simulator.snapshot()


@router.post("/simulator/phone/pair", tags=["simulator"])
async def phone_pair(pairing: Pairing, request: Request) -> dict[str, Any]:
    _, simulator = _phone(request)
    try:
        await to_thread.run_sync(simulator.enter_pairing_code, pairing.code)
    except PhoneRefused as error:
        raise _refused(error) from None
    return simulator.snapshot()


@router.post("/simulator/phone/drop", tags=["simulator"])
async def phone_drop(request: Request) -> dict[str, Any]:
    _, simulator = _phone(request)
    try:
        await to_thread.run_sync(simulator.drop)
    except PhoneRefused as error:
        raise _refused(error) from None
    return simulator.snapshot()


@router.post("/simulator/phone/restore", tags=["simulator"])
async def phone_restore(request: Request) -> dict[str, Any]:
    container, simulator = _phone(request)
    _, waiting = await to_thread.run_sync(simulator.restore)
    delivered = [await _deliver(container, message) for message in waiting]
    return {**simulator.snapshot(), "delivered": len(delivered)}


@router.get("/simulator/phone/{number}/messages", tags=["simulator"])
async def phone_messages(number: str, request: Request) -> list[dict[str, Any]]:
    """What the company sent to this client's phone, oldest first."""
    _, simulator = _phone(request)
    try:
        phone = to_e164(number)
    except DomainError as error:
        raise HTTPException(422, error.message) from None
    return [{"id": m.id, "to": m.to, "text": m.text, "at": m.at.isoformat(),
             "status": m.status, "media": m.media} for m in simulator.sent_to(phone)]


@router.get("/simulator/phone/{number}/company", tags=["simulator"])
async def phone_company(number: str, request: Request) -> dict[str, Any]:
    """What this client's phone shows of the company besides its messages: which of the
    client's messages it has read (blue ticks) and whether it is typing now."""
    _, simulator = _phone(request)
    try:
        phone = to_e164(number)
    except DomainError as error:
        raise HTTPException(422, error.message) from None
    return {"seen": simulator.seen_by_company(phone), "typing": simulator.company_typing(phone)}


@router.post("/simulator/phone/ack", response_model=Accepted, tags=["simulator"])
async def phone_ack(ack: Ack, request: Request) -> Accepted:
    """The client's phone reports a message delivered or read, through the webhook."""
    container, simulator = _phone(request)
    try:
        phone = to_e164(ack.number)
        simulator.acknowledge(phone, ack.id, ack.status)
    except DomainError as error:
        raise HTTPException(422, error.message) from None
    except PhoneRefused as error:
        raise _refused(error) from None
    body, headers = signed_request(container.settings.simulator_secret, {
        "type": "status", "id": ack.id, "status": ack.status, "to": phone,
        "timestamp": int(time.time())})
    return await ingest(container, body, headers)
