"""Webhook items we could not read: each one a recorded, visible reason (issue 15).

A channel's webhook that trusts a request (its signature or secret checks out) but cannot read
an item of it — a Cloud batch's message, a WAHA event's payload, a Telegram update — records the
item here instead of failing its neighbours or letting the gateway retry what will never be
readable. One aggregate per item: its id is natural (the channel and the item's own id, or a
hash of the raw item when it has none), so a redelivered bad item is recorded once. The excerpt
is the raw item, capped, for an admin to read and replay by hand."""

from __future__ import annotations

import hashlib
from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidValue
from domain.ids import natural_id

EXCERPT_MAX = 4096  # characters of the raw item kept
REASON_MAX = 500
WHERE_MAX = 200
ITEM_ID_MAX = 255
CHANNEL_MAX = 32


def refused_item_id(channel: str, item_id: str, raw: bytes) -> UUID:
    """The record's id: the item's own id when it has one (a redelivery carries the same),
    else the sha256 of the raw item (a redelivery is the same bytes)."""
    item_id = item_id[:ITEM_ID_MAX]
    key = item_id if item_id else "sha256:" + hashlib.sha256(raw).hexdigest()
    return natural_id("refused-webhook-item", f"{channel}:{key}")


def excerpt_of(raw: bytes) -> str:
    """The raw item as text, capped at EXCERPT_MAX characters (undecodable bytes replaced)."""
    text = raw.decode("utf-8", errors="replace")
    return text if len(text) <= EXCERPT_MAX else text[:EXCERPT_MAX - 1] + "…"


class RefusedWebhookItem(Aggregate):
    """One webhook item a channel trusted but could not read, and why."""

    class Recorded(Aggregate.Created):
        """`where` says where in the request the item was (`entry[0].changes[0].messages[1]`,
        `payload`, `update`); `item_id` its own id ("" when it has none); `excerpt` the raw
        item, capped."""

        channel: str
        where: str
        item_id: str
        reason: str
        excerpt: str
        received_at: datetime
        actor: str

    @classmethod
    def record(cls, *, channel: str, where: str, item_id: str, reason: str, raw: bytes,
               received_at: datetime, actor: str) -> RefusedWebhookItem:
        if not channel.strip() or len(channel) > CHANNEL_MAX:
            raise InvalidValue("A refused item names the channel it came through.",
                               field="channel")
        if not reason.strip():
            raise InvalidValue("A refused item says why it was refused.", field="reason")
        item_id = item_id[:ITEM_ID_MAX]
        return cls(id=refused_item_id(channel, item_id, raw), channel=channel,
                   where=where[:WHERE_MAX], item_id=item_id, reason=reason[:REASON_MAX],
                   excerpt=excerpt_of(raw), received_at=received_at, actor=actor)

    @event(Recorded)
    def __init__(self, id: UUID, channel: str, where: str, item_id: str,
                 reason: str, excerpt: str, received_at: datetime, actor: str) -> None:
        self.channel = channel
        self.where = where
        self.item_id = item_id
        self.reason = reason
        self.excerpt = excerpt
        self.received_at = received_at
