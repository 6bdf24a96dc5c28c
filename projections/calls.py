"""What call back reads: the operator's extension as the setup wizard's employees' numbers
stand now (the configuration sections folded by the audit projection). The calls themselves
are entries of the dialogs' timelines (projections/inbox.py, `messages.call_*`)."""

from __future__ import annotations

from uuid import UUID

import sqlalchemy as sa

from projections.audit.trail import current_configuration


def operator_extension(conn: sa.Connection, operator_id: UUID) -> str:
    """The operator's extension ("" when none is recorded)."""
    states = current_configuration(conn).states
    phones = (states.get("employees") or {}).get("phones") or {}
    return str((phones.get(str(operator_id)) or {}).get("extension") or "")
