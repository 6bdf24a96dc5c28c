from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from application.auth import LoginThrottle, SignInThrottled, TokenClaims
from application.phones import to_e164
from domain.errors import InvalidValue
from infra.security import Argon2PasswordHasher, HmacTokenCodec, sign_body


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_failures_for_one_login_are_throttled_until_the_window_passes() -> None:
    clock = FakeMonotonic()
    throttle = LoginThrottle(per_login=3, per_address=100, window_seconds=60, monotonic=clock)
    for _ in range(3):
        throttle.check("olga", "1.1.1.1")
        throttle.failed("olga", "1.1.1.1")
    with pytest.raises(SignInThrottled) as throttled:
        throttle.check("olga", "2.2.2.2")
    assert 1 <= throttled.value.retry_after <= 61
    throttle.check("ivan", "2.2.2.2")  # another login is not affected
    clock.now += 61
    throttle.check("olga", "1.1.1.1")


def test_failures_from_one_address_are_throttled_across_logins() -> None:
    throttle = LoginThrottle(per_login=100, per_address=2, window_seconds=60,
                             monotonic=FakeMonotonic())
    throttle.failed("a", "9.9.9.9")
    throttle.failed("b", "9.9.9.9")
    with pytest.raises(SignInThrottled):
        throttle.check("c", "9.9.9.9")
    throttle.check("c", "8.8.8.8")


def test_a_success_forgets_the_login_failures() -> None:
    throttle = LoginThrottle(per_login=2, per_address=100, window_seconds=60,
                             monotonic=FakeMonotonic())
    throttle.failed("olga", "1.1.1.1")
    throttle.succeeded("olga")
    throttle.failed("olga", "1.1.1.1")
    throttle.check("olga", "1.1.1.1")


def test_a_token_round_trips_and_a_tampered_one_is_refused() -> None:
    codec = HmacTokenCodec("k")
    claims = TokenClaims(uuid4(), uuid4(), datetime(2030, 1, 1, tzinfo=UTC))
    token = codec.encode(claims)
    assert codec.decode(token) == claims
    version, body, signature = token.split(".")
    assert codec.decode(f"{version}.{body}x.{signature}") is None
    assert HmacTokenCodec("other").decode(token) is None
    assert codec.decode("garbage") is None


def test_passwords_are_hashed_with_argon2_and_verified() -> None:
    hasher = Argon2PasswordHasher(fast=True)
    stored = hasher.hash("s3cret-pass")
    assert stored.startswith("$argon2")
    assert "s3cret-pass" not in stored
    assert hasher.verify(stored, "s3cret-pass")
    assert not hasher.verify(stored, "wrong")
    assert not hasher.verify("not-a-hash", "x")


def test_the_simulator_signature_covers_timestamp_and_body() -> None:
    one = sign_body("s", "100", b"{}")
    assert one.startswith("sha256=")
    assert one != sign_body("s", "101", b"{}")
    assert one != sign_body("s", "100", b"{ }")


@pytest.mark.parametrize(("raw", "e164"), [
    ("+7 916 123-45-67", "+79161234567"),
    ("8 (916) 123-45-67", "+79161234567"),
    ("79161234567@c.us", "+79161234567"),
    ("+44 20 7946 0958", "+442079460958"),
])
def test_phone_numbers_are_normalised_to_e164(raw: str, e164: str) -> None:
    assert to_e164(raw) == e164


@pytest.mark.parametrize("raw", ["hello", "123", ""])
def test_what_is_not_a_phone_number_is_refused(raw: str) -> None:
    with pytest.raises(InvalidValue):
        to_e164(raw)


def test_tokens_expire_on_time() -> None:
    codec = HmacTokenCodec("k")
    past = datetime.now(UTC) - timedelta(seconds=1)
    claims = codec.decode(codec.encode(TokenClaims(uuid4(), uuid4(), past)))
    assert claims is not None and claims.expires_at < datetime.now(UTC)
