"""WhatsApp message templates as last synchronised from the business account (Cloud API).

Revision ID: 0013_templates
Revises: 0001
Create Date: 2026-12-08
"""
from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = "0013_templates"
down_revision = "0001"
branch_labels = None
depends_on = None

S = "read"


def upgrade() -> None:
    op.create_table(
        "message_templates",
        sa.Column("name", sa.String(512), primary_key=True),
        sa.Column("language", sa.String(16), primary_key=True),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("body", sa.String(1024), nullable=False),
        sa.Column("parameters", sa.Integer, nullable=False),
        sa.Column("synchronised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("synchronised_by", sa.String(160), nullable=False),
        schema=S,
    )


def downgrade() -> None:
    op.drop_table("message_templates", schema=S)
