"""Ports: what the handlers need from the outside world, named for their role."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import datetime
from typing import Any, Protocol, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate

A = TypeVar("A", bound=Aggregate)


class UnitOfWork(Protocol):
    """The aggregates one command reads and changes; their new events are stored together."""

    def get(self, cls: type[A], aggregate_id: UUID) -> A | None:
        """The aggregate, or None when it does not exist."""

    def add(self, aggregate: Aggregate) -> None:
        """A new aggregate to store with the others."""

    def is_recorded(self, aggregate_id: UUID) -> bool:
        """Whether an aggregate with this id exists. It may answer False optimistically for an
        id it has not seen: the store's uniqueness then refuses the whole batch, and the batch is
        run again with exact answers. Never create an aggregate without asking this first."""


class CommandBus(Protocol):
    def execute(self, command: object) -> Awaitable[Any]:
        """Runs the command's handler and stores its events durably before answering."""


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool: ...


class Clock(Protocol):
    def now(self) -> datetime: ...


class Mailer(Protocol):
    """Sends a plain-text e-mail (SMTP in production, an outbox in development)."""

    async def send(self, to: str, subject: str, body: str) -> None: ...


class SecretBox(Protocol):
    """Encrypts secrets that events must keep (never in clear) with a key from the settings."""

    def encrypt(self, secret: str) -> str: ...

    def decrypt(self, token: str) -> str: ...


class PbxProbe(Protocol):
    """Asks a PBX at `address` whether it answers; returns None when it does, else why not."""

    async def ping(self, address: str, seconds: float) -> str | None: ...
