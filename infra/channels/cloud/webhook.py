"""Meta's WhatsApp Cloud API webhook (`/webhooks/cloud`).

`GET /webhooks/cloud?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…` echoes the challenge
when the token is `SWITCHBOARD_CLOUD_VERIFY_TOKEN`. `POST /webhooks/cloud` must carry
`X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body with SWITCHBOARD_CLOUD_APP_SECRET>`;
its body (`object: whatsapp_business_account`, `entry[].changes[].value`) may hold several messages
and statuses, for this number only (`metadata.phone_number_id`). Meta retries a failed delivery
for days, so there is no freshness window: a repeated delivery changes nothing (messages by their
`wamid`). Error 131047 in a `failed` status is the 24-hour rule, reported as OUTSIDE_REPLY_WINDOW.

**One bad item never fails a batch.** Meta retries the whole body when it is not answered 2xx,
so a refused body would lose every message in it, again and again. A body that is unsigned,
badly signed, not JSON or not `whatsapp_business_account` is refused whole (before anything is
stored); inside a trusted body each message and status is read on its own: the good ones are
stored, and each item that cannot be read (or that the domain refuses) is answered under
`refused` (where, its id, why), logged as a warning with the item itself (to replay it by hand),
counted in `switchboard_webhook_items_refused_total{channel, reason}` on /metrics and recorded
(`Intake.refused`: once per item however often Meta delivers the batch — by its wamid, a status
by its wamid and status, else by a hash of the item — shown on the admins' WhatsApp page); then
the answer is 200.

**Business-scoped user ids** (Meta's "Business-scoped user IDs" page,
developers.facebook.com/documentation/business-messaging/whatsapp/business-scoped-user-ids; sent
since April 2026): every message carries `from_user_id` and its contact `user_id` (a BSUID such
as `US.13491208655302741918`, or a parent id `US.ENT.…`), while `from` and `wa_id` (the phone
number) are left out for users with a username whose number is not shared. A client known only
by its BSUID is kept under `bsuid:<id>` (domain/clients.py UNRESOLVED) and answered there (the
gateway writes to `recipient`); once a message names both, the BSUID's client is merged into the
number's (application/channel.py MergeClientIdentity), as WAHA's lids are.

**Kinds of message** (Meta's messages webhook reference): a reaction (`reaction{message_id,
emoji}`, the emoji left out when taken back) goes to the intake as a reaction on that message;
a reply button (`interactive.button_reply`), a list row (`interactive.list_reply`) or a
template's quick reply (`button{payload, text}`) is the client's message whose text is the title
chosen; media, locations and contacts are media; other kinds (`unsupported`, `system`, `order`,
…) become a readable text."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from anyio import to_thread
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from application.channels import (
    DeliveryReport,
    IncomingMessage,
    IncomingReaction,
    Intake,
    RefusedItem,
    WebhookRefused,
    WebhookRequest,
)
from application.errors import DomainError
from application.handlers import Received
from application.phones import to_e164
from infra.channels.cloud.gateway import BSUID, OUTSIDE_WINDOW, RE_ENGAGEMENT
from infra.channels.common import counted, describe
from infra.channels.common import refuse as _refuse
from infra.channels.media_payloads import cloud_media
from infra.metrics import WEBHOOK_ITEMS_REFUSED
from infra.settings import Settings

CHANNEL = "cloud"
# A country code, a dot, then up to 128 letters, digits and dots (`US.ENT.…` for a parent id).
USER_ID = re.compile(r"^[A-Za-z]{2}\.[A-Za-z0-9.]{1,128}$")
REPORTED = ("sent", "delivered", "read", "failed")
log = logging.getLogger(__name__)
KnownPhone = Callable[[str], str | None]

__all__ = ["BSUID", "CHANNEL", "CloudReceiver", "signature_of"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Profile(_Model):
    name: Annotated[str, Field(max_length=256)] = ""


class Contact(_Model):
    wa_id: Annotated[str, Field(max_length=64)] = ""
    user_id: Annotated[str, Field(max_length=160)] = ""
    profile: Profile = Profile()


class Text(_Model):
    body: Annotated[str, Field(max_length=65536)]


class Reaction(_Model):
    message_id: Annotated[str, Field(min_length=1, max_length=255)]
    emoji: Annotated[str, Field(max_length=64)] = ""


class Choice(_Model):
    id: Annotated[str, Field(max_length=256)] = ""
    title: Annotated[str, Field(min_length=1, max_length=1024)]


class Interactive(_Model):
    type: Annotated[str, Field(max_length=32)]
    button_reply: Choice | None = None
    list_reply: Choice | None = None


class Button(_Model):
    payload: Annotated[str, Field(max_length=1024)] = ""
    text: Annotated[str, Field(min_length=1, max_length=1024)]


class CloudMessage(_Model):
    from_: Annotated[str, Field(alias="from", max_length=64)] = ""
    from_user_id: Annotated[str, Field(max_length=160)] = ""
    id: Annotated[str, Field(min_length=1, max_length=255)]
    timestamp: Annotated[str, Field(pattern=r"^\d{1,12}$")]
    type: Annotated[str, Field(min_length=1, max_length=32)]
    text: Text | None = None
    reaction: Reaction | None = None
    interactive: Interactive | None = None
    button: Button | None = None
    system: dict[str, Any] | None = None
    order: dict[str, Any] | None = None
    # media (kept as they come: infra/channels/media_payloads.py reads them)
    image: dict[str, Any] | None = None
    document: dict[str, Any] | None = None
    audio: dict[str, Any] | None = None
    video: dict[str, Any] | None = None
    sticker: dict[str, Any] | None = None
    location: dict[str, Any] | None = None
    contacts: Annotated[list[dict[str, Any]] | None, Field(max_length=20)] = None

    def content(self) -> str:
        """The text an operator reads for this message."""
        if self.type == "text":
            if self.text is None:
                raise ValueError("A text message without its text.")
            return self.text.body
        if self.type == "interactive":
            if self.interactive is None:
                raise ValueError("An interactive reply without its interactive object.")
            chosen = self.interactive.button_reply or self.interactive.list_reply
            if chosen is None:  # a flow's answer (nfm_reply) and what comes later
                return f"[interactive reply: {self.interactive.type}]"
            return chosen.title
        if self.type == "button":
            if self.button is None:
                raise ValueError("A button reply without its button.")
            return self.button.text
        if self.type == "system":
            body = (self.system or {}).get("body")
            return f"[system] {body}" if isinstance(body, str) and body else "[system]"
        if self.type == "order":
            items = (self.order or {}).get("product_items")
            count = len(items) if isinstance(items, list) else 0
            note = (self.order or {}).get("text")
            said = f": {note}" if isinstance(note, str) and note else ""
            return f"[order of {count} item{'' if count == 1 else 's'}]{said}"
        if self.type in ("unsupported", "unknown"):
            return "[a kind of message WhatsApp does not pass on to businesses]"
        return f"[{self.type}]"


class StatusError(_Model):
    code: int | None = None
    title: Annotated[str, Field(max_length=500)] = ""


class CloudStatus(_Model):
    id: Annotated[str, Field(min_length=1, max_length=255)]
    status: Annotated[str, Field(min_length=1, max_length=32)]
    timestamp: Annotated[str, Field(pattern=r"^\d{1,12}$")]
    recipient_id: Annotated[str, Field(max_length=64)] = ""
    recipient_user_id: Annotated[str, Field(max_length=160)] = ""
    errors: Annotated[list[StatusError], Field(max_length=20)] = []


class Metadata(_Model):
    display_phone_number: Annotated[str, Field(max_length=64)] = ""
    phone_number_id: Annotated[str, Field(min_length=1, max_length=64)]


class Value(_Model):
    """One change's value; its items are read one by one (a bad one spoils only itself)."""

    messaging_product: str = "whatsapp"
    metadata: Metadata
    contacts: Annotated[list[Any], Field(max_length=1000)] = []
    messages: Annotated[list[Any], Field(max_length=1000)] = []
    statuses: Annotated[list[Any], Field(max_length=1000)] = []


