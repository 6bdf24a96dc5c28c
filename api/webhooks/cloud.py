"""Meta's WhatsApp Cloud API webhook.

`GET /webhooks/cloud?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…` echoes the challenge
when the token is `SWITCHBOARD_CLOUD_VERIFY_TOKEN`. `POST /webhooks/cloud` must carry
`X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body with SWITCHBOARD_CLOUD_APP_SECRET>`;
its body (`object: whatsapp_business_account`, `entry[].changes[].value`) may hold several messages
and statuses, for this number only (`metadata.phone_number_id`). The whole body is checked before
anything is stored. Meta retries a failed delivery for days, so there is no freshness window: a
repeated delivery changes nothing (messages by their `wamid`). Error 131047 in a `failed` status is
the 24-hour rule, reported as OUTSIDE_REPLY_WINDOW."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from application import commands as c
from application.channel import MergeClientIdentity
from application.errors import DomainError
from application.handlers import Received
from application.media import MediaLimits, MediaReceived, ReceiveClientMedia
from application.phones import to_e164
from application.ports import DeliveryReport
from infra.bootstrap import Container
from infra.gateways.cloud import OUTSIDE_WINDOW, RE_ENGAGEMENT
from infra.media_jobs import limits_of
from infra.metrics import WEBHOOK_REFUSED
from infra.settings import Gateway

from .common import read_limited_body
from .media_payloads import cloud_media
from .simulator import describe

router = APIRouter()
CHANNEL = "cloud"
BSUID = "bsuid:"


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Profile(_Model):
    name: Annotated[str, Field(max_length=256)] = ""


class Contact(_Model):
    wa_id: Annotated[str, Field(max_length=64)] = ""
    profile: Profile = Profile()


class Text(_Model):
    body: Annotated[str, Field(max_length=65536)]


class CloudMessage(_Model):
    from_: Annotated[str, Field(alias="from", min_length=3, max_length=64)]
    id: Annotated[str, Field(min_length=1, max_length=255)]
    timestamp: Annotated[str, Field(pattern=r"^\d{1,12}$")]
    type: Annotated[str, Field(min_length=1, max_length=32)]
    text: Text | None = None
    # media (kept as they come: api/webhooks/media_payloads.py reads them)
    image: dict[str, Any] | None = None
    document: dict[str, Any] | None = None
    audio: dict[str, Any] | None = None
    video: dict[str, Any] | None = None
    sticker: dict[str, Any] | None = None
    location: dict[str, Any] | None = None
    contacts: Annotated[list[dict[str, Any]] | None, Field(max_length=20)] = None

    def content(self) -> str:
        if self.type == "text" and self.text is not None:
            return self.text.body
        return f"[{self.type}]"


class StatusError(_Model):
    code: int | None = None
    title: Annotated[str, Field(max_length=500)] = ""


class CloudStatus(_Model):
    id: Annotated[str, Field(min_length=1, max_length=255)]
    status: Literal["sent", "delivered", "read", "failed", "deleted", "warning"]
    timestamp: Annotated[str, Field(pattern=r"^\d{1,12}$")]
    recipient_id: Annotated[str, Field(max_length=64)] = ""
    errors: list[StatusError] = []


class Metadata(_Model):
    display_phone_number: Annotated[str, Field(max_length=64)] = ""
    phone_number_id: Annotated[str, Field(min_length=1, max_length=64)]


class Value(_Model):
    messaging_product: str = "whatsapp"
    metadata: Metadata
    contacts: Annotated[list[Contact], Field(max_length=1000)] = []
    messages: Annotated[list[CloudMessage], Field(max_length=1000)] = []
    statuses: Annotated[list[CloudStatus], Field(max_length=1000)] = []


class Change(_Model):
    field: Annotated[str, Field(max_length=64)]
    value: dict[str, Any]


class Entry(_Model):
    id: Annotated[str, Field(max_length=64)]
    changes: Annotated[list[Change], Field(max_length=100)]


class Notification(_Model):
    object: Literal["whatsapp_business_account"]
    entry: Annotated[list[Entry], Field(max_length=100)]


class Answer(BaseModel):
    accepted: int = 0
    duplicates: int = 0
    held: int = 0
    statuses: int = 0
    ignored: int = 0


def refuse(status: int, reason: str) -> HTTPException:
    WEBHOOK_REFUSED.labels(CHANNEL, str(status)).inc()
    return HTTPException(status, reason)


def _container(request: Request) -> Container:
    container: Container = request.app.state.container
    if container.settings.gateway != Gateway.CLOUD:
        raise refuse(404, "The Cloud API is not the WhatsApp gateway here.")
    return container


@router.get("/webhooks/cloud", response_class=PlainTextResponse, tags=["webhooks"])
async def cloud_verify(
    request: Request,
    mode: Annotated[str, Query(alias="hub.mode", max_length=32)] = "",
    token: Annotated[str, Query(alias="hub.verify_token", max_length=512)] = "",
    challenge: Annotated[str, Query(alias="hub.challenge", max_length=512)] = "",
) -> PlainTextResponse:
    """Meta's subscription check: the challenge back when the verify token matches."""
    container = _container(request)
    expected = container.settings.cloud_verify_token
    if mode != "subscribe" or not challenge or not hmac.compare_digest(
            token.encode(), expected.encode()):
        raise refuse(403, "The verify token does not match.")
    return PlainTextResponse(challenge)


