"""Refused webhook items as the API shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from api.graphql.time import utc


@strawberry.type(description="A webhook item a channel trusted (signed, or with its secret) but "
                             "could not read: recorded once, however often it is delivered.")
class RefusedWebhookItem:
    id: strawberry.ID
    channel: str = strawberry.field(description="The channel it came through: cloud, waha, "
                                                "telegram, …")
    where: str = strawberry.field(description="Where in the request the item was, e.g. "
                                              "entry[0].changes[0].messages[1], payload, update.")
    item_id: str = strawberry.field(description="The item's own id; empty when it has none.")
    reason: str = strawberry.field(description="Why it could not be read (English).")
    excerpt: str = strawberry.field(description="The raw item as it came, capped at 4,096 "
                                                "characters, to read and replay by hand.")
    at: datetime = strawberry.field(description="When it was received.")
    cursor: str

    @classmethod
    def of(cls, row: Any) -> RefusedWebhookItem:
        return cls(id=strawberry.ID(str(row.id)), channel=row.channel, where=row.location,
                   item_id=row.item_id, reason=row.reason, excerpt=row.excerpt,
                   at=utc(row.received_at), cursor=encode_cursor(row.position))


@strawberry.type(description="Refused webhook items, newest first.")
class RefusedWebhookItems:
    items: list[RefusedWebhookItem]
    has_next_page: bool
    end_cursor: str | None
    total_count: int = strawberry.field(description="How many there are in all (of the "
                                                    "channel asked for).")


def encode_cursor(position: int) -> str:
    return f"r{position}"


def decode_cursor(cursor: str | None) -> int | None:
    if not cursor:
        return None
    if not cursor.startswith("r") or not cursor[1:].isdigit():
        raise ValueError("This cursor is not one refusedWebhookItems gave.")
    return int(cursor[1:])
