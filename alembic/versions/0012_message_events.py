"""What gateways report about messages besides new ones: a reply typed on the linked phone
(`from_phone`), a client's message deleted for everyone (`revoked_at`; the text stays), and the
reactions shown on a message (`reactions`: JSON, sender -> emoji; null while none).

Revision ID: 0012_message_events
Revises: 0010
Create Date: 2026-12-08
"""
from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = "0012_message_events"
down_revision = "0010"  # the inbox's messages table last changed there
branch_labels = None
depends_on = None

S = "read"


def _altered_schema() -> str | None:
    return None if op.get_bind().dialect.name == "sqlite" else S


def upgrade() -> None:
    schema = _altered_schema()
    op.add_column("messages", sa.Column("from_phone", sa.Boolean, nullable=False,
                                        server_default=sa.false()), schema=schema)
    op.add_column("messages", sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
                  schema=schema)
    op.add_column("messages", sa.Column("reactions", sa.Text, nullable=True), schema=schema)


def downgrade() -> None:
    schema = _altered_schema()
    op.drop_column("messages", "reactions", schema=schema)
    op.drop_column("messages", "revoked_at", schema=schema)
    op.drop_column("messages", "from_phone", schema=schema)