class Change(_Model):
    field: Annotated[str, Field(max_length=64)]
    value: Any = None


class Entry(_Model):
    id: Annotated[str, Field(max_length=64)]
    changes: Annotated[list[Change], Field(max_length=100)]


class Notification(_Model):
    object: Literal["whatsapp_business_account"]
    entry: Annotated[list[Entry], Field(max_length=100)]


class Refused(BaseModel):
    where: str
    id: str = ""
    reason: str


class Answer(BaseModel):
    accepted: int = 0
    duplicates: int = 0
    held: int = 0
    statuses: int = 0
    reactions: int = 0
    ignored: int = 0
    refused: list[Refused] = []


def refuse(status: int, reason: str) -> WebhookRefused:
    return _refuse(CHANNEL, status, reason)


def signature_of(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass
class Batch:
    """What one notification carries, read item by item."""

    messages: list[tuple[str, IncomingMessage]] = field(default_factory=list)
    reactions: list[tuple[str, IncomingReaction]] = field(default_factory=list)
    merges: dict[str, str] = field(default_factory=dict)  # bsuid:<id> -> its phone number
    unresolved: list[tuple[str, str, IncomingMessage | IncomingReaction]] = field(
        default_factory=list)  # (where, bsuid:<id>, item) waiting for a number known before
    reports: list[DeliveryReport] = field(default_factory=list)
    ignored: int = 0
    refused: list[tuple[Refused, str, Any]] = field(default_factory=list)

    def refuse(self, where: str, item: Any, reason: str, code: str) -> None:
        wamid = item.get("id") if isinstance(item, dict) else None
        item_id = str(wamid)[:200] if wamid else ""
        said = item.get("status") if isinstance(item, dict) else None
        if item_id and ".statuses[" in where and isinstance(said, str):
            item_id += f":{said[:32]}"  # a message's statuses share its id: sent, delivered, …
        self.refused.append((Refused(where=where, id=item_id, reason=reason[:500]), code, item))


class CloudReceiver:
    """Meta's subscription check (GET) and its notifications (POST, signed with the app
    secret), for the one phone number this installation serves. `known_phone` finds the
    number a business-scoped user id was merged into (the read models)."""

    def __init__(self, *, intake: Intake, settings: Settings,
                 known_phone: KnownPhone | None = None) -> None:
        self.intake = intake
        self.settings = settings  # the secrets and the number, read at each request
        self.known_phone: KnownPhone = known_phone or _no_phone

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
        except ValidationError as error:
            raise refuse(422, describe(error)) from None
        except ValueError:
            raise refuse(422, "Malformed notification: the body is not JSON.") from None
        batch = read(notification, self.settings.cloud_phone_number_id)
        return (await self._store(batch)).model_dump()

    async def _store(self, batch: Batch) -> Answer:
        answer = Answer(ignored=batch.ignored)
        refused = list(batch.refused)
        for identity, phone in batch.merges.items():
            await self.intake.merge_identity(identity, phone)
        for where, identity, item in batch.unresolved:
            known = await to_thread.run_sync(self.known_phone, identity)
            resolved = _with_sender(item, known) if known else item
            if isinstance(resolved, IncomingReaction):
                batch.reactions.append((where, resolved))
            else:
                batch.messages.append((where, resolved))
        results = await asyncio.gather(
            *(self.intake.message(message) for _, message in batch.messages),
            return_exceptions=True)
        for (where, message), result in zip(batch.messages, results, strict=True):
            if isinstance(result, DomainError):
                refused.append((Refused(where=where, id=message.external_id,
                                        reason=result.message), "refused", message))
            elif isinstance(result, BaseException):
                raise result  # the store failed: 5xx, and Meta delivers the batch again
            else:
                _count(answer, result)
        for where, reaction in batch.reactions:
            try:
                shown = await self.intake.reaction(reaction)
            except DomainError as error:
                refused.append((Refused(where=where, id=reaction.target_external_id,
                                        reason=error.message), "refused", reaction))
                continue
            if shown:
                answer.reactions += 1
            else:
                answer.ignored += 1  # a message not known here, or nothing changed
        await self.intake.reports(batch.reports)
        answer.statuses = len(batch.reports)
        for refusal, code, raw in refused:
            _record_refusal(refusal, code, raw)
        await asyncio.gather(*(self.intake.refused(RefusedItem(
            channel=CHANNEL, where=refusal.where, item_id=refusal.id, reason=refusal.reason,
            raw=_raw(raw).encode())) for refusal, _, raw in refused))
        answer.refused = [refusal for refusal, _, _ in refused]
        return answer

    def subscribe(self, query: Any) -> str:
        """Meta's subscription check: the challenge back when the verify token matches."""
        mode = str(query.get("hub.mode", ""))[:32]
        token = str(query.get("hub.verify_token", ""))[:512]
        challenge = str(query.get("hub.challenge", ""))[:512]
        if mode != "subscribe" or not challenge or not hmac.compare_digest(
                token.encode(), self.settings.cloud_verify_token.encode()):
            raise refuse(403, "The verify token does not match.")
        return challenge


def read(notification: Notification, phone_number_id: str) -> Batch:
    """Every item of the notification's `messages` changes, each read on its own."""
    batch = Batch()
    for e, entry in enumerate(notification.entry):
        for c, change in enumerate(entry.changes):
            if change.field != "messages":
                continue
            where = f"entry[{e}].changes[{c}]"
            try:
                value = Value.model_validate(change.value)
            except ValidationError as error:
                batch.refuse(where, change.value, describe(error), "malformed_change")
                continue
            if value.metadata.phone_number_id != phone_number_id:
                batch.ignored += len(value.messages) + len(value.statuses)
                continue
            _read_value(batch, value, where)
    return batch


def _read_value(batch: Batch, value: Value, where: str) -> None:
    contacts = [c for c in (_contact(raw) for raw in value.contacts) if c is not None]
    names = {key: c.profile.name for c in contacts for key in (c.wa_id, c.user_id) if key}
    for contact in contacts:  # a contact naming both: the id is that number
        if contact.wa_id and contact.user_id:
            _pair(batch, contact.user_id, contact.wa_id)
    parsed: list[tuple[str, CloudMessage, Any]] = []
    for m, raw in enumerate(value.messages):
        at = f"{where}.messages[{m}]"
        try:
            message = CloudMessage.model_validate(raw)
            phone, user_id = _sender(message)
        except ValidationError as error:
            batch.refuse(at, raw, describe(error), "malformed_message")
            continue
        except DomainError as error:
            batch.refuse(at, raw, error.message, "malformed_sender")
            continue
        if phone and user_id:
            _pair(batch, user_id, phone)
        parsed.append((at, message, raw))
    for at, message, raw in parsed:
        try:
            _read_message(batch, at, message, names)
        except (ValueError, TypeError, DomainError) as error:
            reason = error.message if isinstance(error, DomainError) else str(error)
            batch.refuse(at, raw, f"Malformed message: {reason}", "malformed_message")
    for s, raw in enumerate(value.statuses):
        at = f"{where}.statuses[{s}]"
        try:
            status = CloudStatus.model_validate(raw)
        except ValidationError as error:
            batch.refuse(at, raw, describe(error), "malformed_status")
            continue
        if status.status not in REPORTED:
            batch.ignored += 1  # deleted, warning, and whatever comes later
            continue
        batch.reports.append(_report(status))


def _read_message(batch: Batch, where: str, message: CloudMessage,
                  names: dict[str, str]) -> None:
    phone, user_id = _sender(message)
    identity = phone or batch.merges.get(BSUID + user_id) or BSUID + user_id
    at = datetime.fromtimestamp(int(message.timestamp), UTC)
    item: IncomingMessage | IncomingReaction
    if message.type == "reaction":
        if message.reaction is None:
            raise ValueError("a reaction without its reaction object")
        item = IncomingReaction(channel=CHANNEL, target_external_id=message.reaction.message_id,
                                sender=identity, emoji=message.reaction.emoji, at=at)
    else:
        name = names.get(phone.lstrip("+")) or names.get(user_id) or ""
        item = IncomingMessage(
            channel=CHANNEL, external_id=message.id, sender=identity, name=name,
            text=message.content(), sent_at=at,
            media=cloud_media(message.model_dump(by_alias=True)))
    if identity.startswith(BSUID):  # a number may be known from an earlier message
        batch.unresolved.append((where, identity, item))
    elif isinstance(item, IncomingReaction):
        batch.reactions.append((where, item))
    else:
        batch.messages.append((where, item))


def _sender(message: CloudMessage) -> tuple[str, str]:
    """The client's phone number (E.164) and business-scoped user id, either may be empty.
    A `from` that is not a number but a user id (as some early deliveries had it) is the id."""
    phone = user_id = ""
    if message.from_:
        try:
            phone = to_e164(message.from_)
        except DomainError:
            if not USER_ID.match(message.from_):
                raise DomainError(f"Malformed sender {message.from_!r}.",
                                  field="from") from None
            user_id = message.from_
    if message.from_user_id:
        if not USER_ID.match(message.from_user_id):
            raise DomainError(f"Malformed business-scoped user id {message.from_user_id!r}.",
                              field="from_user_id")
        user_id = message.from_user_id
    if not phone and not user_id:
        raise DomainError("The message names no sender (neither from nor from_user_id).",
                          field="from")
    return phone, user_id


def _contact(raw: Any) -> Contact | None:
    try:
        contact = Contact.model_validate(raw)
    except ValidationError:
        return None  # a contact only names; its message is read (and judged) on its own
    user_id, wa_id = contact.user_id, ""
    if contact.wa_id:
        try:
            wa_id = to_e164(contact.wa_id).lstrip("+")
        except DomainError:  # an early delivery's user id in wa_id
            user_id = user_id or contact.wa_id
    if user_id and not USER_ID.match(user_id):
        user_id = ""
    return contact.model_copy(update={"wa_id": wa_id, "user_id": user_id})


def _pair(batch: Batch, user_id: str, phone: str) -> None:
    try:
        number = phone if phone.startswith("+") else to_e164(phone)
    except DomainError:
        return
    batch.merges.setdefault(BSUID + user_id, number)


def _report(status: CloudStatus) -> DeliveryReport:
    error = status.errors[0] if status.errors else None
    code = str(error.code) if error and error.code is not None else ""
    reason = error.title if error else ""
    if error and error.code == RE_ENGAGEMENT:
        reason = OUTSIDE_WINDOW
    recipient = status.recipient_id or (
        BSUID + status.recipient_user_id if status.recipient_user_id else "")
    return DeliveryReport(
        channel=CHANNEL, external_id=status.id, status=status.status,
        at=datetime.fromtimestamp(int(status.timestamp), UTC),
        recipient=recipient, error_code=code, error=reason)


def _with_sender(item: IncomingMessage | IncomingReaction, sender: str
                 ) -> IncomingMessage | IncomingReaction:
    if isinstance(item, IncomingReaction):
        return IncomingReaction(channel=item.channel,
                                target_external_id=item.target_external_id, sender=sender,
                                emoji=item.emoji, at=item.at)
    return IncomingMessage(channel=item.channel, external_id=item.external_id, sender=sender,
                           name=item.name, text=item.text, sent_at=item.sent_at,
                           media=item.media)


def _no_phone(identity: str) -> str | None:
    return None


def _count(answer: Answer, received: Received) -> None:
    status = counted(received, CHANNEL)
    if status == "duplicate":
        answer.duplicates += 1
    elif status == "held":
        answer.held += 1
    else:
        answer.accepted += 1


def _record_refusal(refused: Refused, code: str, raw: Any) -> None:
    """A refused item, where an admin sees it: a warning with the item itself (to replay it by
    hand) and the per-reason counter on /metrics."""
    WEBHOOK_ITEMS_REFUSED.labels(CHANNEL, code).inc()
    item = _raw(raw)[:4000]
    log.warning("cloud webhook: one item refused, the rest of the batch stored",
                extra={"channel": CHANNEL, "where": refused.where, "item_id": refused.id,
                       "reason": refused.reason, "code": code, "item": item})


def _raw(item: Any) -> str:
    """A refused item as JSON, as it came (a value the domain refused: as it was read)."""
    try:
        return json.dumps(item if not isinstance(item, (IncomingMessage, IncomingReaction))
                          else vars(item), default=str, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(item)
