"""Call back: calls are entries of a dialog's timeline. The dialog counts its calls
(`call_count`, so that a call takes the dialog's next seq as messages and replies do); a call's
row in `messages` carries its status (ringing -> answered | no_answer | busy | failed), the
reason code of a failure, the PBX's words, the operator's extension, the number called and when
it ended.

Revision ID: 0014_call_back
Revises: 0011_identities, 0012_message_events
Create Date: 2026-12-09
"""
from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = "0014_call_back"
down_revision = ("0011_identities", "0012_message_events")  # dialogs, messages last changed
branch_labels = None
depends_on = None

S = "read"
CALL_COLUMNS = ("call_status", "call_reason", "call_detail", "call_extension", "call_number",
                "call_finished_at")


def _altered_schema() -> str | None:
    return None if op.get_bind().dialect.name == "sqlite" else S


def upgrade() -> None:
    schema = _altered_schema()
    op.add_column("dialogs", sa.Column("call_count", sa.Integer, nullable=False,
                                       server_default="0"), schema=schema)
    op.add_column("messages", sa.Column("call_status", sa.String(16)), schema=schema)
    op.add_column("messages", sa.Column("call_reason", sa.String(32)), schema=schema)
    op.add_column("messages", sa.Column("call_detail", sa.String(200)), schema=schema)
    op.add_column("messages", sa.Column("call_extension", sa.String(16)), schema=schema)
    op.add_column("messages", sa.Column("call_number", sa.String(32)), schema=schema)
    op.add_column("messages", sa.Column("call_finished_at", sa.DateTime(timezone=True)),
                  schema=schema)


def downgrade() -> None:
    schema = _altered_schema()
    for name in reversed(CALL_COLUMNS):
        op.drop_column("messages", name, schema=schema)
    op.drop_column("dialogs", "call_count", schema=schema)
