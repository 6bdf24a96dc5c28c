"""Signing in and out: passwords checked against the operators' read model, attempts throttled per
login and per address, tokens that expire and can be revoked by ending their session."""

from __future__ import annotations

import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from uuid import UUID, uuid4

from anyio import to_thread

from application import commands as c
from application.ports import Clock, CommandBus, PasswordHasher
from domain.operators import Role


@dataclass(frozen=True)
class OperatorRecord:
    id: UUID
    login: str
    display_name: str
    role: Role
    password_hash: str
    active: bool


@dataclass(frozen=True)
class Principal:
    operator_id: UUID
    login: str
    display_name: str
    role: Role
    session_id: UUID
    expires_at: datetime

    @property
    def actor(self) -> str:
        return f"operator:{self.login}"

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


@dataclass(frozen=True)
class TokenClaims:
    session_id: UUID
    operator_id: UUID
    expires_at: datetime


class OperatorDirectory(Protocol):
    """Reads the operators' and sessions' read models (never the aggregates)."""

    def by_login(self, login: str) -> OperatorRecord | None: ...

    def by_id(self, operator_id: UUID) -> OperatorRecord | None: ...

    def session_ended(self, session_id: UUID) -> bool: ...


class TokenCodec(Protocol):
    def encode(self, claims: TokenClaims) -> str: ...

    def decode(self, token: str) -> TokenClaims | None: ...


class SignInFailed(Exception):
    code = "INVALID_CREDENTIALS"
    message = "Wrong login or password."


class SignInThrottled(Exception):
    code = "TOO_MANY_ATTEMPTS"

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Too many failed attempts; try again in {retry_after} s.")
        self.retry_after = retry_after
        self.message = str(self)


class LoginThrottle:
    """Counts failures per login and per address in a sliding window."""

    def __init__(
        self, per_login: int, per_address: int, window_seconds: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._limits = {"login": per_login, "address": per_address}
        self._window = window_seconds
        self._now = monotonic
        self._failures: defaultdict[tuple[str, str], deque[float]] = defaultdict(deque)

    def check(self, login: str, address: str) -> None:
        now = self._now()
        for kind, key in (("login", login), ("address", address)):
            failures = self._recent((kind, key), now)
            if len(failures) >= self._limits[kind]:
                raise SignInThrottled(max(1, int(failures[0] + self._window - now) + 1))

    def failed(self, login: str, address: str) -> None:
        now = self._now()
        for key in (("login", login), ("address", address)):
            self._recent(key, now).append(now)

    def succeeded(self, login: str) -> None:
        self._failures.pop(("login", login), None)

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        failures = self._failures[key]
        while failures and failures[0] <= now - self._window:
            failures.popleft()
        return failures


@dataclass(frozen=True)
class SignedIn:
    token: str
    principal: Principal


class AuthService:
    def __init__(
        self, *, bus: CommandBus, hasher: PasswordHasher, tokens: TokenCodec,
        directory: OperatorDirectory, throttle: LoginThrottle, clock: Clock, ttl_seconds: int,
    ) -> None:
        self._bus = bus
        self._hasher = hasher
        self._tokens = tokens
        self._directory = directory
        self._throttle = throttle
        self._clock = clock
        self._ttl = timedelta(seconds=ttl_seconds)

    async def sign_in(self, login: str, password: str, address: str) -> SignedIn:
        login = login.strip().lower()
        self._throttle.check(login, address)
        record = await to_thread.run_sync(self._directory.by_login, login)
        valid = await to_thread.run_sync(self._check, record, password)
        if not valid or record is None:
            self._throttle.failed(login, address)
            raise SignInFailed
        self._throttle.succeeded(login)
        expires_at = self._clock.now() + self._ttl
        session_id = uuid4()
        await self._bus.execute(c.StartSession(
            operator_id=record.id, session_id=session_id, expires_at=expires_at,
            address=address, actor=f"operator:{record.login}",
        ))
        token = self._tokens.encode(TokenClaims(session_id, record.id, expires_at))
        return SignedIn(token, self._principal(record, session_id, expires_at))

    def _check(self, record: OperatorRecord | None, password: str) -> bool:
        if record is None or not record.active:
            self._hasher.hash(password)  # the same work either way: no timing oracle
            return False
        return self._hasher.verify(record.password_hash, password)

    async def authenticate(self, token: str | None) -> Principal | None:
        if not token:
            return None
        claims = self._tokens.decode(token.removeprefix("Bearer ").strip())
        if claims is None or claims.expires_at <= self._clock.now():
            return None
        record, ended = await to_thread.run_sync(self._lookup, claims)
        if record is None or not record.active or ended:
            return None
        return self._principal(record, claims.session_id, claims.expires_at)

    def _lookup(self, claims: TokenClaims) -> tuple[OperatorRecord | None, bool]:
        return (self._directory.by_id(claims.operator_id),
                self._directory.session_ended(claims.session_id))

    async def sign_out(self, principal: Principal) -> None:
        await self._bus.execute(c.EndSession(session_id=principal.session_id,
                                             actor=principal.actor))

    @staticmethod
    def _principal(record: OperatorRecord, session_id: UUID, expires_at: datetime) -> Principal:
        return Principal(
            operator_id=record.id, login=record.login, display_name=record.display_name,
            role=record.role, session_id=session_id, expires_at=expires_at,
        )
