"""Analytics: a message's media kind recorded before the message (a client's media held while
WhatsApp was out of service), kept for `message_facts.media_kind`.

Revision ID: 0008
Revises: 0006
Create Date: 2026-11-28
"""
from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = "0008"
down_revision = "0006"
branch_labels = None
depends_on = None

S = "read"


def upgrade() -> None:
    op.create_table(
        "analytics_message_media",
        sa.Column("message_id", sa.Uuid, primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        schema=S,
    )


def downgrade() -> None:
    op.drop_table("analytics_message_media", schema=S)
