"""The WhatsApp channel: its status and settings, the status history, the messages kept while out
of service, and WhatsApp identities (lids) waiting for their phone number.

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-25
"""
from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = "0004"
down_revision = "0001"
branch_labels = ("channel",)
depends_on = None

S = "read"


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "whatsapp_channel",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        _ts("status_since"),
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("device", sa.String(120), nullable=False),
        _ts("linked_at", True),
        sa.Column("in_service", sa.Boolean, nullable=False),
        sa.Column("employees_may_write_first", sa.Boolean, nullable=False),
        sa.Column("qr_value", sa.Text),
        sa.Column("qr_sequence", sa.Integer, nullable=False),
        _ts("qr_expires_at", True),
        sa.Column("pairing_phone", sa.String(32)),
        sa.Column("pairing_code", sa.String(16)),
        sa.Column("reconnecting", sa.Boolean, nullable=False),
        sa.Column("reconnect_attempt", sa.Integer, nullable=False),
        _ts("retry_at", True),
        sa.Column("held", sa.Integer, nullable=False),
        _ts("updated_at"),
        schema=S,
    )
    op.create_table(
        "whatsapp_status_history",
        sa.Column("position", sa.BigInteger, primary_key=True, autoincrement=False),
        _ts("at"),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("actor", sa.String(120), nullable=False),
        schema=S,
    )
    op.create_table(
        "whatsapp_held_messages",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("external_id", sa.String(255), nullable=False),
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("text", sa.String(200), nullable=False),
        _ts("sent_at"),
        _ts("held_at"),
        _ts("released_at", True),
        schema=S,
    )
    op.create_table(
        "whatsapp_identities",
        sa.Column("client_id", sa.Uuid, primary_key=True),
        sa.Column("identity", sa.String(32), nullable=False, unique=True),
        sa.Column("phone", sa.String(32)),
        _ts("merged_at", True),
        schema=S,
    )


def downgrade() -> None:
    for table in ("whatsapp_identities", "whatsapp_held_messages", "whatsapp_status_history",
                  "whatsapp_channel"):
        op.drop_table(table, schema=S)
