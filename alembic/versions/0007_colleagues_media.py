"""Colleague chats (chats, members with unread counts, messages) and media of messages (what
each file or location is, where its download stands).

Revision ID: 0007
Revises: 0001
Create Date: 2026-11-25
"""
from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = "0007"
down_revision = "0001"
branch_labels = ("colleagues",)
depends_on = None

S = "read"


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "colleague_chats",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("title", sa.String(120), nullable=False),
        sa.Column("dialog_id", sa.Uuid, unique=True),
        sa.Column("started_by", sa.Uuid, nullable=False),
        _ts("started_at"),
        sa.Column("message_count", sa.Integer, nullable=False),
        _ts("last_message_at", True),
        sa.Column("last_message_text", sa.String(200)),
        sa.Column("last_author_id", sa.Uuid),
        sa.Column("position", sa.BigInteger, nullable=False),
        schema=S,
    )
    op.create_table(
        "colleague_members",
        sa.Column("chat_id", sa.Uuid, primary_key=True),
        sa.Column("operator_id", sa.Uuid, primary_key=True),
        sa.Column("read_up_to", sa.Integer, nullable=False),
        sa.Column("unread", sa.Integer, nullable=False),
        _ts("joined_at"),
        schema=S,
    )
    op.create_index("ix_colleague_members_operator", "colleague_members", ["operator_id"],
                    schema=S)
    op.create_table(
        "colleague_messages",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("chat_id", sa.Uuid, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("author_id", sa.Uuid, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        _ts("sent_at"),
        _ts("edited_at", True),
        schema=S,
    )
    op.create_index("ix_colleague_messages_chat_seq", "colleague_messages", ["chat_id", "seq"],
                    unique=True, schema=S)
    op.create_table(
        "media",
        sa.Column("message_id", sa.Uuid, primary_key=True),
        sa.Column("media_id", sa.Uuid, nullable=False, unique=True),
        sa.Column("dialog_id", sa.Uuid),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("mime_type", sa.String(127), nullable=False),
        sa.Column("size", sa.BigInteger),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("caption", sa.Text, nullable=False),
        sa.Column("duration", sa.Integer),
        sa.Column("latitude", sa.Float),
        sa.Column("longitude", sa.Float),
        sa.Column("place", sa.String(500), nullable=False),
        sa.Column("contact_name", sa.String(200), nullable=False),
        sa.Column("contact_phones", sa.Text, nullable=False),
        sa.Column("source", sa.String(2000), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        _ts("next_attempt_at", True),
        sa.Column("sha256", sa.String(64)),
        sa.Column("note_code", sa.String(64)),
        sa.Column("note", sa.String(500)),
        _ts("recorded_at"),
        _ts("updated_at"),
        schema=S,
    )
    op.create_index("ix_read_media_dialog_id", "media", ["dialog_id"], schema=S)
    op.create_index("ix_read_media_next_attempt_at", "media", ["next_attempt_at"], schema=S)


def downgrade() -> None:
    op.drop_table("media", schema=S)
    op.drop_table("colleague_messages", schema=S)
    op.drop_table("colleague_members", schema=S)
    op.drop_table("colleague_chats", schema=S)
