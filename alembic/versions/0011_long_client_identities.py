"""Client identities up to 160 characters: Meta's business-scoped user ids (`bsuid:` and up to
about 128 characters, e.g. `bsuid:US.ENT.11815799212886844830`) did not fit the 32 of a phone
number. SQLite does not enforce a VARCHAR's length, so only PostgreSQL changes.

Revision ID: 0011_identities
Revises: 0003, 0004, 0010
Create Date: 2026-12-08
"""
from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = "0011_identities"
down_revision = ("0003", "0004", "0010")  # dialogs, notifications, channel tables, outbox
branch_labels = None
depends_on = None

S = "read"
WIDENED = [("dialogs", "phone"), ("notifications", "phone"), ("notify_dialogs", "phone"),
           ("whatsapp_held_messages", "phone"), ("whatsapp_identities", "identity"),
           ("outbox", "phone")]


def _resize(length: int, before: int) -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    for table, column in WIDENED:
        op.alter_column(table, column, type_=sa.String(length),
                        existing_type=sa.String(before), schema=S)


def upgrade() -> None:
    _resize(160, 32)


def downgrade() -> None:
    _resize(32, 160)
