"""WhatsApp message templates as last synchronised (domain/templates.py): one row per template
and language; each synchronisation replaces the whole list. Operators pick from the approved
ones."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from domain.templates import APPROVED, MessageTemplates
from projections.base import Changes, Projection, metadata

FEED = "templates"

message_templates = sa.Table(
    "message_templates",
    metadata,
    sa.Column("name", sa.String(512), primary_key=True),
    sa.Column("language", sa.String(16), primary_key=True),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("category", sa.String(32), nullable=False),
    sa.Column("body", sa.String(1024), nullable=False),
    sa.Column("parameters", sa.Integer, nullable=False),
    sa.Column("synchronised_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("synchronised_by", sa.String(160), nullable=False),
)


class TemplatesProjection(Projection):
    name = "templates"
    tables = (message_templates,)
    events = (MessageTemplates.Synchronised,)

    def apply(self, conn: sa.Connection, event: Any, position: int, changes: Changes) -> None:
        if not isinstance(event, MessageTemplates.Synchronised):
            return
        conn.execute(message_templates.delete())
        rows = [{"name": t["name"], "language": t["language"], "status": t["status"],
                 "category": t["category"], "body": t["body"], "parameters": t["parameters"],
                 "synchronised_at": event.at, "synchronised_by": event.actor}
                for t in event.templates]
        if rows:
            conn.execute(message_templates.insert(), rows)
        changes.add(FEED, "all", 1)


def approved_templates(conn: sa.Connection) -> list[sa.Row[Any]]:
    """The templates operators may send, by name and language."""
    return list(conn.execute(
        sa.select(message_templates).where(message_templates.c.status == APPROVED)
        .order_by(message_templates.c.name, message_templates.c.language)))