def signature_of(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@router.post("/webhooks/cloud", response_model=Answer, tags=["webhooks"])
async def cloud_webhook(request: Request) -> Answer:
    container = _container(request)
    settings = container.settings
    body = await read_limited_body(request, settings.webhook_max_body_bytes)
    signature = request.headers.get("x-hub-signature-256", "")
    if not signature:
        raise refuse(401, "The request is not signed (X-Hub-Signature-256).")
    if not hmac.compare_digest(signature.strip().lower(),
                               signature_of(settings.cloud_app_secret, body)):
        raise refuse(401, "The signature does not match.")
    try:
        notification = Notification.model_validate(json.loads(body))
        values = [Value.model_validate(change.value)
                  for entry in notification.entry for change in entry.changes
                  if change.field == "messages"]
        commands, merges, reports, ignored = _translate(
            values, settings.cloud_phone_number_id, limits_of(settings))
    except ValidationError as error:
        raise refuse(422, describe(error)) from None
    except ValueError:
        raise refuse(422, "Malformed notification: the body is not JSON.") from None
    except DomainError as error:
        raise refuse(422, error.message) from None
    answer = Answer(ignored=ignored)
    try:
        for merge in merges:
            await container.writer.execute(merge)
        results: list[Received | MediaReceived] = list(await asyncio.gather(
            *(container.writer.execute(command) for command in commands)))
        if any(isinstance(command, ReceiveClientMedia) for command in commands):
            container.media.wake()
    except DomainError as error:
        raise refuse(422, error.message) from None
    for received in results:
        if received.duplicate:
            answer.duplicates += 1
        elif received.held:
            answer.held += 1
        else:
            answer.accepted += 1
    if reports:
        await container.whatsapp.delivery_reports.report(reports)
        answer.statuses = len(reports)
    return answer


def _identity(raw: str) -> str:
    """A wa_id is a phone number; anything else is a business-scoped user id, kept as such."""
    try:
        return to_e164(raw)
    except DomainError:
        identity = BSUID + raw
        if len(raw) > 25 or not all(ch.isalnum() or ch in "._-" for ch in raw):
            raise DomainError(f"Malformed sender {raw!r}.", field="from") from None
        return identity


def _translate(values: list[Value], phone_number_id: str,
               limits: MediaLimits | None = None) -> tuple[
        list[c.ReceiveClientMessage | ReceiveClientMedia], list[MergeClientIdentity],
        list[DeliveryReport], int]:
    commands: list[c.ReceiveClientMessage | ReceiveClientMedia] = []
    merges: list[MergeClientIdentity] = []
    reports: list[DeliveryReport] = []
    ignored = 0
    for value in values:
        if value.metadata.phone_number_id != phone_number_id:
            ignored += len(value.messages) + len(value.statuses)
            continue
        names = {contact.wa_id: contact.profile.name for contact in value.contacts}
        for message in value.messages:
            phone = _identity(message.from_)
            if phone.startswith(BSUID):
                known = [w for w in names if w and w != message.from_]
                if len(value.contacts) == 1 and known:
                    number = to_e164(known[0])
                    merges.append(MergeClientIdentity(identity=phone, phone=number))
                    phone = number
            media = cloud_media(message.model_dump(by_alias=True))
            if media is not None:
                commands.append(ReceiveClientMedia(
                    channel=CHANNEL, external_id=message.id, phone=phone,
                    name=names.get(message.from_, "").strip()[:120],
                    sent_at=datetime.fromtimestamp(int(message.timestamp), UTC), media=media,
                    limits=limits or MediaLimits()))
                continue
            commands.append(c.ReceiveClientMessage(
                channel=CHANNEL, external_id=message.id, phone=phone,
                name=names.get(message.from_, "").strip()[:120], text=message.content(),
                sent_at=datetime.fromtimestamp(int(message.timestamp), UTC)))
        for status in value.statuses:
            if status.status not in ("sent", "delivered", "read", "failed"):
                ignored += 1
                continue
            error = status.errors[0] if status.errors else None
            code = str(error.code) if error and error.code is not None else ""
            reason = error.title if error else ""
            if error and error.code == RE_ENGAGEMENT:
                reason = OUTSIDE_WINDOW
            reports.append(DeliveryReport(
                channel=CHANNEL, external_id=status.id, status=status.status,
                at=datetime.fromtimestamp(int(status.timestamp), UTC),
                recipient=status.recipient_id, error_code=code, error=reason))
    return commands, merges, reports, ignored
