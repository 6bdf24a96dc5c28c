"""Instants leave the API in UTC with their offset, whichever database they came from (SQLite
returns them naive)."""

from __future__ import annotations

from datetime import UTC, datetime


def utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
