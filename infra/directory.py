"""The operator directory the sign-in reads: the operators' and sessions' read models."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import sqlalchemy as sa

from application.auth import OperatorRecord
from domain.operators import Role
from projections import operators as operators_view
from projections import sessions as sessions_view


def _record(row: sa.Row[Any] | None) -> OperatorRecord | None:
    if row is None:
        return None
    return OperatorRecord(
        id=row.id, login=row.login, display_name=row.display_name, role=Role(row.role),
        password_hash=row.password_hash, active=row.active,
    )


class SqlOperatorDirectory:
    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def by_login(self, login: str) -> OperatorRecord | None:
        with self._engine.connect() as conn:
            return _record(operators_view.find_by_login(conn, login))

    def by_id(self, operator_id: UUID) -> OperatorRecord | None:
        with self._engine.connect() as conn:
            return _record(operators_view.find_by_id(conn, operator_id))

    def session_ended(self, session_id: UUID) -> bool:
        with self._engine.connect() as conn:
            return sessions_view.is_ended(conn, session_id)
