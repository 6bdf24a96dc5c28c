"""Alembic environment: read models live in schema `read` on PostgreSQL, in their own file on
SQLite (where schema names are translated away)."""

from __future__ import annotations

from alembic import context
from infra.migrations import configure_and_run

configure_and_run(context)
