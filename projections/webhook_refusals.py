"""Webhook items the channels trusted but could not read (domain/webhook_refusals.py), newest
first, for the admins' channel pages: where in the request, the item's id, why, and the raw item
(capped) to replay by hand."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from domain.webhook_refusals import (
    CHANNEL_MAX,
    ITEM_ID_MAX,
    REASON_MAX,
    WHERE_MAX,
    RefusedWebhookItem,
)
from projections.base import Changes, Projection, metadata

FEED = "webhook_refusals"

refused_webhook_items = sa.Table(
    "refused_webhook_items",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("position", sa.BigInteger, nullable=False, unique=True),
    sa.Column("channel", sa.String(CHANNEL_MAX), nullable=False, index=True),
    sa.Column("location", sa.String(WHERE_MAX), nullable=False),
    sa.Column("item_id", sa.String(ITEM_ID_MAX), nullable=False),
    sa.Column("reason", sa.String(REASON_MAX), nullable=False),
    sa.Column("excerpt", sa.Text, nullable=False),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
)


class WebhookRefusalsProjection(Projection):
    name = "webhook_refusals"
    tables = (refused_webhook_items,)
    events = (RefusedWebhookItem.Recorded,)

    def apply(self, conn: sa.Connection, event: Any, position: int, changes: Changes) -> None:
        if not isinstance(event, RefusedWebhookItem.Recorded):
            return
        conn.execute(refused_webhook_items.insert().values(
            id=event.originator_id, position=position, channel=event.channel,
            location=event.where, item_id=event.item_id, reason=event.reason,
            excerpt=event.excerpt, received_at=event.received_at))
        changes.add(FEED, event.channel, event.originator_id)


@dataclass(frozen=True)
class RefusalsPage:
    rows: list[sa.Row[Any]]
    has_next: bool
    total: int


def refused_items(conn: sa.Connection, *, channel: str | None = None, first: int = 20,
                  before_position: int | None = None) -> RefusalsPage:
    """The refused items (of one channel, or all), newest first, `first` after the cursor;
    `total` counts them all (of that channel)."""
    t = refused_webhook_items
    where = [t.c.channel == channel] if channel else []
    query = sa.select(t).where(*where)
    if before_position is not None:
        query = query.where(t.c.position < before_position)
    rows = list(conn.execute(query.order_by(t.c.position.desc()).limit(first + 1)))
    total = conn.execute(sa.select(sa.func.count()).select_from(t).where(*where)).scalar_one()
    return RefusalsPage(rows=rows[:first], has_next=len(rows) > first, total=int(total))
