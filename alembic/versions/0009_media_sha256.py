"""Media: an index on the file's sha256, so that a refused file is deleted from the blob store
only when no other message refers to the same bytes (asked without reading every row).

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-05
"""
from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0007"
branch_labels = None
depends_on = None

S = "read"


def upgrade() -> None:
    op.create_index("ix_read_media_sha256", "media", ["sha256"], schema=S)


def downgrade() -> None:
    op.drop_index("ix_read_media_sha256", table_name="media", schema=S)
