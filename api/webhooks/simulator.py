"""The built-in WhatsApp simulator over HTTP: its webhook, and the phone the page and the CLI drive.

`POST /webhooks/simulator` — the simulator's "WhatsApp servers" deliver to the company. Signed with
the shared secret: `X-Switchboard-Timestamp` (unix seconds) and `X-Switchboard-Signature:
sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">`. Two kinds of body:

- a client's message: `{"id", "from", "name", "text", "timestamp"}` (`"type": "message"` optional);
  a repeated id changes nothing; answers 2xx only once the message is stored;
- a delivery report on a message the company sent: `{"type": "status", "id": <the id send_text
  returned>, "status": "delivered" | "read" | "played" | "failed", "timestamp", "to"}`.

The phone (`/simulator/phone…`, only while the simulator is the gateway; no sign-in: it is the
client's phone):
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
  read, through the webhook above."""

from __future__ import annotations

import hmac
import json
import time
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from anyio import to_thread
from fastapi import APIRouter, Form, HTTPException, Request, Response, UploadFile
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from application import commands as c
from application.errors import DomainError
from application.handlers import Received
from application.media import IncomingMedia, MediaReceived, ReceiveClientMedia
from application.phones import to_e164
from application.ports import DeliveryReport, MediaFile
from infra.bootstrap import Container
from infra.gateways.simulator import PhoneRefused, SimulatorWhatsAppGateway, WaitingMessage
from infra.media_jobs import limits_of
from infra.metrics import DUPLICATES, HELD_MESSAGES, MESSAGES_IN
from infra.security import sign_body
from infra.simulator import signed_request
from infra.sniff import sniff

from .common import read_limited_body

router = APIRouter()
CHANNEL = "simulator"


