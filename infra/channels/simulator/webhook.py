"""The built-in simulator's webhook: the simulated "WhatsApp servers" deliver to the company.

Signed with the shared secret (`SWITCHBOARD_SIMULATOR_SECRET`): `X-Switchboard-Timestamp` (unix
seconds) and `X-Switchboard-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">`.
Two kinds of body:

- a client's message: `{"id", "from", "name", "text", "timestamp"}` (`"type": "message"` optional),
  or a photo, document, voice note, video, sticker (`media`), a location or a contact; a repeated
  id changes nothing; answered only once the message is stored;
- a delivery report on a message the company sent: `{"type": "status", "id": <the id send_text
  returned>, "status": "delivered" | "read" | "played" | "failed", "timestamp", "to"}`."""

from __future__ import annotations

import hmac
import json
import time
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from application.channels import (
    DeliveryReport,
    IncomingMessage,
    Intake,
    WebhookRefused,
    WebhookRequest,
)
from application.errors import DomainError
from application.media import IncomingMedia
from application.phones import to_e164
from infra.channels.common import accepted, answer, describe, refuse
from infra.security import sign_body

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



def verify(secret: str, skew_seconds: int, request: WebhookRequest) -> None:
    """Refuses (401) a request not signed with the simulator's secret, or stale."""
    stamp = request.headers.get("x-switchboard-timestamp", "")
    signature = request.headers.get("x-switchboard-signature", "")
    if not stamp or not signature:
        raise WebhookRefused(401, "The request is not signed.")
    if not stamp.isdigit() or abs(time.time() - int(stamp)) > skew_seconds:
        raise WebhookRefused(401, "The signature's timestamp is missing or stale.")
    if not hmac.compare_digest(signature, sign_body(secret, stamp, request.body)):
        raise WebhookRefused(401, "The signature does not match.")


def parse(body: bytes) -> IncomingMessage | SimulatorStatus:
    """The message or the delivery report a verified body carries (422 when malformed)."""
    try:
        payload = json.loads(body)
    except ValueError:
        raise WebhookRefused(422, "Malformed message: the body is not JSON.") from None
    try:
        if isinstance(payload, dict) and payload.get("type") == "status":
            return SimulatorStatus.model_validate(payload)
        if isinstance(payload, dict) and any(payload.get(key) for key in MEDIA_KEYS):
            media = SimulatorMediaMessage.model_validate(payload)
            return IncomingMessage(
                channel=CHANNEL, external_id=media.id, sender=to_e164(media.from_),
                name=media.name, text="", media=media.incoming(),
                sent_at=datetime.fromtimestamp(media.timestamp, UTC))
        message = SimulatorMessage.model_validate(payload)
        return IncomingMessage(
            channel=CHANNEL, external_id=message.id, sender=to_e164(message.from_),
            name=message.name, text=message.text,
            sent_at=datetime.fromtimestamp(message.timestamp, UTC))
    except ValidationError as error:
        raise WebhookRefused(422, describe(error)) from None
    except DomainError as error:
        raise WebhookRefused(422, error.message) from None


async def receive(intake: Intake, secret: str, skew_seconds: int,
                  request: WebhookRequest) -> dict[str, Any]:
    if request.method != "POST":
        raise WebhookRefused(405, "The simulator delivers with POST.")
    verify(secret, skew_seconds, request)
    parsed = parse(request.body)
    if isinstance(parsed, SimulatorStatus):
        await intake.reports([DeliveryReport(
            channel=CHANNEL, external_id=parsed.id, status=parsed.status,
            at=datetime.fromtimestamp(parsed.timestamp, UTC), recipient=parsed.to,
            error=parsed.error)])
        return answer("recorded", message_id=parsed.id)
    try:
        received = await intake.message(parsed)
    except DomainError as error:
        raise refuse(CHANNEL, 422, error.message) from None
    return accepted(received, CHANNEL)
