"""A small installation for routing tests: the real handlers and group-commit writer over an
event store in a SQLite file of the test's own, with a clock the test moves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

from application import commands as c
from application import routing as r
from application.registry import all_handlers
from application.setup import StartInstallation
from domain.dialogs import Dialog
from domain.ids import operator_id
from domain.operators import Role
from domain.presence import Presence, presence_id
from domain.setup import ConnectionMode
from infra.eventstore import EventStore
from infra.writer import GroupCommitWriter


class FakeClock:
    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, seconds: float) -> datetime:
        self.current += timedelta(seconds=seconds)
        return self.current


class Desk:
    def __init__(self, directory: Path) -> None:
        self.store = EventStore(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite",
                                     "SQLITE_DBNAME": str(directory / "events.db")})
        self.writer = GroupCommitWriter(self.store, all_handlers())
        self.clock = FakeClock()
        self.run(StartInstallation(connection_mode=ConnectionMode.WEB_SERVICE, actor="system",
                                   server_url="http://127.0.0.1:8000",
                                   publication_name="sample"))
        self.run(r.SeedAccessGroup(actor="system"))
        self.connections: dict[UUID, UUID] = {}
        self.phones = 0

    def run(self, command: object) -> Any:
        return self.writer.execute_sync(command)

    @property
    def now(self) -> datetime:
        return self.clock.now()

    def operator(self, login: str, *, queue: bool = True, group: bool = True,
                 online: bool = False, admin: bool = False) -> UUID:
        oid = self.run(c.RegisterOperator(login=login, display_name=login.title(),
                                          role=Role.ADMIN if admin else Role.OPERATOR,
                                          password_hash="h", actor="test"))
        if group:
            self.run(r.AddAccessMember(operator_id=oid, actor="test"))
        if queue:
            self.run(c.AddQueueMember(operator_id=oid, actor="test"))
        if online:
            self.online(oid)
        return UUID(str(oid))

    def online(self, oid: UUID) -> str:
        connection = self.connections.setdefault(oid, uuid4())
        return str(self.run(r.ConnectPanel(operator_id=oid, connection_id=connection,
                                           replica="test", at=self.now, actor="test")))

    def offline(self, oid: UUID) -> str:
        connection = self.connections.pop(oid)
        return str(self.run(r.DisconnectPanel(operator_id=oid, connection_id=connection,
                                              at=self.now, actor="test")))

    def away(self, oid: UUID) -> str:
        return str(self.run(r.ChoosePresence(operator_id=oid, status="away", at=self.now,
                                             actor="test")))

    def mode(self, mode: str, *, timeout: int = 60, capacity: int = 0,
             reopen_hours: int = 72) -> None:
        self.run(r.ConfigureDistribution(mode=mode, idle_timeout_seconds=timeout,
                                         capacity=capacity, reopen_window_hours=reopen_hours,
                                         at=self.now, actor="test"))

    def message(self, text: str = "Здравствуйте", phone: str | None = None) -> UUID:
        if phone is None:
            self.phones += 1
            phone = f"+7916{self.phones:07d}"
        received = self.run(c.ReceiveClientMessage(
            channel="simulator", external_id=uuid4().hex, phone=phone, name="Client",
            text=text, sent_at=self.now))
        return UUID(str(received.dialog_id))

    def dialog(self, dialog_id: UUID) -> Dialog:
        found: Dialog = self.store.repository.get(dialog_id)
        return found

    def holder(self, dialog_id: UUID) -> UUID | None:
        return self.dialog(dialog_id).assignee

    def holding(self, oid: UUID) -> list[UUID]:
        try:
            presence: Presence = self.store.repository.get(presence_id(oid))
        except Exception:
            return []
        return list(presence.holding)

    def claim(self, dialog_id: UUID, oid: UUID) -> bool:
        return bool(self.run(r.ClaimDialog(dialog_id=dialog_id, operator_id=oid, at=self.now,
                                           actor="test")))

    def resolve(self, dialog_id: UUID, oid: UUID) -> bool:
        return bool(self.run(r.ResolveDialog(dialog_id=dialog_id, operator_id=oid, at=self.now,
                                             actor="test")))

    def forward(self, dialog_id: UUID) -> UUID | None:
        holder = self.holder(dialog_id)
        assert holder is not None
        moved = self.run(r.ForwardLapsedOffer(dialog_id=dialog_id, operator_id=holder,
                                              at=self.now))
        return UUID(str(moved)) if moved else None


ADMIN = operator_id("admin")
