"""Setup wizard and audit: configuration events, current sections, snapshots; the phonebook.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""
from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = ("setup",)
depends_on = None

S = "read"


def upgrade() -> None:
    op.create_table(
        "config_events",
        sa.Column("position", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(120), nullable=False),
        sa.Column("section", sa.String(32), nullable=False),
        sa.Column("topic", sa.String(255), nullable=False),
        sa.Column("aggregate_id", sa.String(36), nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("before", sa.Text, nullable=False),
        sa.Column("after", sa.Text, nullable=False),
        schema=S,
    )
    op.create_index("ix_read_config_events_recorded_at", "config_events", ["recorded_at"],
                    schema=S)
    op.create_index("ix_read_config_events_actor", "config_events", ["actor"], schema=S)
    op.create_table(
        "config_current",
        sa.Column("section", sa.String(32), primary_key=True),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        schema=S,
    )
    op.create_table(
        "config_snapshots",
        sa.Column("position", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        schema=S,
    )
    op.create_table(
        "phonebook",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("company", sa.String(120), nullable=False),
        sa.Column("phones", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        schema=S,
    )


def downgrade() -> None:
    for table in ("phonebook", "config_snapshots", "config_current", "config_events"):
        op.drop_table(table, schema=S)
