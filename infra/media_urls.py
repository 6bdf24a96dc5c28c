"""Short-lived signed URLs for files: `/media/files/m1.<claims>.<signature>`. The claims name the
media, the operator it was issued to and when it expires; the signature is HMAC-SHA256 with a key
derived from the secret key. A URL works for nobody else (the route asks again whether its
operator may see the dialog) and for no longer than `media_url_ttl_seconds`."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

PREFIX = "/media/files/"


class BadMediaUrl(Exception):
    """The URL was not signed by us (or was changed)."""


class ExpiredMediaUrl(Exception):
    """The URL was ours, but its time is up."""


@dataclass(frozen=True)
class MediaClaims:
    media_id: UUID
    operator_id: UUID
    expires_at: datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class MediaUrlSigner:
    def __init__(self, secret: str, ttl_seconds: int = 300) -> None:
        self._key = hashlib.sha256(("switchboard-media-url:" + secret).encode()).digest()
        self.ttl = timedelta(seconds=ttl_seconds)

    def token(self, media_id: UUID, operator_id: UUID, now: datetime) -> str:
        body = _b64(json.dumps({"m": str(media_id), "o": str(operator_id),
                                "e": int((now + self.ttl).timestamp())},
                               separators=(",", ":")).encode())
        return f"m1.{body}.{self._sign(body)}"

    def url(self, media_id: UUID, operator_id: UUID, now: datetime) -> str:
        return PREFIX + self.token(media_id, operator_id, now)

    def verify(self, token: str, now: datetime) -> MediaClaims:
        try:
            version, body, signature = token.split(".")
        except ValueError:
            raise BadMediaUrl("Not a file URL.") from None
        if version != "m1" or not hmac.compare_digest(signature, self._sign(body)):
            raise BadMediaUrl("This file URL was not signed here.")
        try:
            claims = json.loads(_unb64(body))
            result = MediaClaims(media_id=UUID(claims["m"]), operator_id=UUID(claims["o"]),
                                 expires_at=datetime.fromtimestamp(int(claims["e"]),
                                                                   tz=now.tzinfo))
        except (ValueError, KeyError, TypeError):
            raise BadMediaUrl("Not a file URL.") from None
        if now >= result.expires_at:
            raise ExpiredMediaUrl("This file URL has expired: open the dialog again.")
        return result

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self._key, body.encode(), hashlib.sha256).digest())
