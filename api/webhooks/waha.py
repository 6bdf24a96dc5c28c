"""POST /webhooks/waha: WAHA delivers `message`, `message.ack` and `session.status` events.

Every request must carry `X-Webhook-Hmac` — hex HMAC-SHA512 of the raw body with
`SWITCHBOARD_WAHA_HMAC_KEY` (required with this gateway) — and be fresh: both
`X-Webhook-Timestamp` (ms) and the envelope's own (signed) `timestamp` within
`SWITCHBOARD_WEBHOOK_MAX_SKEW_SECONDS`. A repeated delivery changes nothing: messages by their id,
other events by the envelope's id. A sender named `…@lid` is resolved to a phone number through
WAHA's lids API; with no number known the message is kept under the lid, never dropped."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Annotated, Any

from anyio import to_thread
from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from application import commands as c
from application.channel import MergeClientIdentity
from application.errors import DomainError
from application.media import MediaReceived, ReceiveClientMedia
from application.phones import to_e164
from application.ports import DeliveryReport, GatewaySession, LinkedAccount
from infra.bootstrap import Container
from infra.gateways.waha import STATUSES, WahaWhatsAppGateway
from infra.media_jobs import limits_of
from infra.metrics import WEBHOOK_REFUSED
from projections.channel import phone_of_identity

from .common import read_limited_body
from .media_payloads import waha_media
from .simulator import Accepted, accepted, describe

router = APIRouter()
CHANNEL = "waha"
ACKS = {-1: "failed", 1: "sent", 2: "delivered", 3: "read", 4: "played"}
SEEN_KEPT = 10_000


class Envelope(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: Annotated[str, Field(min_length=1, max_length=100)]
    timestamp: Annotated[int, Field(ge=0, le=2**53)]
    event: Annotated[str, Field(min_length=1, max_length=64)]
    session: Annotated[str, Field(min_length=1, max_length=64)]
    me: dict[str, Any] | None = None
    payload: dict[str, Any]


class WahaMessage(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    id: Annotated[str, Field(min_length=1, max_length=200)]
    timestamp: Annotated[int, Field(ge=0, le=2**40)]
    from_: Annotated[str, Field(alias="from", min_length=3, max_length=100)]
    fromMe: bool = False
    body: Annotated[str | None, Field(max_length=65536)] = None
    hasMedia: bool = False
    data: Annotated[dict[str, Any] | None, Field(alias="_data")] = None
    media: dict[str, Any] | None = None
    location: dict[str, Any] | None = None
    vCards: Annotated[list[Any] | None, Field(max_length=20)] = None


class WahaAck(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    id: Annotated[str, Field(min_length=1, max_length=200)]
    from_: Annotated[str, Field(alias="from", max_length=100)] = ""
    fromMe: bool = True
    ack: Annotated[int, Field(ge=-1, le=4)]


class SessionStatus(BaseModel):
    model_config = ConfigDict(extra="ignore")

    status: Annotated[str, Field(min_length=1, max_length=32)]


class _Seen:
    """Envelope ids recently handled, so a repeated `session.status` changes nothing."""

    def __init__(self) -> None:
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def first_time(self, key: str) -> bool:
        with self._lock:
            if key in self._ids:
                return False
            self._ids[key] = None
            while len(self._ids) > SEEN_KEPT:
                self._ids.popitem(last=False)
            return True


_seen = _Seen()


def refuse(status: int, reason: str) -> HTTPException:
    WEBHOOK_REFUSED.labels(CHANNEL, str(status)).inc()
    return HTTPException(status, reason)


def verify(key: str, skew_seconds: int, body: bytes, headers: Any) -> None:
    """Refuses (401) a request that is not signed with the key, or is stale."""
    signature = headers.get("x-webhook-hmac", "")
    if not signature:
        raise refuse(401, "The request is not signed (X-Webhook-Hmac).")
    if not key:  # settings require it; an empty key would let anyone sign
        raise refuse(401, "No webhook key is configured (SWITCHBOARD_WAHA_HMAC_KEY): "
                          "nothing is accepted.")
    algorithm = headers.get("x-webhook-hmac-algorithm", "sha512").lower()
    if algorithm != "sha512":
        raise refuse(401, f"The signature algorithm {algorithm!r} is not sha512.")
    expected = hmac.new(key.encode(), body, hashlib.sha512).hexdigest()
    if not hmac.compare_digest(signature.strip().lower(), expected):
        raise refuse(401, "The signature does not match.")
    stamp = headers.get("x-webhook-timestamp", "")
    if not stamp.isdigit() or abs(time.time() * 1000 - int(stamp)) > skew_seconds * 1000:
        raise refuse(401, "The signature's timestamp (X-Webhook-Timestamp) is missing or stale.")


@router.post("/webhooks/waha", response_model=Accepted, tags=["webhooks"])
async def waha_webhook(request: Request) -> Accepted:
    container: Container = request.app.state.container
    waha = container.whatsapp.waha
    if waha is None:
        raise refuse(404, "WAHA is not the WhatsApp gateway here.")
    settings = container.settings
    body = await read_limited_body(request, settings.webhook_max_body_bytes)
    verify(settings.waha_hmac_key, settings.webhook_max_skew_seconds, body, request.headers)
    try:
        envelope = Envelope.model_validate(json.loads(body))
    except ValueError as error:  # ValidationError is a ValueError too
        reason = describe(error) if isinstance(error, ValidationError) else \
            "Malformed event: the body is not JSON."
        raise refuse(422, reason) from None
    stamp = envelope.timestamp if envelope.timestamp > 10**11 else envelope.timestamp * 1000
    if abs(time.time() * 1000 - stamp) > settings.webhook_max_skew_seconds * 1000:
        raise refuse(401, "The event's timestamp is stale.")
    if envelope.session != waha.session:
        return Accepted(status="ignored")
    try:
        if envelope.event == "message":
            return await _message(container, waha, WahaMessage.model_validate(envelope.payload))
        if envelope.event == "message.ack":
            return await _ack(container, WahaAck.model_validate(envelope.payload))
        if envelope.event == "session.status":
            status = SessionStatus.model_validate(envelope.payload)
            return await _session(container, envelope, status)
    except ValidationError as error:
        raise refuse(422, describe(error)) from None
    return Accepted(status="ignored")


async def _message(container: Container, waha: WahaWhatsAppGateway,
                   message: WahaMessage) -> Accepted:
    sender = message.from_
    if message.fromMe or sender.endswith(("@g.us", "@broadcast", "@newsletter")):
        return Accepted(status="ignored")  # our own sends, groups and statuses
    media = waha_media(body=message.body, has_media=message.hasMedia, media=message.media,
                       location=message.location, vcards=message.vCards, data=message.data)
    text = message.body or ("[media]" if message.hasMedia else "")
    if media is None and not text.strip():
        return Accepted(status="ignored")
    phone = await _phone(container, waha, sender)
    data = message.data or {}
    name = data.get("notifyName") or data.get("pushName") or ""
    if media is not None:
        try:
            got: MediaReceived = await container.writer.execute(ReceiveClientMedia(
                channel=CHANNEL, external_id=message.id, phone=phone,
                name=str(name).strip()[:120],
                sent_at=datetime.fromtimestamp(message.timestamp, UTC), media=media,
                limits=limits_of(container.settings)))
        except DomainError as error:
            raise refuse(422, error.message) from None
        container.media.wake()
        return accepted(got.received, CHANNEL)
    try:
        received = await container.writer.execute(c.ReceiveClientMessage(
            channel=CHANNEL, external_id=message.id, phone=phone,
            name=str(name).strip()[:120], text=text,
            sent_at=datetime.fromtimestamp(message.timestamp, UTC)))
    except DomainError as error:
        raise refuse(422, error.message) from None
    return accepted(received, CHANNEL)


async def _phone(container: Container, waha: WahaWhatsAppGateway, sender: str) -> str:
    """The client's number; for `…@lid` the number WAHA knows, else the lid itself."""
    if not sender.endswith("@lid"):
        try:
            return to_e164(sender)
        except DomainError as error:
            raise refuse(422, error.message) from None
    lid = sender.split("@", 1)[0]
    if not lid.isdigit() or not 3 <= len(lid) <= 25:
        raise refuse(422, f"Malformed sender {sender!r}.")
    identity = f"lid:{lid}"

    def known() -> str | None:
        with container.views.reader.connect() as conn:
            return phone_of_identity(conn, identity)

    phone = await to_thread.run_sync(known)
    if phone:
        return phone
    try:
        phone = await to_thread.run_sync(waha.resolve_lid, lid)
    except Exception:  # WAHA unreachable: keep the message under the lid, never drop it
        phone = None
    if phone is None:
        return identity
    await container.writer.execute(MergeClientIdentity(identity=identity, phone=phone))
    return phone


