"""Outgoing messages: the outbox, the sync schedule, and replies in the dialogs' messages (their
status and why they failed; the dialog counts them to number its messages).

Revision ID: 0005
Revises: 0001
Create Date: 2026-11-27
"""
from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = "0005"
down_revision = "0001"
branch_labels = ("outbox",)
depends_on = None

S = "read"


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _altered_schema() -> str | None:
    return None if op.get_bind().dialect.name == "sqlite" else S


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("dialog_id", sa.Uuid, nullable=False),
        sa.Column("client_id", sa.Uuid, nullable=False),
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("operator_id", sa.Uuid, nullable=False),
        sa.Column("text_preview", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        _ts("wake_at", True),
        sa.Column("worker", sa.String(64)),
        sa.Column("external_id", sa.String(255)),
        _ts("queued_at"),
        _ts("sent_at", True),
        _ts("delivered_at", True),
        _ts("read_at", True),
        _ts("failed_at", True),
        sa.Column("failure_code", sa.String(64)),
        sa.Column("failure_reason", sa.String(500)),
        _ts("updated_at"),
        sa.Column("position", sa.BigInteger, nullable=False),
        schema=S,
    )
    op.create_index("ix_read_outbox_dialog_id", "outbox", ["dialog_id"], schema=S)
    op.create_index("ix_read_outbox_wake_at", "outbox", ["wake_at"], schema=S)
    op.create_index("ix_outbox_status", "outbox", ["status"], schema=S)
    op.create_table(
        "sync_settings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("interval_seconds", sa.Integer, nullable=False),
        sa.Column("cron", sa.String(120), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        _ts("changed_at"),
        sa.Column("changed_by", sa.String(160), nullable=False),
        _ts("run_requested_at", True),
        sa.Column("run_requested_by", sa.String(160)),
        schema=S,
    )
    where = _altered_schema()
    op.add_column("dialogs", sa.Column("outgoing_count", sa.Integer, nullable=False,
                                       server_default="0"), schema=where)
    op.add_column("messages", sa.Column("operator_id", sa.Uuid), schema=where)
    op.add_column("messages", sa.Column("status", sa.String(16)), schema=where)
    op.add_column("messages", sa.Column("attempts", sa.Integer), schema=where)
    op.add_column("messages", _ts("next_attempt_at", True), schema=where)
    op.add_column("messages", sa.Column("failure_code", sa.String(64)), schema=where)
    op.add_column("messages", sa.Column("failure_reason", sa.String(500)), schema=where)


def downgrade() -> None:
    where = _altered_schema()
    for column in ("failure_reason", "failure_code", "next_attempt_at", "attempts", "status",
                   "operator_id"):
        op.drop_column("messages", column, schema=where)
    op.drop_column("dialogs", "outgoing_count", schema=where)
    op.drop_table("sync_settings", schema=S)
    op.drop_table("outbox", schema=S)
