"""The simulator webhook refuses what is unsigned, badly signed, stale, malformed or too big, and
writes nothing when it refuses."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infra.bootstrap import Container
from infra.security import sign_body
from tests.conftest import LiveServer, client_message, simulator_post


def head(container: Container) -> int:
    return container.store.recorder.max_notification_id() or 0


def post(server: LiveServer, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(f"{server.url}/webhooks/simulator", content=body,
                      headers={"content-type": "application/json", **headers}, timeout=10)


def signed_headers(body: bytes, secret: str = "test-sim",
                   stamp: int | None = None) -> dict[str, str]:
    when = str(stamp if stamp is not None else int(time.time()))
    return {"x-switchboard-timestamp": when,
            "x-switchboard-signature": sign_body(secret, when, body)}


@pytest.mark.parametrize(("case", "expected"), [
    ("unsigned", "not signed"),
    ("wrong secret", "does not match"),
    ("stale", "stale"),
    ("tampered body", "does not match"),
])
def test_a_request_that_is_not_validly_signed_gets_401_and_writes_nothing(
    live_server: LiveServer, container: Container, case: str, expected: str
) -> None:
    before = head(container)
    body = json.dumps(client_message()).encode()
    headers = {
        "unsigned": {},
        "wrong secret": signed_headers(body, secret="guess"),
        "stale": signed_headers(body, stamp=int(time.time()) - 3600),
        "tampered body": signed_headers(body.replace(b"Hello", b"Hallo")),
    }[case]
    answer = post(live_server, body, headers)
    assert answer.status_code == 401
    assert expected in answer.json()["detail"]
    assert head(container) == before


@pytest.mark.parametrize(("payload", "reason"), [
    ({"id": "x", "from": "+79161234567", "text": ""}, "text"),
    ({"id": "x", "from": "not a phone", "text": "hi", "timestamp": 1}, "phone"),
    ({"from": "+79161234567", "text": "hi", "timestamp": 1}, "id"),
    ([1, 2, 3], "Malformed"),
])
def test_a_malformed_message_gets_422_with_the_reason_and_writes_nothing(
    live_server: LiveServer, container: Container, payload: Any, reason: str
) -> None:
    before = head(container)
    body = json.dumps(payload).encode()
    answer = post(live_server, body, signed_headers(body))
    assert answer.status_code == 422
    assert reason in answer.json()["detail"]
    assert head(container) == before


def test_a_body_over_the_limit_is_refused_before_it_is_read_whole(
    live_server: LiveServer, container: Container
) -> None:
    before = head(container)
    body = b"{" + b" " * (2 * 1024 * 1024) + b"}"
    answer = post(live_server, body, signed_headers(body))
    assert answer.status_code == 413
    assert head(container) == before


def test_a_repeated_delivery_answers_duplicate_and_changes_nothing(
    live_server: LiveServer, container: Container
) -> None:
    message = client_message(message_id="wamid-repeat")
    first = simulator_post(live_server.url, message)
    after_first = head(container)
    second = simulator_post(live_server.url, message)
    assert (first.json()["status"], second.json()["status"]) == ("accepted", "duplicate")
    assert first.json()["dialog_id"] == second.json()["dialog_id"]
    assert head(container) == after_first


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(st.binary(max_size=300),
                      st.dictionaries(st.text(max_size=8),
                                      st.one_of(st.none(), st.integers(), st.text(max_size=20)),
                                      max_size=5).map(lambda d: json.dumps(d).encode())),
       signed=st.booleans())
def test_no_input_gives_a_server_error_or_writes_unless_well_formed_and_signed(
    live_server: LiveServer, container: Container, body: bytes, signed: bool
) -> None:
    before = head(container)
    answer = post(live_server, body, signed_headers(body) if signed else {})
    assert answer.status_code < 500
    if answer.status_code >= 400:
        assert head(container) == before
