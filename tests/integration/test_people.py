"""People's read models against their history: a deactivation ends every open session of the
person in the sessions' read model (what closes their sockets) and none of anyone else's; the
operators' read model follows names, roles, addresses, resets and reactivation; both verify
against a rebuild, in batches of any size."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from application import commands as c
from application import people as p
from domain.operators import Role
from infra.bootstrap import Container
from infra.projection.projector import ProjectionRunner
from infra.projection.verify import verify
from projections import operators as operators_view
from projections import sessions as sessions_view
from tests.conftest import caught_up, wait_for


def started(container: Container, operator_id: uuid.UUID) -> uuid.UUID:
    sid = uuid.uuid4()
    container.writer.execute_sync(c.StartSession(
        operator_id=operator_id, session_id=sid, address="127.0.0.1",
        expires_at=datetime.now(UTC) + timedelta(hours=8), actor="test"))
    return sid


def test_deactivation_ends_the_persons_open_sessions_and_both_read_models_verify(
        container: Container) -> None:
    write = container.writer.execute_sync
    olga = write(p.CreateOperator(login="olga", display_name="Olga", role=Role.OPERATOR,
                                  email="", password_hash="h1", actor="operator:admin"))
    petr = write(p.CreateOperator(login="petr", display_name="Petr", role=Role.OPERATOR,
                                  email="petr@example.com", password_hash="h2",
                                  actor="operator:admin"))
    olga_sessions = [started(container, olga) for _ in range(3)]
    write(c.EndSession(session_id=olga_sessions[0], actor="operator:olga"))
    petr_session = started(container, petr)
    write(p.UpdateOperator(operator_id=olga, display_name="Olga P.", role=Role.AUDITOR,
                           email="olga@example.com", admins=(), actor="operator:admin"))
    write(p.ResetOperatorPassword(operator_id=olga, password_hash="h3", actor="operator:admin"))
    write(p.DeactivateOperator(operator_id=olga, admins=(), at=datetime.now(UTC),
                               actor="operator:admin"))
    wait_for(lambda: caught_up(container))

    with container.views.reader.connect() as conn:
        ended = {sid: sessions_view.is_ended(conn, sid) for sid in (*olga_sessions, petr_session)}
        row = operators_view.find_by_login(conn, "olga")
    assert ended == {**dict.fromkeys(olga_sessions, True), petr_session: False}
    assert row is not None
    assert (row.display_name, row.role, row.email, row.password_hash, row.active) == (
        "Olga P.", "auditor", "olga@example.com", "h3", False)

    write(p.ReactivateOperator(operator_id=olga, actor="operator:admin"))
    started(container, olga)  # signs in again after reactivation: a new, open session
    wait_for(lambda: caught_up(container))
    with container.views.reader.connect() as conn:
        assert operators_view.find_by_id(conn, olga).active is True  # type: ignore[union-attr]
        open_ones = conn.execute(sa.select(sa.func.count()).select_from(sessions_view.sessions)
                                 .where(sessions_view.sessions.c.ended_at.is_(None))).scalar()
    assert open_ones == 2  # Petr's and Olga's new one

    for runner in container.projector.runners:
        if runner.name not in ("operators", "sessions"):
            continue
        for batch_size in (1, 3):
            other = ProjectionRunner(container.store, container.views, runner.projection,
                                     batch_size=batch_size, postgres=runner.postgres)
            result = verify(container.store, container.views, other)
            assert result.ok, (runner.name, batch_size, result.differences)
