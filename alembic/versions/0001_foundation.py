"""Foundation: projection tracking, view changes, operators, queue, sessions, the inbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""
from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

S = "read"


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "projection_tracking",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("position", sa.BigInteger, nullable=False, server_default="0"),
        _ts("updated_at", True),
        schema=S,
    )
    op.create_table(
        "view_changes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True,
                  autoincrement=True),
        _ts("created_at"),
        sa.Column("payload", sa.Text, nullable=False),
        schema=S,
    )
    op.create_table(
        "operators",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("login", sa.String(64), nullable=False, unique=True),
        sa.Column("display_name", sa.String(120), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        _ts("created_at"),
        _ts("updated_at"),
        schema=S,
    )
    op.create_table(
        "queue_members",
        sa.Column("operator_id", sa.Uuid, primary_key=True),
        _ts("added_at"),
        schema=S,
    )
    op.create_table(
        "sessions",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("operator_id", sa.Uuid, nullable=False, index=True),
        _ts("started_at"),
        _ts("expires_at"),
        _ts("ended_at", True),
        sa.Column("address", sa.String(64), nullable=False),
        schema=S,
    )
    op.create_table(
        "dialogs",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("client_id", sa.Uuid, nullable=False, index=True),
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("client_name", sa.String(120), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("rule", sa.String(120), nullable=False),
        _ts("opened_at"),
        _ts("last_message_at", True),
        sa.Column("last_message_text", sa.String(200)),
        sa.Column("last_direction", sa.String(8)),
        sa.Column("message_count", sa.Integer, nullable=False),
        sa.Column("position", sa.BigInteger, nullable=False),
        schema=S,
    )
    op.create_table(
        "dialog_recipients",
        sa.Column("dialog_id", sa.Uuid, primary_key=True),
        sa.Column("operator_id", sa.Uuid, primary_key=True),
        sa.Column("read_up_to", sa.Integer, nullable=False),
        sa.Column("unread", sa.Integer, nullable=False),
        sa.Column("position", sa.BigInteger, nullable=False),
        schema=S,
    )
    op.create_index("ix_dialog_recipients_inbox", "dialog_recipients",
                    ["operator_id", "position"], schema=S)
    op.create_table(
        "messages",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("dialog_id", sa.Uuid, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("external_id", sa.String(255)),
        _ts("sent_at"),
        _ts("recorded_at"),
        schema=S,
    )
    op.create_index("ix_messages_dialog_seq", "messages", ["dialog_id", "seq"], unique=True,
                    schema=S)


def downgrade() -> None:
    for table in ("messages", "dialog_recipients", "dialogs", "sessions", "queue_members",
                  "operators", "view_changes", "projection_tracking"):
        op.drop_table(table, schema=S)
