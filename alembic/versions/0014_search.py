"""The search index (projections/search.py): one document per message and per dialog's client,
with its stemmed terms; PostgreSQL finds them with a GIN index over
`to_tsvector('simple', terms)`, SQLite with an FTS5 table kept in step by triggers.

Revision ID: 0014_search
Revises: 0001
Create Date: 2026-12-09
"""
from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = "0014_search"
down_revision = "0001"
branch_labels = None
depends_on = None

S = "read"

SQLITE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(terms, "
    "tokenize = 'unicode61 remove_diacritics 0')",
    "CREATE TRIGGER IF NOT EXISTS search_documents_fts_insert AFTER INSERT ON search_documents "
    "BEGIN INSERT INTO search_fts (rowid, terms) VALUES (new.doc, new.terms); END",
    "CREATE TRIGGER IF NOT EXISTS search_documents_fts_update AFTER UPDATE ON search_documents "
    "WHEN old.terms IS NOT new.terms OR old.doc IS NOT new.doc "
    "BEGIN UPDATE search_fts SET rowid = new.doc, terms = new.terms WHERE rowid = old.doc; END",
    "CREATE TRIGGER IF NOT EXISTS search_documents_fts_delete AFTER DELETE ON search_documents "
    "BEGIN DELETE FROM search_fts WHERE rowid = old.doc; END",
)


def upgrade() -> None:
    op.create_table(
        "search_documents",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("doc", sa.BigInteger, nullable=False, unique=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("dialog_id", sa.Uuid, index=True),
        sa.Column("client_id", sa.Uuid, index=True),
        sa.Column("channel", sa.String(32)),
        sa.Column("direction", sa.String(8)),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("phone", sa.String(160)),
        sa.Column("caption", sa.Text, nullable=False),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("revoked", sa.Boolean, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("position", sa.BigInteger, nullable=False, index=True),
        sa.Column("terms", sa.Text, nullable=False),
        schema=S,
    )
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE:
            op.execute(statement)
    else:
        op.create_index("ix_search_documents_terms", "search_documents",
                        [sa.text("to_tsvector('simple'::regconfig, terms)")],
                        postgresql_using="gin", schema=S)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS search_fts")
    op.drop_table("search_documents", schema=S)