async def _ack(container: Container, ack: WahaAck) -> Accepted:
    status = ACKS.get(ack.ack)
    if not ack.fromMe or status is None:
        return Accepted(status="ignored")
    recipient = ""
    try:
        recipient = to_e164(ack.from_) if ack.from_ else ""
    except DomainError:
        recipient = ack.from_[:64]
    await container.whatsapp.delivery_reports.report([DeliveryReport(
        channel=CHANNEL, external_id=ack.id, status=status, at=datetime.now(UTC),
        recipient=recipient, error="WAHA reports an error" if status == "failed" else "")])
    return Accepted(status="recorded", message_id=ack.id)


async def _session(container: Container, envelope: Envelope, status: SessionStatus) -> Accepted:
    if status.status not in STATUSES:
        raise refuse(422, f"Unknown session status {status.status!r}.")
    if not _seen.first_time(envelope.id):
        return Accepted(status="duplicate")
    account = None
    me = envelope.me or {}
    if status.status == "WORKING" and isinstance(me.get("id"), str):
        try:
            phone = to_e164(me["id"])
        except DomainError:
            phone = ""
        if phone:
            push = me.get("pushName")
            account = LinkedAccount(phone=phone, device="WAHA" + (
                f" ({push})" if isinstance(push, str) and push else ""))
    session = GatewaySession(status=status.status, account=account,
                             reason=f"WAHA reports {status.status}.")
    await to_thread.run_sync(container.whatsapp.service.gateway_changed, session)
    return Accepted(status="recorded")
