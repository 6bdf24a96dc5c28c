"""Operators and the employee queue, as the sign-in and the admin screens read them."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import sqlalchemy as sa

from domain.operators import Operator
from domain.queue import EmployeeQueue
from projections.base import Changes, Projection, metadata

operators = sa.Table(
    "operators",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("login", sa.String(64), nullable=False, unique=True),
    sa.Column("display_name", sa.String(120), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("email", sa.String(254), nullable=False, server_default=""),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

queue_members = sa.Table(
    "queue_members",
    metadata,
    sa.Column("operator_id", sa.Uuid, primary_key=True),
    sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
)


class OperatorsProjection(Projection):
    name = "operators"
    tables = (operators, queue_members)
    events = (
        Operator.Registered, Operator.PasswordChanged, Operator.Renamed, Operator.Deactivated,
        Operator.Reactivated, Operator.RoleChanged, Operator.PasswordReset, Operator.EmailChanged,
        EmployeeQueue.MemberAdded, EmployeeQueue.MemberRemoved,
    )

    def apply(self, conn: sa.Connection, event: Any, position: int, changes: Changes) -> None:
        at = event.timestamp
        match event:
            case Operator.Registered():
                conn.execute(operators.insert().values(
                    id=event.originator_id, login=event.login, display_name=event.display_name,
                    role=event.role, password_hash=event.password_hash, active=True,
                    created_at=at, updated_at=at,
                ))
            case Operator.PasswordChanged():
                self._update(conn, event.originator_id, password_hash=event.password_hash,
                             updated_at=at)
            case Operator.Renamed():
                self._update(conn, event.originator_id, display_name=event.display_name,
                             updated_at=at)
            case Operator.Deactivated():
                self._update(conn, event.originator_id, active=False, updated_at=at)
            case Operator.Reactivated():
                self._update(conn, event.originator_id, active=True, updated_at=at)
            case Operator.RoleChanged():
                self._update(conn, event.originator_id, role=event.role, updated_at=at)
            case Operator.PasswordReset():
                self._update(conn, event.originator_id, password_hash=event.password_hash,
                             updated_at=at)
            case Operator.EmailChanged():
                self._update(conn, event.originator_id, email=event.email, updated_at=at)
            case EmployeeQueue.MemberAdded():
                conn.execute(queue_members.insert().values(
                    operator_id=event.operator_id, added_at=at))
            case EmployeeQueue.MemberRemoved():
                conn.execute(queue_members.delete().where(
                    queue_members.c.operator_id == event.operator_id))
        changes.add("operators", "all", event.originator_id)

    @staticmethod
    def _update(conn: sa.Connection, oid: UUID, **values: Any) -> None:
        conn.execute(operators.update().where(operators.c.id == oid).values(**values))


# -- queries -------------------------------------------------------------------------------
def find_by_login(conn: sa.Connection, login: str) -> sa.Row[Any] | None:
    return conn.execute(
        sa.select(operators).where(operators.c.login == login.strip().lower())
    ).first()


def find_by_id(conn: sa.Connection, oid: UUID) -> sa.Row[Any] | None:
    return conn.execute(sa.select(operators).where(operators.c.id == oid)).first()


def list_operators(conn: sa.Connection) -> list[sa.Row[Any]]:
    in_queue = sa.exists().where(queue_members.c.operator_id == operators.c.id)
    return list(conn.execute(
        sa.select(operators, in_queue.label("in_queue")).order_by(operators.c.login)
    ))


def count_operators(conn: sa.Connection) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(operators)).scalar_one())
