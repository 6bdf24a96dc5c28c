"""Routing: the access group, the queue's order, rules, distribution settings and decisions;
presence and replica heartbeats; notifications; the dialogs' status and holder.

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-26
"""
from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = "0003"
down_revision = "0001"
branch_labels = ("routing",)
depends_on = None

S = "read"


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _altered_schema() -> str | None:
    return None if op.get_bind().dialect.name == "sqlite" else S


def upgrade() -> None:
    op.create_table(
        "routing_access_members",
        sa.Column("operator_id", sa.Uuid, primary_key=True),
        _ts("added_at"),
        schema=S,
    )
    op.create_table(
        "routing_queue",
        sa.Column("operator_id", sa.Uuid, primary_key=True),
        sa.Column("ord", sa.Integer, nullable=False),
        schema=S,
    )
    op.create_table(
        "routing_rules",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("ord", sa.Integer, nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("keywords", sa.Text, nullable=False),
        sa.Column("match", sa.String(16), nullable=False),
        sa.Column("targets", sa.Text, nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        _ts("updated_at"),
        sa.Column("updated_by", sa.String(160), nullable=False),
        schema=S,
    )
    op.create_table(
        "routing_settings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("idle_timeout_seconds", sa.Integer, nullable=False),
        sa.Column("capacity", sa.Integer, nullable=False),
        sa.Column("reopen_window_hours", sa.Integer, nullable=False),
        _ts("updated_at"),
        schema=S,
    )
    op.create_table(
        "routing_capacities",
        sa.Column("operator_id", sa.Uuid, primary_key=True),
        sa.Column("capacity", sa.Integer, nullable=False),
        schema=S,
    )
    op.create_table(
        "routing_decisions",
        sa.Column("dialog_id", sa.Uuid, primary_key=True),
        _ts("routed_at"),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("rule_id", sa.Uuid),
        sa.Column("rule_name", sa.String(120), nullable=False),
        sa.Column("fallback", sa.Boolean, nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("recipients", sa.Text, nullable=False),
        sa.Column("queue", sa.Text, nullable=False),
        sa.Column("group_members", sa.Text, nullable=False),
        sa.Column("position", sa.BigInteger, nullable=False),
        schema=S,
    )
    op.create_index("ix_routing_decisions_routed_at", "routing_decisions", ["routed_at"],
                    schema=S)
    op.create_table(
        "presence",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("operator_id", sa.Uuid, nullable=False, unique=True),
        sa.Column("chosen", sa.String(16), nullable=False),
        sa.Column("connections", sa.Integer, nullable=False),
        sa.Column("holding", sa.Integer, nullable=False),
        _ts("last_taken_at", True),
        _ts("changed_at"),
        schema=S,
    )
    op.create_table(
        "presence_connections",
        sa.Column("connection_id", sa.Uuid, primary_key=True),
        sa.Column("operator_id", sa.Uuid, nullable=False),
        sa.Column("replica", sa.String(64), nullable=False),
        _ts("connected_at"),
        schema=S,
    )
    op.create_index("ix_read_presence_connections_operator_id", "presence_connections",
                    ["operator_id"], schema=S)
    op.create_index("ix_read_presence_connections_replica", "presence_connections", ["replica"],
                    schema=S)
    op.create_table(
        "replica_heartbeats",
        sa.Column("replica", sa.String(64), primary_key=True),
        _ts("seen_at"),
        schema=S,
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("operator_id", sa.Uuid, nullable=False),
        sa.Column("dialog_id", sa.Uuid, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("client_name", sa.String(120), nullable=False),
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("text", sa.String(200), nullable=False),
        sa.Column("detail", sa.String(500), nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        _ts("created_at"),
        _ts("updated_at"),
        sa.Column("read", sa.Boolean, nullable=False),
        schema=S,
    )
    op.create_index("ix_notifications_operator_seq", "notifications", ["operator_id", "seq"],
                    schema=S)
    op.create_index("ix_notifications_operator_dialog", "notifications",
                    ["operator_id", "dialog_id"], schema=S)
    op.create_table(
        "notify_dialogs",
        sa.Column("dialog_id", sa.Uuid, primary_key=True),
        sa.Column("client_id", sa.Uuid, nullable=False),
        sa.Column("client_name", sa.String(120), nullable=False),
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("assignee_id", sa.Uuid),
        schema=S,
    )
    op.create_index("ix_read_notify_dialogs_client_id", "notify_dialogs", ["client_id"], schema=S)
    op.create_table(
        "notify_recipients",
        sa.Column("dialog_id", sa.Uuid, primary_key=True),
        sa.Column("operator_id", sa.Uuid, primary_key=True),
        schema=S,
    )
    # Plain ALTER TABLE ADD COLUMN (SQLite does it in place). Alembic writes these statements
    # itself, without the schema translation SQLite needs, so name the schema only elsewhere.
    dialogs = _altered_schema()
    op.add_column("dialogs", sa.Column("status", sa.String(16), nullable=False,
                                       server_default="open"), schema=dialogs)
    op.add_column("dialogs", sa.Column("assignee_id", sa.Uuid), schema=dialogs)
    op.add_column("dialogs", _ts("assigned_at", True), schema=dialogs)
    op.add_column("dialogs", sa.Column("accepted", sa.Boolean, nullable=False,
                                       server_default=sa.true()), schema=dialogs)
    op.add_column("dialogs", _ts("offer_expires_at", True), schema=dialogs)
    op.add_column("dialogs", _ts("resolved_at", True), schema=dialogs)
    op.create_index("ix_read_dialogs_assignee_id", "dialogs", ["assignee_id"], schema=S)
    op.create_index("ix_read_dialogs_offer_expires_at", "dialogs", ["offer_expires_at"],
                    schema=S)


def downgrade() -> None:
    op.drop_index("ix_read_dialogs_offer_expires_at", "dialogs", schema=S)
    op.drop_index("ix_read_dialogs_assignee_id", "dialogs", schema=S)
    for column in ("resolved_at", "offer_expires_at", "accepted", "assigned_at", "assignee_id",
                   "status"):
        op.drop_column("dialogs", column, schema=_altered_schema())
    for table in ("notify_recipients", "notify_dialogs", "notifications", "replica_heartbeats",
                  "presence_connections", "presence", "routing_decisions", "routing_capacities",
                  "routing_settings", "routing_rules", "routing_queue", "routing_access_members"):
        op.drop_table(table, schema=S)
