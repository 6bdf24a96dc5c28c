"""The client's edits of their messages: when a message's text last changed (null: never).

Revision ID: 0010
Revises: 0005
Create Date: 2026-12-07
"""
from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = "0010"
down_revision = "0005"  # the inbox's messages table last changed there
branch_labels = None
depends_on = None

S = "read"


def _altered_schema() -> str | None:
    return None if op.get_bind().dialect.name == "sqlite" else S


def upgrade() -> None:
    op.add_column("messages", sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True),
                  schema=_altered_schema())


def downgrade() -> None:
    op.drop_column("messages", "edited_at", schema=_altered_schema())
