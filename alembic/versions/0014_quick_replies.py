"""Quick replies: shared ones (owner null) and each operator's personal ones.

Revision ID: 0014_quick_replies
Revises: 0001
Create Date: 2026-12-09
"""
from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = "0014_quick_replies"
down_revision = "0001"
branch_labels = None
depends_on = None

S = "read"


def upgrade() -> None:
    op.create_table(
        "quick_replies",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("owner_id", sa.Uuid),
        sa.Column("shortcut", sa.String(32), nullable=False),
        sa.Column("shortcut_key", sa.String(96), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("search_text", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(160), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(160), nullable=False),
        schema=S,
    )
    op.create_index("ix_read_quick_replies_owner_id", "quick_replies", ["owner_id"], schema=S)


def downgrade() -> None:
    op.drop_index("ix_read_quick_replies_owner_id", "quick_replies", schema=S)
    op.drop_table("quick_replies", schema=S)
