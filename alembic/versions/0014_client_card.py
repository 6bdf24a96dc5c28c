"""The client card: phonebook numbers and details, and what operators named and noted.

Revision ID: 0014_client_card
Revises: 0001
Create Date: 2026-12-09
"""
from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = "0014_client_card"
down_revision = "0001"
branch_labels = None
depends_on = None

S = "read"


def upgrade() -> None:
    op.create_table(
        "client_card_phones",
        sa.Column("phone", sa.String(32), primary_key=True),
        sa.Column("contact_id", sa.Uuid, nullable=False),
        schema=S,
    )
    op.create_index("ix_read_client_card_phones_contact_id", "client_card_phones",
                    ["contact_id"], schema=S)
    op.create_table(
        "client_card_contacts",
        sa.Column("contact_id", sa.Uuid, primary_key=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("company", sa.String(120), nullable=False),
        sa.Column("position", sa.String(120), nullable=False, server_default=""),
        sa.Column("comment", sa.Text, nullable=False, server_default=""),
        sa.Column("reference", sa.String(120), nullable=False, server_default=""),
        sa.Column("source", sa.String(16), nullable=False, server_default=""),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        schema=S,
    )
    op.create_table(
        "client_card_notes",
        sa.Column("client_id", sa.Uuid, primary_key=True),
        sa.Column("given_name", sa.String(120), nullable=False, server_default=""),
        sa.Column("named_by", sa.String(160)),
        sa.Column("named_at", sa.DateTime(timezone=True)),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("noted_by", sa.String(160)),
        sa.Column("noted_at", sa.DateTime(timezone=True)),
        schema=S,
    )


def downgrade() -> None:
    op.drop_table("client_card_notes", schema=S)
    op.drop_table("client_card_contacts", schema=S)
    op.drop_index("ix_read_client_card_phones_contact_id", "client_card_phones", schema=S)
    op.drop_table("client_card_phones", schema=S)