class SimulatorMessage(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    type: Literal["message"] = "message"
    id: Annotated[str, Field(min_length=1, max_length=200)]
    from_: Annotated[str, Field(alias="from", min_length=3, max_length=64)]
    name: Annotated[str, Field(max_length=120)] = ""
    text: Annotated[str, Field(min_length=1, max_length=65536)]
    timestamp: Annotated[int, Field(ge=0, le=2**40)]


class SimulatorFile(BaseModel):
    model_config = ConfigDict(extra="ignore")

    kind: Literal["image", "document", "voice", "video", "sticker"]
    id: Annotated[str, Field(min_length=1, max_length=200)]  # the file on the simulated servers
    mimetype: Annotated[str, Field(max_length=127)] = ""
    filename: Annotated[str, Field(max_length=255)] = ""
    size: Annotated[int | None, Field(ge=0)] = None
    duration: Annotated[int | None, Field(ge=0)] = None


class SimulatorLocation(BaseModel):
    model_config = ConfigDict(extra="ignore")

    latitude: Annotated[float, Field(ge=-90, le=90)]
    longitude: Annotated[float, Field(ge=-180, le=180)]
    name: Annotated[str, Field(max_length=200)] = ""
    address: Annotated[str, Field(max_length=300)] = ""


class SimulatorContact(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: Annotated[str, Field(max_length=200)] = ""
    phones: Annotated[list[Annotated[str, Field(max_length=64)]], Field(max_length=20)] = []


class SimulatorMediaMessage(BaseModel):
    """A client's photo, document, voice note, video, sticker, location or contact; `text` is
    the caption."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    type: Literal["message"] = "message"
    id: Annotated[str, Field(min_length=1, max_length=200)]
    from_: Annotated[str, Field(alias="from", min_length=3, max_length=64)]
    name: Annotated[str, Field(max_length=120)] = ""
    text: Annotated[str, Field(max_length=4096)] = ""
    timestamp: Annotated[int, Field(ge=0, le=2**40)]
    media: SimulatorFile | None = None
    location: SimulatorLocation | None = None
    contact: SimulatorContact | None = None

    def incoming(self) -> IncomingMedia:
        if self.media is not None:
            return IncomingMedia(kind=self.media.kind, mime_type=self.media.mimetype,
                                 size=self.media.size, file_name=self.media.filename,
                                 caption=self.text, duration=self.media.duration,
                                 source=self.media.id)
        if self.location is not None:
            place = ", ".join(p for p in (self.location.name, self.location.address) if p)
            return IncomingMedia(kind="location", latitude=self.location.latitude,
                                 longitude=self.location.longitude, place=place,
                                 caption=self.text)
        contact = self.contact or SimulatorContact()
        return IncomingMedia(kind="contact", contact_name=contact.name,
                             contact_phones=tuple(contact.phones), caption=self.text)


MEDIA_KEYS = ("media", "location", "contact")


class SimulatorStatus(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: Literal["status"]
    id: Annotated[str, Field(min_length=1, max_length=200)]
    status: Literal["sent", "delivered", "read", "played", "failed"]
    timestamp: Annotated[int, Field(ge=0, le=2**40)]
    to: Annotated[str, Field(max_length=64)] = ""
    error: Annotated[str, Field(max_length=500)] = ""


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


@router.post("/webhooks/simulator", response_model=Accepted, tags=["webhooks"])
async def simulator_webhook(request: Request) -> Accepted:
    container: Container = request.app.state.container
    body = await read_limited_body(request, container.settings.webhook_max_body_bytes)
    return await ingest(
        container, body, request.headers.get("x-switchboard-timestamp", ""),
        request.headers.get("x-switchboard-signature", ""),
    )


async def ingest(container: Container, body: bytes, stamp: str, signature: str) -> Accepted:
    settings = container.settings
    if not stamp or not signature:
        raise HTTPException(401, "The request is not signed.")
    if not stamp.isdigit() or abs(time.time() - int(stamp)) > settings.webhook_max_skew_seconds:
        raise HTTPException(401, "The signature's timestamp is missing or stale.")
    if not hmac.compare_digest(signature, sign_body(settings.simulator_secret, stamp, body)):
        raise HTTPException(401, "The signature does not match.")
    try:
        payload = json.loads(body)
    except ValueError:
        raise HTTPException(422, "Malformed message: the body is not JSON.") from None
    try:
        if isinstance(payload, dict) and payload.get("type") == "status":
            return await _report(container, SimulatorStatus.model_validate(payload))
        if isinstance(payload, dict) and any(payload.get(key) for key in MEDIA_KEYS):
            return await _media(container, SimulatorMediaMessage.model_validate(payload))
        message = SimulatorMessage.model_validate(payload)
        phone = to_e164(message.from_)
    except ValidationError as error:
        raise HTTPException(422, describe(error)) from None
    except DomainError as error:
        raise HTTPException(422, error.message) from None
    try:
        received: Received = await container.writer.execute(c.ReceiveClientMessage(
            channel=CHANNEL, external_id=message.id, phone=phone, name=message.name.strip(),
            text=message.text, sent_at=datetime.fromtimestamp(message.timestamp, UTC),
        ))
    except DomainError as error:
        raise HTTPException(422, error.message) from None
    return accepted(received, CHANNEL)


def accepted(received: Received, channel: str) -> Accepted:
    """The answer to a stored delivery, counted in the metrics."""
    if received.duplicate:
        DUPLICATES.labels(channel).inc()
        status = "duplicate"
    elif received.held:
        HELD_MESSAGES.labels(channel).inc()
        status = "held"
    else:
        MESSAGES_IN.labels(channel).inc()
        status = "accepted"
    return Accepted(status=status,
                    dialog_id=str(received.dialog_id) if received.dialog_id else None,
                    message_id=str(received.message_id))


async def _media(container: Container, message: SimulatorMediaMessage) -> Accepted:
    try:
        phone = to_e164(message.from_)
        received: MediaReceived = await container.writer.execute(ReceiveClientMedia(
            channel=CHANNEL, external_id=message.id, phone=phone, name=message.name.strip(),
            sent_at=datetime.fromtimestamp(message.timestamp, UTC), media=message.incoming(),
            limits=limits_of(container.settings)))
    except DomainError as error:
        raise HTTPException(422, error.message) from None
    container.media.wake()
    return accepted(received.received, CHANNEL)


async def _report(container: Container, report: SimulatorStatus) -> Accepted:
    await container.whatsapp.delivery_reports.report([DeliveryReport(
        channel=CHANNEL, external_id=report.id, status=report.status,
        at=datetime.fromtimestamp(report.timestamp, UTC), recipient=report.to,
        error=report.error)])
    return Accepted(status="recorded", message_id=report.id)


def describe(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ())) or "body"
    return f"Malformed message: {where}: {first.get('msg', 'invalid')}"


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
    return await ingest(container, body, headers["x-switchboard-timestamp"],
                        headers["x-switchboard-signature"])


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
    answer = await ingest(container, body, headers["x-switchboard-timestamp"],
                          headers["x-switchboard-signature"])
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
    return await ingest(container, body, headers["x-switchboard-timestamp"],
                        headers["x-switchboard-signature"])
