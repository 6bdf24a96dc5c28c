"""WAHA's conversation events besides new messages, as the webhook (`webhook.py`) hands them
here: a reply the company typed on the linked phone, a client's edit, a message deleted for
everyone, a reaction. Shapes as WAHA's source defines them (devlikeapro/waha,
`src/structures/webhooks.dto.ts`, `src/structures/responses.dto.ts`, the engines'
`session.*.core.ts`):

- `message.any` — "Fired on all message creations, including your own": a `WAMessage`; a message
  of ours (`fromMe: true`) carries `to` (the chat) and `source`, `"api"` for one sent through the
  API (its id among the session's sent ids, `getMessageSource`; GOWS: sent from this device,
  `getSourceDeviceByMsg`) and `"app"` for one typed on the phone.
  We subscribe to BOTH `message` and `message.any`: every client message keeps arriving by
  `message` as before (sessions created before this change, and the one path that stores them),
  and `message.any` adds only what `message` never carries — the company's own messages. A
  client's message in `message.any` (`fromMe: false`, the same id as its `message`) is ignored
  here without touching the store, so it is stored exactly once even before the id's dedupe.
  Of our own messages, `source: "api"` is Switchboard's send reported back and is ignored; one
  without `source` (an older WAHA) is recognised by its id, which the send recorded
  (`GatewayReceipt`, as delivery reports find it).
- `message.edited` — `WAMessageEditedBody`: the edit as a `WAMessage` (its own `id`, `from`,
  `fromMe`, `timestamp`, `body` = the new text) plus `editedMessageId`, the ORIGINAL message's
  bare id (`protocolMessage.key.ID` in GOWS), composed here into WAHA's `{fromMe}_{chat}_{id}`.
- `message.revoked` — `WAMessageRevokedBody {after, before, revokedMessageId, _data}`: WEBJS hands
  whatsapp-web.js's `message_revoke_everyone (after, before)` (the revoked message, and the one
  before revocation when it was cached); GOWS `before: null`, `after` the revoke action and
  `revokedMessageId` the bare id of the deleted message.
- `message.reaction` — `WAMessageReaction`: `WAMessageBase` (`id`, `timestamp`, `from`, `fromMe`,
  `to`, `participant`) and `reaction {text, messageId}`: `text` the emoji, "or empty string to
  remove the reaction", `messageId` the serialized id of the message reacted to
  (`false_11111111111@c.us_AAAA…` — the client's, `true_…` — ours).

Only the client's own edits, deletions and reactions are taken; the company's edits, deletions
and reactions made on the phone (`fromMe: true`) are answered "ignored"."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from application.channels import (
    EditedMessage,
    IncomingReaction,
    Intake,
    PhoneReply,
    RevokedMessage,
)
from infra.channels.common import answer

CHANNEL = "waha"
EVENTS = frozenset({"message.any", "message.edited", "message.revoked", "message.reaction"})
NOT_CLIENTS = ("@g.us", "@broadcast", "@newsletter")  # groups, statuses, channels

Id = Annotated[str, Field(min_length=1, max_length=200)]
Chat = Annotated[str, Field(min_length=3, max_length=100)]
Stamp = Annotated[int, Field(ge=0, le=2**40)]


class OwnMessage(BaseModel):
    """`message.any`: only what tells our messages apart is read."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    id: Id
    timestamp: Stamp
    from_: Annotated[str, Field(alias="from", max_length=100)] = ""
    to: Annotated[str, Field(max_length=100)] = ""
    fromMe: bool = False
    source: Annotated[str | None, Field(max_length=16)] = None
    body: Annotated[str | None, Field(max_length=65536)] = None
    hasMedia: bool = False


