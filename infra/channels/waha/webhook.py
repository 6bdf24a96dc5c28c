"""WAHA's webhook (`POST /webhooks/waha`): WAHA delivers the events the session subscribes
(`EVENTS` in gateway.py): `message`, `message.ack` and `session.status` here, replies typed on
the phone, edits, deletions and reactions in conversation.py.

Every request must carry `X-Webhook-Hmac` — hex HMAC-SHA512 with `SWITCHBOARD_WAHA_HMAC_KEY`
(required with this gateway) of `<X-Webhook-Timestamp>.<raw body>` when it says
`X-Webhook-Hmac-Version: 2` (current WAHA's WebhookSender), of the raw body alone without it
(earlier releases) — and be within WAHA's retry horizon. WAHA sets `X-Webhook-Timestamp` (ms)
once, to the event's time (devlikeapro/waha#1627) or the first attempt's, and axios-retry sends
the same headers on every retry, so a retry after an outage carries the first time: both stamps
may lie up to `SWITCHBOARD_WEBHOOK_RETRY_HORIZON_SECONDS` in the past (older ones are refused
and counted, `switchboard_webhook_stale_total`), and no more than
`SWITCHBOARD_WEBHOOK_MAX_SKEW_SECONDS` in the future. A repeated delivery changes nothing:
messages by their id, other events by the envelope's id. A sender named `…@lid` is resolved
to a phone number through WAHA's lids API; with no number known the message is kept under the
lid, never dropped.

**What cannot be read is recorded, not retried.** WAHA retries a delivery that is not answered
2xx ("WAHA retries to reach your webhook URL 15 times with 2 seconds delay between attempts",
devlikeapro/waha `docs/site/content/en/docs/how-to/webhooks/index.md`, "Webhook retries"; the
`retries` of a session's webhook config, `src/structures/webhooks.config.dto.ts`) and then drops
it. A signed, fresh event whose payload cannot be read (a `message` without its timestamp, a
sender that is no number, an unknown session status…) or that the domain refuses is recorded
(`Intake.refused`, once per event id), counted in `switchboard_webhook_items_refused_total` and
answered 200 `{status: "refused", reason}`: a retry could never read it either. A signed body
that is no envelope (not JSON, no `id`/`event`/`session`/`payload`…) is recorded too (by its id,
else a hash of the body) and still answered 422. Unsigned, badly signed or stale requests stay
401 and are not recorded (anyone can send those; /metrics counts them)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Annotated, Any

from anyio import to_thread
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from application.channels import (
    DeliveryReport,
    IncomingMessage,
    Intake,
    RefusedItem,
    WebhookRefused,
    WebhookRequest,
)
from application.errors import DomainError
from application.phones import to_e164
from application.ports import GatewaySession, LinkedAccount
from infra.channels.common import accepted, answer, describe
from infra.channels.common import refuse as _refuse
from infra.channels.media_payloads import waha_media
from infra.channels.waha import conversation
from infra.channels.waha.gateway import STATUSES, WahaWhatsAppGateway, message_id
from infra.metrics import WEBHOOK_ITEMS_REFUSED, WEBHOOK_STALE
from infra.settings import Settings

CHANNEL = "waha"
ACKS = {-1: "failed", 1: "sent", 2: "delivered", 3: "read", 4: "played"}
# `ackName` (WAMessageAck's names), for an ack whose number is missing: NOWEB's receipt updates
# and GOWS's unknown receipts send `ackName` with no `ack` (`ACK_UNKNOWN` then).
ACK_NAMES = {"ERROR": -1, "PENDING": 0, "SERVER": 1, "DEVICE": 2, "READ": 3, "PLAYED": 4}
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
    ack: Annotated[int | None, Field(ge=-1, le=4)] = None
    ackName: Annotated[str | None, Field(max_length=32)] = None

    def number(self) -> int | None:
        """The ack's number, or the one its name stands for; None when neither says."""
        if self.ack is not None:
            return self.ack
        return ACK_NAMES.get((self.ackName or "").upper())


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


def refuse(status: int, reason: str) -> WebhookRefused:
    return _refuse(CHANNEL, status, reason)


