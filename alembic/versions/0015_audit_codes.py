"""The audit speaks the reader's language: each configuration event keeps, beside its English
summary and before/after, how the panel says them (catalogue codes with parameters and raw
values, as JSON). Rows recorded before keep null and show their English text.

Revision ID: 0015_audit_codes
Revises: 0002
Create Date: 2026-12-10
"""
from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = "0015_audit_codes"
down_revision = "0002"  # config_events was created there
branch_labels = None
depends_on = None

S = "read"


def _altered_schema() -> str | None:
    return None if op.get_bind().dialect.name == "sqlite" else S


def upgrade() -> None:
    op.add_column("config_events", sa.Column("codes", sa.Text, nullable=True),
                  schema=_altered_schema())


def downgrade() -> None:
    op.drop_column("config_events", "codes", schema=_altered_schema())
