"""Webhook items the channels trusted but could not read (issue 15): where, the item's id, why,
and the raw item capped, newest first by position.

Revision ID: 0014_webhook_refusals
Revises: 0001
Create Date: 2026-12-09
"""
from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = "0014_webhook_refusals"
down_revision = "0001"
branch_labels = None
depends_on = None

S = "read"


def upgrade() -> None:
    op.create_table(
        "refused_webhook_items",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("position", sa.BigInteger, nullable=False, unique=True),
        sa.Column("channel", sa.String(32), nullable=False, index=True),
        sa.Column("location", sa.String(200), nullable=False),
        sa.Column("item_id", sa.String(255), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("excerpt", sa.Text, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        schema=S,
    )


def downgrade() -> None:
    op.drop_table("refused_webhook_items", schema=S)
