"""Meta's WhatsApp Cloud API webhook (`/webhooks/cloud`).

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

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from application.channels import (
    DeliveryReport,
    IncomingMessage,
    Intake,
    WebhookRefused,
    WebhookRequest,
)
from application.errors import DomainError
from application.handlers import Received
from application.phones import to_e164
from infra.channels.cloud.gateway import OUTSIDE_WINDOW, RE_ENGAGEMENT
from infra.channels.common import counted, describe
from infra.channels.common import refuse as _refuse
from infra.channels.media_payloads import cloud_media
from infra.settings import Settings

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
    # media (kept as they come: infra/channels/media_payloads.py reads them)
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


def refuse(status: int, reason: str) -> WebhookRefused:
    return _refuse(CHANNEL, status, reason)


def signature_of(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class CloudReceiver:
    """Meta's subscription check (GET) and its notifications (POST, signed with the app
    secret), for the one phone number this installation serves."""

    def __init__(self, *, intake: Intake, settings: Settings) -> None:
        self.intake = intake
        self.settings = settings  # the secrets and the number, read at each request

    async def receive(self, request: WebhookRequest) -> dict[str, Any] | str:
        if request.method == "GET":
            return self.subscribe(request.query)
        signature = request.headers.get("x-hub-signature-256", "")
        if not signature:
            raise refuse(401, "The request is not signed (X-Hub-Signature-256).")
        if not hmac.compare_digest(signature.strip().lower(),
                                   signature_of(self.settings.cloud_app_secret, request.body)):
            raise refuse(401, "The signature does not match.")
        try:
            notification = Notification.model_validate(json.loads(request.body))
            values = [Value.model_validate(change.value)
                      for entry in notification.entry for change in entry.changes
                      if change.field == "messages"]
            messages, merges, reports, ignored = _translate(
                values, self.settings.cloud_phone_number_id)
        except ValidationError as error:
            raise refuse(422, describe(error)) from None
        except ValueError:
            raise refuse(422, "Malformed notification: the body is not JSON.") from None
        except DomainError as error:
            raise refuse(422, error.message) from None
        answer = Answer(ignored=ignored)
        try:
            for identity, phone in merges:
                await self.intake.merge_identity(identity, phone)
            results: list[Received] = list(await asyncio.gather(
                *(self.intake.message(message) for message in messages)))
        except DomainError as error:
            raise refuse(422, error.message) from None
        for received in results:
            status = counted(received, CHANNEL)
            if status == "duplicate":
                answer.duplicates += 1
            elif status == "held":
                answer.held += 1
            else:
                answer.accepted += 1
        await self.intake.reports(reports)
        answer.statuses = len(reports)
        return answer.model_dump()

    def subscribe(self, query: Any) -> str:
        """Meta's subscription check: the challenge back when the verify token matches."""
        mode = str(query.get("hub.mode", ""))[:32]
        token = str(query.get("hub.verify_token", ""))[:512]
        challenge = str(query.get("hub.challenge", ""))[:512]
        if mode != "subscribe" or not challenge or not hmac.compare_digest(
                token.encode(), self.settings.cloud_verify_token.encode()):
            raise refuse(403, "The verify token does not match.")
        return challenge


def _identity(raw: str) -> str:
    """A wa_id is a phone number; anything else is a business-scoped user id, kept as such."""
    try:
        return to_e164(raw)
    except DomainError:
        identity = BSUID + raw
        if len(raw) > 25 or not all(ch.isalnum() or ch in "._-" for ch in raw):
            raise DomainError(f"Malformed sender {raw!r}.", field="from") from None
        return identity


def _translate(values: list[Value], phone_number_id: str) -> tuple[
        list[IncomingMessage], list[tuple[str, str]], list[DeliveryReport], int]:
    """The messages, the identities to merge (a business-scoped id and its number), the
    delivery reports and how many entries were ignored (another number's, unknown statuses)."""
    commands: list[IncomingMessage] = []
    merges: list[tuple[str, str]] = []
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
                    merges.append((phone, number))
                    phone = number
            media = cloud_media(message.model_dump(by_alias=True))
            commands.append(IncomingMessage(
                channel=CHANNEL, external_id=message.id, sender=phone,
                name=names.get(message.from_, ""), text=message.content(),
                sent_at=datetime.fromtimestamp(int(message.timestamp), UTC), media=media))
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
