"""Analytics: the analysts' read models in schema `analytics` (message_facts, dialog_facts,
operator_load, routing_hits, delivery, delivery_failures), their internal state in `read`, and on
PostgreSQL the read-only role for BI tools: USAGE on `analytics` and SELECT on its tables (today's
and, through default privileges, tomorrow's), nothing on `events` or `read`.

The role is cluster-wide, so creating it tolerates another database (or a concurrent migration)
having created it first. It cannot log in unless SWITCHBOARD_ANALYST_PASSWORD is set when
`switchboard migrate` runs (see docs/analytics.md). Downgrading drops the tables and the grants,
never the role (other databases of the cluster may use it).

Revision ID: 0006
Revises: 0001
Create Date: 2026-11-28
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from alembic import context, op

revision = "0006"
down_revision = "0001"
branch_labels = ("analytics",)
depends_on = None

A = "analytics"
S = "read"
DEFAULT_ROLE = "switchboard_analyst"


def _ts(name: str, nullable: bool = True, **kwargs: Any) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable, **kwargs)


def _count(name: str) -> sa.Column:
    return sa.Column(name, sa.Integer, nullable=False)


def upgrade() -> None:
    op.create_table(
        "message_facts",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("dialog_id", sa.Uuid, nullable=False),
        sa.Column("direction", sa.String(3), nullable=False),
        sa.Column("channel", sa.String(32)),
        sa.Column("client_id", sa.Uuid),
        sa.Column("operator_id", sa.Uuid),
        sa.Column("day", sa.Date, nullable=False),
        _ts("received_at"),
        _ts("queued_at"),
        _ts("sent_at"),
        _ts("delivered_at"),
        _ts("read_at"),
        _ts("failed_at"),
        sa.Column("status", sa.String(16), nullable=False),
        _count("attempts"),
        _count("retries"),
        sa.Column("failure_code", sa.String(64)),
        sa.Column("failure_reason", sa.String(500)),
        _count("length"),
        sa.Column("media_kind", sa.String(16), nullable=False),
        schema=A,
    )
    op.create_index("ix_analytics_message_facts_day", "message_facts", ["day"], schema=A)
    op.create_index("ix_analytics_message_facts_dialog", "message_facts", ["dialog_id"],
                    schema=A)
    op.create_table(
        "analytics_message_dialogs",
        sa.Column("dialog_id", sa.Uuid, primary_key=True),
        sa.Column("client_id", sa.Uuid, nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        schema=S,
    )
    op.create_index("ix_read_analytics_message_dialogs_client_id", "analytics_message_dialogs",
                    ["client_id"], schema=S)

    op.create_table(
        "dialog_facts",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("client_id", sa.Uuid, nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("opened_by", sa.String(8), nullable=False),
        sa.Column("day", sa.Date),
        _ts("opened_at"),
        sa.Column("routed_to", sa.String(120)),
        sa.Column("rule_id", sa.Uuid),
        sa.Column("fallback", sa.Boolean, nullable=False),
        sa.Column("mode", sa.String(16)),
        _ts("first_message_at"),
        _ts("first_assigned_at"),
        sa.Column("first_assignee_id", sa.Uuid),
        sa.Column("waiting_seconds", sa.Float),
        _ts("first_response_at"),
        sa.Column("first_responder_id", sa.Uuid),
        sa.Column("first_response_seconds", sa.Float),
        sa.Column("assignee_id", sa.Uuid),
        sa.Column("last_assignee_id", sa.Uuid),
        _count("transfers"),
        _count("messages_in"),
        _count("messages_out"),
        sa.Column("status", sa.String(16), nullable=False),
        _ts("resolved_at"),
        sa.Column("resolved_day", sa.Date),
        sa.Column("resolved_by", sa.Uuid),
        sa.Column("resolution_seconds", sa.Float),
        _count("reopened"),
        schema=A,
    )
    op.create_index("ix_analytics_dialog_facts_day", "dialog_facts", ["day"], schema=A)
    op.create_index("ix_analytics_dialog_facts_resolved_day", "dialog_facts", ["resolved_day"],
                    schema=A)
    op.create_index("ix_analytics_dialog_facts_client", "dialog_facts", ["client_id"], schema=A)

    op.create_table(
        "operator_load",
        sa.Column("operator_id", sa.Uuid, primary_key=True),
        _ts("hour_start", nullable=False, primary_key=True),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("hour", sa.SmallInteger, nullable=False),
        _count("dialogs_assigned"),
        _count("messages_sent"),
        _count("first_responses"),
        sa.Column("first_response_median_seconds", sa.Float),
        sa.Column("first_response_p90_seconds", sa.Float),
        sa.Column("online_seconds", sa.Float, nullable=False),
        schema=A,
    )
    op.create_index("ix_analytics_operator_load_day", "operator_load", ["day"], schema=A)
    op.create_table(
        "analytics_load_dialogs",
        sa.Column("dialog_id", sa.Uuid, primary_key=True),
        sa.Column("holder_id", sa.Uuid),
        _ts("first_in_at"),
        sa.Column("responded", sa.Boolean, nullable=False),
        schema=S,
    )
    op.create_table(
        "analytics_load_presence",
        sa.Column("presence_id", sa.Uuid, primary_key=True),
        sa.Column("operator_id", sa.Uuid, nullable=False),
        _count("connections"),
        sa.Column("chosen", sa.String(16), nullable=False),
        _ts("online_since"),
        schema=S,
    )
    op.create_table(
        "analytics_load_responses",
        sa.Column("dialog_id", sa.Uuid, primary_key=True),
        sa.Column("operator_id", sa.Uuid, nullable=False),
        _ts("hour_start", nullable=False),
        sa.Column("seconds", sa.Float, nullable=False),
        schema=S,
    )
    op.create_index("ix_analytics_load_responses_cell", "analytics_load_responses",
                    ["operator_id", "hour_start"], schema=S)

    op.create_table(
        "routing_hits",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("rule_key", sa.String(40), primary_key=True),
        sa.Column("rule_id", sa.Uuid),
        sa.Column("rule_name", sa.String(120), nullable=False),
        _count("matches"),
        _count("fallbacks"),
        _count("resolved"),
        _count("resolved_by_target"),
        schema=A,
    )
    op.create_table(
        "analytics_routed_dialogs",
        sa.Column("dialog_id", sa.Uuid, primary_key=True),
        sa.Column("rule_key", sa.String(40), nullable=False),
        sa.Column("rule_id", sa.Uuid),
        sa.Column("rule_name", sa.String(120), nullable=False),
        sa.Column("fallback", sa.Boolean, nullable=False),
        sa.Column("targets", sa.Text, nullable=False),
        sa.Column("day", sa.Date),
        sa.Column("resolved", sa.Boolean, nullable=False),
        sa.Column("by_target", sa.Boolean, nullable=False),
        schema=S,
    )

    op.create_table(
        "delivery",
        sa.Column("day", sa.Date, primary_key=True),
        _count("queued"),
        _count("sent"),
        _count("delivered"),
        _count("read"),
        _count("attempt_failures"),
        _count("failed"),
        _count("retried"),
        sa.Column("delay_p50_seconds", sa.Float),
        sa.Column("delay_p90_seconds", sa.Float),
        sa.Column("delay_p99_seconds", sa.Float),
        sa.Column("delay_max_seconds", sa.Float),
        schema=A,
    )
    op.create_table(
        "delivery_failures",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("code", sa.String(64), primary_key=True),
        _count("attempt_failures"),
        _count("failed"),
        sa.Column("reason", sa.String(500), nullable=False),
        schema=A,
    )
    op.create_table(
        "analytics_delivery_outgoing",
        sa.Column("message_id", sa.Uuid, primary_key=True),
        _ts("queued_at", nullable=False),
        schema=S,
    )
    op.create_table(
        "analytics_delivery_delays",
        sa.Column("message_id", sa.Uuid, primary_key=True),
        _ts("sent_at", nullable=False, primary_key=True),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("seconds", sa.Float, nullable=False),
        schema=S,
    )
    op.create_index("ix_read_analytics_delivery_delays_day", "analytics_delivery_delays",
                    ["day"], schema=S)

    if op.get_bind().dialect.name == "postgresql":
        _grant_analyst()


ANALYTICS_TABLES = ("message_facts", "dialog_facts", "operator_load", "routing_hits", "delivery",
                    "delivery_failures")
INTERNAL_TABLES = ("analytics_message_dialogs", "analytics_load_dialogs",
                   "analytics_load_presence", "analytics_load_responses",
                   "analytics_routed_dialogs", "analytics_delivery_outgoing",
                   "analytics_delivery_delays")


def _settings() -> tuple[str, str]:
    settings = context.config.attributes.get("settings")
    role = getattr(settings, "analyst_role", "") or DEFAULT_ROLE
    password = getattr(settings, "analyst_password", "") or ""
    return role, password


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _grant_analyst() -> None:
    role, password = _settings()
    quoted = f'"{role}"'
    # The role may exist already (another database of the cluster, or a concurrent migration).
    op.execute(sa.text(f"""
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = {_literal(role)}) THEN
                CREATE ROLE {quoted} NOLOGIN;
            END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;
        END
        $$"""))
    if password:
        op.execute(sa.text(f"ALTER ROLE {quoted} LOGIN PASSWORD {_literal(password)}"))
    op.execute(sa.text(f'GRANT USAGE ON SCHEMA "{A}" TO {quoted}'))
    op.execute(sa.text(f'GRANT SELECT ON ALL TABLES IN SCHEMA "{A}" TO {quoted}'))
    op.execute(sa.text(f'ALTER DEFAULT PRIVILEGES IN SCHEMA "{A}" GRANT SELECT ON TABLES '
                       f"TO {quoted}"))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        role, _ = _settings()
        exists = op.get_bind().execute(sa.text(
            "SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = :role"), {"role": role}).first()
        if exists:
            quoted = f'"{role}"'
            op.execute(sa.text(f'ALTER DEFAULT PRIVILEGES IN SCHEMA "{A}" REVOKE SELECT ON '
                               f"TABLES FROM {quoted}"))
            op.execute(sa.text(f'REVOKE ALL ON ALL TABLES IN SCHEMA "{A}" FROM {quoted}'))
            op.execute(sa.text(f'REVOKE USAGE ON SCHEMA "{A}" FROM {quoted}'))
    for table in INTERNAL_TABLES:
        op.drop_table(table, schema=S)
    for table in ANALYTICS_TABLES:
        op.drop_table(table, schema=A)