class Edited(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    id: Id
    timestamp: Stamp
    from_: Annotated[Chat, Field(alias="from")]
    fromMe: bool = False
    body: Annotated[str | None, Field(max_length=65536)] = None
    editedMessageId: Id


class Revoked(BaseModel):
    """One side of a revoke (`after`, `before`)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    id: Annotated[str | None, Field(max_length=200)] = None
    timestamp: Stamp | None = None
    from_: Annotated[str | None, Field(alias="from", max_length=100)] = None
    fromMe: bool = False


class Revoke(BaseModel):
    model_config = ConfigDict(extra="ignore")

    after: Revoked | None = None
    before: Revoked | None = None
    revokedMessageId: Annotated[str | None, Field(max_length=200)] = None


class ReactionBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    text: Annotated[str, Field(max_length=64)] = ""
    messageId: Id


class Reaction(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    id: Id
    timestamp: Stamp
    from_: Annotated[Chat, Field(alias="from")]
    fromMe: bool = False
    reaction: ReactionBody


def serialized(bare: str, chat: str, from_me: bool) -> str:
    """WAHA's id of a message, `{fromMe}_{chat}_{id}`, from a bare id (one already serialized
    is kept)."""
    if bare.startswith(("true_", "false_")):
        return bare
    return f"{'true' if from_me else 'false'}_{chat}_{bare}"


async def take(event: str, payload: dict[str, Any], *, intake: Intake,
               identity: Callable[[str], Awaitable[str]]) -> dict[str, Any]:
    """Hands one conversation event to the intake. `identity` turns a chat id into the
    client's identity as messages record it (a number, or a lid not resolved yet). Raises
    pydantic's ValidationError for a malformed payload and DomainError for a value the domain
    refuses (the webhook records either, and answers "refused")."""
    if event == "message.any":
        return await _own_message(OwnMessage.model_validate(payload), intake, identity)
    if event == "message.edited":
        return await _edited(Edited.model_validate(payload), intake)
    if event == "message.revoked":
        return await _revoked(Revoke.model_validate(payload), intake)
    if event == "message.reaction":
        return await _reaction(Reaction.model_validate(payload), intake, identity)
    return answer("ignored")


async def _own_message(message: OwnMessage, intake: Intake,
                       identity: Callable[[str], Awaitable[str]]) -> dict[str, Any]:
    if not message.fromMe:
        return answer("ignored")  # the client's: `message` brings it
    if message.source == "api" or not message.to or message.to.endswith(NOT_CLIENTS):
        return answer("ignored")  # our own send reported back; groups and statuses
    text = message.body or ("[media]" if message.hasMedia else "")
    if not text.strip():
        return answer("ignored")
    recorded = await intake.phone_reply(PhoneReply(
        channel=CHANNEL, external_id=message.id, recipient=await identity(message.to),
        text=text, sent_at=_at(message.timestamp)))
    return answer("recorded" if recorded else "ignored", message_id=message.id)


async def _edited(edit: Edited, intake: Intake) -> dict[str, Any]:
    if edit.fromMe or edit.from_.endswith(NOT_CLIENTS):
        return answer("ignored")
    target = serialized(edit.editedMessageId, edit.from_, from_me=False)
    changed = await intake.edited(EditedMessage(
        channel=CHANNEL, external_id=target, text=edit.body or "", at=_at(edit.timestamp)))
    return answer("recorded" if changed else "ignored", message_id=target)


async def _revoked(revoke: Revoke, intake: Intake) -> dict[str, Any]:
    after, before = revoke.after, revoke.before
    side = before if before is not None and before.id else after
    if side is None:
        return answer("ignored")
    if revoke.revokedMessageId and after is not None and after.from_:  # GOWS
        target = serialized(revoke.revokedMessageId, after.from_, from_me=after.fromMe)
        from_me = after.fromMe
    elif side.id:  # WEBJS: the message itself
        target, from_me = side.id, side.fromMe
    else:
        return answer("ignored")
    if from_me or (side.from_ or "").endswith(NOT_CLIENTS):
        return answer("ignored")
    stamp = (after.timestamp if after is not None else None) or side.timestamp
    changed = await intake.revoked(RevokedMessage(
        channel=CHANNEL, external_id=target,
        at=_at(stamp) if stamp else datetime.now(UTC)))
    return answer("recorded" if changed else "ignored", message_id=target)


async def _reaction(reaction: Reaction, intake: Intake,
                    identity: Callable[[str], Awaitable[str]]) -> dict[str, Any]:
    if reaction.fromMe or reaction.from_.endswith(NOT_CLIENTS):
        return answer("ignored")
    changed = await intake.reaction(IncomingReaction(
        channel=CHANNEL, target_external_id=reaction.reaction.messageId,
        sender=await identity(reaction.from_), emoji=reaction.reaction.text,
        at=_at(reaction.timestamp)))
    return answer("recorded" if changed else "ignored",
                  message_id=reaction.reaction.messageId)


def _at(timestamp: int) -> datetime:
    """WAHA's message timestamps are seconds (some engines' are milliseconds)."""
    return datetime.fromtimestamp(timestamp / 1000 if timestamp > 10**11 else timestamp, UTC)
