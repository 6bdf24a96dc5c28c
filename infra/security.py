"""Password hashing (argon2) and signed bearer tokens (HMAC-SHA256)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from uuid import UUID

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from application.auth import TokenClaims


class Argon2PasswordHasher:
    def __init__(self, *, fast: bool = False) -> None:
        # `fast` is for tests only: the same algorithm with small costs.
        self._hasher = (
            PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1) if fast
            else PasswordHasher()
        )

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class HmacTokenCodec:
    """`v1.<claims>.<signature>`; the claims name a session, so ending it revokes the token."""

    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(("switchboard-token:" + secret).encode()).digest()

    def encode(self, claims: TokenClaims) -> str:
        body = _b64(json.dumps({
            "sid": str(claims.session_id), "oid": str(claims.operator_id),
            "exp": int(claims.expires_at.timestamp()),
        }, separators=(",", ":")).encode())
        return f"v1.{body}.{self._sign(body)}"

    def decode(self, token: str) -> TokenClaims | None:
        try:
            version, body, signature = token.split(".")
            if version != "v1" or not hmac.compare_digest(signature, self._sign(body)):
                return None
            data = json.loads(_unb64(body))
            return TokenClaims(
                session_id=UUID(data["sid"]), operator_id=UUID(data["oid"]),
                expires_at=datetime.fromtimestamp(int(data["exp"]), UTC),
            )
        except (ValueError, KeyError, TypeError):
            return None

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self._key, body.encode(), hashlib.sha256).digest())


def sign_body(secret: str, timestamp: str, body: bytes) -> str:
    """The simulator webhook's signature: hex HMAC-SHA256 of `<timestamp>.<raw body>`."""
    message = timestamp.encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
