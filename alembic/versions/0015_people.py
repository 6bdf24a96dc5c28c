"""People in the panel: an operator's e-mail address (one-time passwords are mailed there when
an SMTP server is set).

Revision ID: 0015_people
Revises: 0001
Create Date: 2026-12-10
"""
from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = "0015_people"
down_revision = "0001"
branch_labels = None
depends_on = None

S = "read"


def _altered_schema() -> str | None:
    return None if op.get_bind().dialect.name == "sqlite" else S


def upgrade() -> None:
    op.add_column("operators", sa.Column("email", sa.String(254), nullable=False,
                                         server_default=""), schema=_altered_schema())


def downgrade() -> None:
    op.drop_column("operators", "email", schema=_altered_schema())