def verify(key: str, skew_seconds: int, body: bytes, headers: Mapping[str, str],
           horizon_seconds: int | None = None, now: float | None = None) -> None:
    """Refuses (401) a request that is not signed with the key, or whose signed time is older
    than the horizon (counted) or later than the skew allows."""
    signature = headers.get("x-webhook-hmac", "")
    if not signature:
        raise refuse(401, "The request is not signed (X-Webhook-Hmac).")
    if not key:  # settings require it; an empty key would let anyone sign
        raise refuse(401, "No webhook key is configured (SWITCHBOARD_WAHA_HMAC_KEY): "
                          "nothing is accepted.")
    algorithm = headers.get("x-webhook-hmac-algorithm", "sha512").lower()
    if algorithm != "sha512":
        raise refuse(401, f"The signature algorithm {algorithm!r} is not sha512.")
    stamp = headers.get("x-webhook-timestamp", "")
    version = headers.get("x-webhook-hmac-version", "1").strip()
    if version not in ("1", "2"):
        raise refuse(401, f"The signature version {version!r} is not known (1 or 2).")
    if version == "2" and not stamp.isdigit():
        raise refuse(401, "The signature's timestamp (X-Webhook-Timestamp) is missing.")
    # Version 2 signs "<timestamp>.<body>" (the time cannot be changed), version 1 the body.
    signed = f"{stamp}.".encode() + body if version == "2" else body
    expected = hmac.new(key.encode(), signed, hashlib.sha512).hexdigest()
    if not hmac.compare_digest(signature.strip().lower(), expected):
        raise refuse(401, "The signature does not match.")
    if not stamp.isdigit():
        raise refuse(401, "The signature's timestamp (X-Webhook-Timestamp) is missing.")
    fresh(int(stamp), skew_seconds, horizon_seconds, now,
          "The signature's timestamp (X-Webhook-Timestamp)")


def fresh(stamp_ms: int, skew_seconds: int, horizon_seconds: int | None, now: float | None,
          what: str) -> None:
    """A signed time may be up to the horizon old (the gateway's retries keep it), and at most
    the skew ahead of our clock. Stale ones are counted."""
    now_ms = (time.time() if now is None else now) * 1000
    horizon = skew_seconds if horizon_seconds is None else max(horizon_seconds, skew_seconds)
    if stamp_ms - now_ms > skew_seconds * 1000:
        raise refuse(401, f"{what} is in the future beyond the allowed skew: the clocks differ.")
    if now_ms - stamp_ms > horizon * 1000:
        WEBHOOK_STALE.labels(CHANNEL).inc()
        raise refuse(401, f"{what} is stale: older than the gateway's retry horizon "
                          f"({horizon} s).")


