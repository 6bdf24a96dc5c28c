"""Labels on dialogs: the labels and the dialogs they are on (schema `read`), and for analysts
the same in schema `analytics` (`label_facts`, `dialog_label_facts`; readable by the analyst
role through 0006's default privileges).

Revision ID: 0014_labels
Revises: 0006
Create Date: 2026-12-09
"""
from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = "0014_labels"
down_revision = "0006"
branch_labels = None
depends_on = None

S = "read"
A = "analytics"


def upgrade() -> None:
    op.create_table(
        "labels",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("color", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(160), nullable=False),
        schema=S,
    )
    op.create_table(
        "dialog_labels",
        sa.Column("dialog_id", sa.Uuid, primary_key=True),
        sa.Column("label_id", sa.Uuid, primary_key=True),
        sa.Column("rank", sa.Integer, nullable=False),
        schema=S,
    )
    op.create_index("ix_dialog_labels_label", "dialog_labels", ["label_id", "dialog_id"],
                    schema=S)
    op.create_table(
        "label_facts",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("color", sa.String(16), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        schema=A,
    )
    op.create_table(
        "dialog_label_facts",
        sa.Column("dialog_id", sa.Uuid, primary_key=True),
        sa.Column("label_id", sa.Uuid, primary_key=True),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("labelled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("labelled_by", sa.String(160), nullable=False),
        schema=A,
    )
    op.create_index("ix_analytics_dialog_label_facts_label", "dialog_label_facts",
                    ["label_id", "day"], schema=A)
    op.create_index("ix_analytics_dialog_label_facts_day", "dialog_label_facts", ["day"],
                    schema=A)


def downgrade() -> None:
    op.drop_table("dialog_label_facts", schema=A)
    op.drop_table("label_facts", schema=A)
    op.drop_table("dialog_labels", schema=S)
    op.drop_table("labels", schema=S)
