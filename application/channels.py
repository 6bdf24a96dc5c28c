"""Channels: the messengers clients write through (WhatsApp by its three gateways, Telegram), as
the application sees them — one `Channel` port, several active at once.

A channel adapter (one folder under `infra/channels/`) knows its messenger's protocol: it
verifies and parses its webhook into the values below and hands them to the `Intake`, and its
`gateway` sends and fetches files. Everything downstream — routing, the queue, the outbox, media,
analytics, the audit — knows a dialog's channel only as a name, and reaches the channel's gateway
through `Channels`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from application import commands as c
from application.channel import MergeClientIdentity
from application.conversation import ReactToMessage, RecordPhoneReply, RevokeClientMessage
from application.handlers import Received
from application.media import IncomingMedia, MediaLimits, MediaReceived, ReceiveClientMedia
from application.ports import CommandBus, DeliveryReport, GatewayError, MediaFile
from application.webhook_refusals import RecordRefusedWebhookItem, RefusedItem
from domain.dialogs import WHATSAPP, medium_of

__all__ = ["WHATSAPP", "Channel", "ChannelStatus", "Channels", "DeliveryReport", "EditedMessage",
           "GatewayError", "IncomingMessage", "IncomingReaction", "Intake", "Outbound",
           "PhoneReply", "RefusedItem", "RevokedMessage", "WebhookRefused", "WebhookRequest",
           "medium_of"]


# -- what a webhook turns into -----------------------------------------------------------------
@dataclass(frozen=True)
class IncomingMessage:
    """A client's message as a channel parsed it. `sender` is the client's identity: a phone
    number in E.164 for WhatsApp (or a WhatsApp identity with no number yet), `tg:<user id>`
    for Telegram. `media` is set for a photo, a file, a voice note, a location, a contact."""

    channel: str
    external_id: str
    sender: str
    name: str
    text: str
    sent_at: datetime
    media: IncomingMedia | None = None


@dataclass(frozen=True)
class EditedMessage:
    """A client changed the text of a message they sent (Telegram's `edited_message`)."""

    channel: str
    external_id: str
    text: str
    at: datetime


@dataclass(frozen=True)
class IncomingReaction:
    """Someone reacted with an emoji to a message of a dialog: `target_external_id` is the
    client's message's id as received, or one of our replies' id as the gateway returned it
    when sent. An empty `emoji` removes the sender's reaction."""

    channel: str
    target_external_id: str
    sender: str
    emoji: str
    at: datetime


@dataclass(frozen=True)
class RevokedMessage:
    """The client deleted a message they sent, for everyone (WhatsApp's "delete for
    everyone")."""

    channel: str
    external_id: str
    at: datetime


@dataclass(frozen=True)
class PhoneReply:
    """The company wrote to a client on the linked phone itself, not through Switchboard
    (WAHA's `message.any` with `fromMe`). `recipient` is the client as a channel names a
    sender (E.164, or a WhatsApp identity with no number yet)."""

    channel: str
    external_id: str
    recipient: str
    text: str
    sent_at: datetime


@dataclass(frozen=True)
class WebhookRequest:
    """An inbound HTTP request as a channel's webhook reads it: headers lower-cased."""

    method: str
    body: bytes
    headers: Mapping[str, str]
    query: Mapping[str, str] = field(default_factory=dict)


class WebhookRefused(Exception):
    """A webhook request refused before anything changed: `status` is the HTTP status (401 for
    a bad signature or secret, 404 for a channel not active here, 422 for a malformed body)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


# -- the ports ---------------------------------------------------------------------------------
class Outbound(Protocol):
    """What the outbox and the media downloads need from a channel's gateway. Every method may
    block on I/O: call it from a thread, never from a handler."""

    kind: str
    """The channel name recorded with what it sends (its delivery reports name the same)."""
    idempotent_sends: bool
    """Whether a repeated idempotency key returns the first id, sending once."""
    reply_window: timedelta | None
    """How long after the client's last message free text may be sent (Cloud: 24 h)."""

    def send_text(self, to: str, text: str, idempotency_key: str) -> str:
        """Sends `text` to the client `to`; returns the gateway's id of the message, which its
        delivery reports name. Raises GatewayError."""

    def send_media(self, to: str, kind: str, file: MediaFile, caption: str,
                   idempotency_key: str) -> str:
        """Sends an image or a document (`kind`) with its caption; answers as `send_text`."""

    def download_media(self, source: str, max_bytes: int) -> MediaFile:
        """The file a client sent, from the gateway's reference to it. Refuses (GatewayError,
        FILE_TOO_LARGE, not retryable) a file over `max_bytes` without reading it whole."""

    # What the client sees of the operators' attention, where the messenger shows it (a
    # courtesy: infra/receipts.py calls these in the background and only logs a failure).
    def mark_read(self, to: str, external_ids: Sequence[str]) -> None:
        """Shows the client `to` their messages `external_ids` (the gateway's ids, oldest
        first) as read. A messenger without read receipts (Telegram) sends nothing. Raises
        GatewayError."""

    def typing(self, to: str, on: bool, latest: str | None) -> None:
        """Shows the client that the company is typing (`on`), or no longer. `latest` is the
        gateway's id of the client's latest message when it may be marked read (the Cloud API
        shows typing only with a read receipt of a message: without one it sends nothing). A
        messenger that clears "typing…" by itself sends nothing for `on=False`. Raises
        GatewayError."""


@dataclass(frozen=True)
class ChannelStatus:
    """How a channel stands, for the admin area: whether it works, and what is wrong — `code`
    stable (the panel says it in its language, with `detail`), `error` the same in English for
    logs and scripts."""

    name: str
    medium: str
    ok: bool
    detail: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    code: str = ""


class Channel(Protocol):
    """One messenger adapter. `name` is what dialogs and messages record as their channel and
    the last segment of its webhook (`/webhooks/<name>`); `medium` is the messenger the panel
    shows (`whatsapp`, `telegram`)."""

    @property
    def name(self) -> str: ...

    @property
    def medium(self) -> str: ...

    @property
    def gateway(self) -> Outbound: ...

    async def webhook(self, request: WebhookRequest) -> Any:
        """Verifies and parses a webhook request, hands what it carries to the intake and
        answers the body to send back (a JSON-able value, or a plain string). Raises
        WebhookRefused — before anything is stored — for a request it does not trust."""

    def start(self) -> None:
        """Called once when the server starts (register a webhook, check a token)."""

    def stop(self) -> None: ...

    def status(self) -> ChannelStatus:
        """How it stands as last seen (no I/O)."""

    def check(self) -> ChannelStatus:
        """How it stands now: asks the messenger where there is something to ask (and mends
        what it can, such as a webhook pointed elsewhere); blocks, so call it from a thread."""


class Channels:
    """The channels active here, by name. A dialog's channel finds the gateway that answers it;
    a name no longer active finds its messenger's active channel (WhatsApp's gateways share
    one gateway: a dialog begun on the simulator is answered through WAHA once switched)."""

    def __init__(self, channels: Iterable[Channel]) -> None:
        self._by_name: dict[str, Channel] = {}
        for channel in channels:
            if channel.name in self._by_name:
                raise ValueError(f"Two channels are named {channel.name!r}.")
            self._by_name[channel.name] = channel

    def __iter__(self) -> Iterator[Channel]:
        return iter(self._by_name.values())

    def named(self, name: str) -> Channel | None:
        return self._by_name.get(name)

    def serving(self, channel: str) -> Channel | None:
        """The active channel that answers a dialog recorded with `channel`."""
        named = self._by_name.get(channel)
        if named is not None:
            return named
        medium = medium_of(channel)
        return next((ch for ch in self._by_name.values() if ch.medium == medium), None)

    def gateway(self, channel: str) -> Outbound:
        """The gateway that sends and fetches for a dialog recorded with `channel`."""
        serving = self.serving(channel)
        if serving is None:
            raise GatewayError(f"The {medium_of(channel)} channel is not active here.",
                               code="CHANNEL_NOT_ACTIVE", retryable=True)
        return serving.gateway

    def idempotent_mediums(self) -> frozenset[str]:
        """The messengers whose gateway sends once for a repeated idempotency key."""
        return frozenset(ch.medium for ch in self._by_name.values()
                         if ch.gateway.idempotent_sends)

    def mediums(self) -> list[str]:
        """The messengers active here, e.g. ["telegram", "whatsapp"]."""
        return sorted({ch.medium for ch in self._by_name.values()})

    def start(self) -> None:
        for channel in self._by_name.values():
            channel.start()

    def stop(self) -> None:
        for channel in self._by_name.values():
            channel.stop()


# -- what channels hand their values to ----------------------------------------------------------
class Intake:
    """Takes what a channel's webhook parsed into the system: messages through the writer
    (a repeated external id changes nothing), delivery reports to the outbox."""

    def __init__(self, bus: CommandBus, *, limits: Callable[[], MediaLimits],
                 media_arrived: Callable[[], None],
                 reports: Callable[[list[DeliveryReport]], Awaitable[None]],
                 now: Callable[[], datetime] | None = None) -> None:
        self._bus = bus
        self._now = now or (lambda: datetime.now(UTC))
        self._limits = limits
        self._media_arrived = media_arrived
        self._reports = reports

    async def message(self, message: IncomingMessage) -> Received:
        """Stores a client's message (raises DomainError for a value the domain refuses)."""
        if message.media is not None:
            got: MediaReceived = await self._bus.execute(ReceiveClientMedia(
                channel=message.channel, external_id=message.external_id,
                phone=message.sender, name=message.name.strip()[:120],
                sent_at=message.sent_at, media=message.media, limits=self._limits()))
            self._media_arrived()
            return got.received
        received: Received = await self._bus.execute(c.ReceiveClientMessage(
            channel=message.channel, external_id=message.external_id, phone=message.sender,
            name=message.name.strip()[:120], text=message.text, sent_at=message.sent_at))
        return received

    async def edited(self, edit: EditedMessage) -> bool:
        """Changes the shown text of a client's message; False when it is not known here."""
        changed: bool = await self._bus.execute(c.EditClientMessage(
            channel=edit.channel, external_id=edit.external_id, text=edit.text,
            edited_at=edit.at))
        return changed

    async def reaction(self, reaction: IncomingReaction) -> bool:
        """Shows (or, with an empty emoji, removes) a reaction on a client's message or one of
        our replies; False when the target message is not known here or nothing changes."""
        changed: bool = await self._bus.execute(ReactToMessage(
            channel=reaction.channel, target_external_id=reaction.target_external_id,
            sender=reaction.sender, emoji=reaction.emoji, at=reaction.at))
        return changed

    async def revoked(self, revoked: RevokedMessage) -> bool:
        """Shows a client's message as deleted (its text stays for the audit); False when it
        is not known here or was deleted already."""
        changed: bool = await self._bus.execute(RevokeClientMessage(
            channel=revoked.channel, external_id=revoked.external_id, revoked_at=revoked.at))
        return changed

    async def phone_reply(self, reply: PhoneReply) -> bool:
        """Records a reply typed on the linked phone as the company's; False for one of our own
        sends reported back, a repeat, or a client with no dialog here."""
        recorded: bool = await self._bus.execute(RecordPhoneReply(
            channel=reply.channel, external_id=reply.external_id, recipient=reply.recipient,
            text=reply.text, sent_at=reply.sent_at))
        return recorded

    async def reports(self, reports: list[DeliveryReport]) -> None:
        if reports:
            await self._reports(reports)

    async def refused(self, item: RefusedItem) -> bool:
        """Records a webhook item the channel trusted but could not read, with why; False when
        it was recorded before (a redelivery)."""
        recorded: bool = await self._bus.execute(RecordRefusedWebhookItem(
            channel=item.channel, where=item.where, item_id=item.item_id, reason=item.reason,
            raw=item.raw, received_at=self._now(), actor=f"channel:{item.channel}"))
        return recorded

    async def merge_identity(self, identity: str, phone: str) -> None:
        """A WhatsApp identity with no number (a lid, a business-scoped id) is this number."""
        await self._bus.execute(MergeClientIdentity(identity=identity, phone=phone))