class WahaReceiver:
    """Takes WAHA's events: messages and acks to the intake, session changes to the WhatsApp
    service (`session_changed`). `known_phone` looks a lid's number up in the read models."""

    def __init__(self, *, intake: Intake, gateway: WahaWhatsAppGateway, settings: Settings,
                 known_phone: Callable[[str], str | None],
                 session_changed: Callable[[GatewaySession], None]) -> None:
        self.intake = intake
        self.gateway = gateway
        self.settings = settings  # the key and the skew, read at each request
        self.known_phone = known_phone
        self.session_changed = session_changed
        self._seen = _Seen()

    async def receive(self, request: WebhookRequest) -> dict[str, Any]:
        if request.method != "POST":
            raise refuse(405, "WAHA delivers with POST.")
        skew_seconds = self.settings.webhook_max_skew_seconds
        horizon = self.settings.webhook_retry_horizon_seconds
        now = time.time()
        verify(self.settings.waha_hmac_key, skew_seconds, request.body, request.headers,
               horizon, now)
        try:
            envelope = Envelope.model_validate(json.loads(request.body))
        except ValueError as error:  # ValidationError is a ValueError too
            reason = describe(error) if isinstance(error, ValidationError) else \
                "Malformed event: the body is not JSON."
            await self.intake.refused(RefusedItem(  # signed: WAHA's, and worth an admin's look
                channel=CHANNEL, where="body", item_id=_envelope_id(request.body),
                reason=reason, raw=request.body))
            raise refuse(422, reason) from None
        stamp = envelope.timestamp if envelope.timestamp > 10**11 else envelope.timestamp * 1000
        fresh(stamp, skew_seconds, horizon, now, "The event's timestamp")
        if envelope.session != self.gateway.session:
            return answer("ignored")
        try:
            if envelope.event == "message":
                return await self._message(WahaMessage.model_validate(envelope.payload))
            if envelope.event == "message.ack":
                return await self._ack(WahaAck.model_validate(envelope.payload))
            if envelope.event == "session.status":
                status = SessionStatus.model_validate(envelope.payload)
                return await self._session(envelope, status)
            if envelope.event in conversation.EVENTS:  # the company's, edits, revokes, reactions
                return await conversation.take(envelope.event, envelope.payload,
                                               intake=self.intake, identity=self._phone)
        except ValidationError as error:
            return await self._unreadable(envelope, request.body, describe(error),
                                          "malformed_payload")
        except DomainError as error:
            return await self._unreadable(envelope, request.body, error.message, "refused")
        return answer("ignored")

    async def _unreadable(self, envelope: Envelope, body: bytes, reason: str,
                          code: str) -> dict[str, Any]:
        """A signed, fresh event whose payload cannot be read (or that the domain refuses):
        recorded once by the event's id, counted, and answered 200 — WAHA retries anything
        else, and this will never become readable."""
        WEBHOOK_ITEMS_REFUSED.labels(CHANNEL, code).inc()
        await self.intake.refused(RefusedItem(
            channel=CHANNEL, where=f"payload ({envelope.event})", item_id=envelope.id,
            reason=reason, raw=body))
        return {**answer("refused"), "reason": reason}

    async def _message(self, message: WahaMessage) -> dict[str, Any]:
        sender = message.from_
        if message.fromMe or sender.endswith(("@g.us", "@broadcast", "@newsletter")):
            return answer("ignored")  # our own sends, groups and statuses
        media = waha_media(body=message.body, has_media=message.hasMedia, media=message.media,
                           location=message.location, vcards=message.vCards, data=message.data)
        text = message.body or ("[media]" if message.hasMedia else "")
        if media is None and not text.strip():
            return answer("ignored")
        phone = await self._phone(sender)
        data = message.data or {}
        info = data.get("Info")  # GOWS: whatsmeow's MessageInfo, the name as `PushName`
        name = data.get("notifyName") or data.get("pushName") or (
            info.get("PushName") if isinstance(info, dict) else None) or ""
        received = await self.intake.message(IncomingMessage(  # DomainError: refused
            channel=CHANNEL, external_id=message.id, sender=phone, name=str(name),
            text=text, sent_at=datetime.fromtimestamp(message.timestamp, UTC), media=media))
        return accepted(received, CHANNEL)

    async def _phone(self, sender: str) -> str:
        """The client's number; for `…@lid` the number WAHA knows, else the lid itself.
        Raises DomainError for a sender that is neither."""
        if not sender.endswith("@lid"):
            return to_e164(sender)
        lid = sender.split("@", 1)[0]
        if not lid.isdigit() or not 3 <= len(lid) <= 25:
            raise DomainError(f"Malformed sender {sender!r}.", field="from")
        identity = f"lid:{lid}"
        phone = await to_thread.run_sync(self.known_phone, identity)
        if phone:
            return phone
        try:
            phone = await to_thread.run_sync(self.gateway.resolve_lid, lid)
        except Exception:  # WAHA unreachable: keep the message under the lid, never drop it
            phone = None
        if phone is None:
            return identity
        await self.intake.merge_identity(identity, phone)
        return phone

    async def _ack(self, ack: WahaAck) -> dict[str, Any]:
        number = ack.number()
        status = ACKS.get(number) if number is not None else None
        if not ack.fromMe or status is None:
            return answer("ignored")  # not ours, pending, or an ack that names no status
        external_id = message_id(ack.id)  # the form the gateway answered the send with
        recipient = ""
        try:
            recipient = to_e164(ack.from_) if ack.from_ else ""
        except DomainError:
            recipient = ack.from_[:64]
        await self.intake.reports([DeliveryReport(
            channel=CHANNEL, external_id=external_id, status=status, at=datetime.now(UTC),
            recipient=recipient, error="WAHA reports an error" if status == "failed" else "")])
        return answer("recorded", message_id=external_id)

    async def _session(self, envelope: Envelope, status: SessionStatus) -> dict[str, Any]:
        if status.status not in STATUSES:
            raise DomainError(f"Unknown session status {status.status!r}.", field="status")
        if not self._seen.first_time(envelope.id):
            return answer("duplicate")
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
        await to_thread.run_sync(self.session_changed, session)
        return answer("recorded")


def _envelope_id(body: bytes) -> str:
    """The event's id when the body is an object that has one; "" otherwise."""
    try:
        value = json.loads(body)
    except ValueError:
        return ""
    found = value.get("id") if isinstance(value, dict) else None
    return found[:100] if isinstance(found, str) else ""
