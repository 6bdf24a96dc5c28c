"""The PBX probe checks MikoPBX the way 1C will use it: a NATS handshake against Debian's real
nats-server (standing in for the module's gnatsd-cti), and the REST ping following a redirect
to HTTPS, or trying HTTPS when HTTP does not answer, against fake MikoPBXs on loopback."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

import infra.pbx
from application.ports import NATS_CODES, REST_CODES
from infra.pbx import MikoPbxProbe
from tests.nats_server import NATS_PASSWORD, NatsServer
from tests.setup_helpers import FakeMikoPbx, closed_address, fake_pbxs, self_signed_tls

SECONDS = 2.0


async def test_the_right_password_is_answered(nats_server: Any):
    answer = await MikoPbxProbe().nats("127.0.0.1", nats_server.port, NATS_PASSWORD, SECONDS)
    assert answer.code == "NATS_OK" and answer.ok
    assert answer.detail.startswith("NATS 2.") and "accepted the connection" in answer.detail


async def test_a_wrong_password_is_refused_with_the_servers_reason(nats_server: Any):
    answer = await MikoPbxProbe().nats("127.0.0.1", nats_server.port, "not-it", SECONDS)
    assert answer.code == "NATS_AUTH_REFUSED" and not answer.ok
    assert "Authorization Violation" in answer.detail
    assert "not-it" not in answer.detail


async def test_a_server_that_wants_a_password_is_not_tried_without_one(nats_server: Any):
    answer = await MikoPbxProbe().nats("127.0.0.1", nats_server.port, None, SECONDS)
    assert answer.code == "NATS_NO_PASSWORD" and not answer.ok


async def test_a_user_and_password_server_is_answered_with_the_configured_user(tmp_path: Path):
    with NatsServer(tmp_path, {"user": "cti", "password": NATS_PASSWORD}) as server:
        named = await MikoPbxProbe(nats_user="cti").nats(
            "127.0.0.1", server.port, NATS_PASSWORD, SECONDS)
        anonymous = await MikoPbxProbe().nats("127.0.0.1", server.port, NATS_PASSWORD, SECONDS)
    assert named.code == "NATS_OK"
    assert anonymous.code == "NATS_AUTH_REFUSED"


async def test_nothing_listening_is_unreachable():
    host, port = closed_address().split(":")
    answer = await MikoPbxProbe().nats(host, int(port), NATS_PASSWORD, SECONDS)
    assert answer.code == "NATS_UNREACHABLE" and f"{host}:{port}" in answer.detail


async def test_an_http_server_on_the_nats_port_is_not_nats():
    with fake_pbxs("ok") as (web,):
        answer = await MikoPbxProbe().nats("127.0.0.1", web.port, NATS_PASSWORD, SECONDS)
    assert answer.code == "NATS_NOT_NATS" and "is not a NATS server" in answer.detail


async def test_an_address_is_checked_over_rest_and_nats_at_the_same_host(nats_server: Any):
    with fake_pbxs("ok") as (pbx,):
        answer = await MikoPbxProbe(nats_port=nats_server.port).check(
            pbx.address, NATS_PASSWORD, SECONDS)
    assert (answer.rest.code, answer.nats.code) == ("REST_OK", "NATS_OK")


async def test_a_redirect_to_https_is_followed_and_said():
    secure = FakeMikoPbx("ok", tls=self_signed_tls())
    with fake_pbxs("redirect") as (plain,):
        plain.location = secure.url
        try:
            answer = await MikoPbxProbe().rest(plain.address, SECONDS)
        finally:
            secure.down()
    assert answer.code == "REST_REDIRECTED_HTTPS" and answer.ok
    assert answer.detail == f"answered at {secure.url}"
    assert plain.requests == ["/pbxcore/api/v3/system:ping"]
    assert secure.requests == ["/pbxcore/api/v3/system:ping"]


async def test_https_is_tried_when_http_does_not_answer():
    secure = FakeMikoPbx("old", tls=self_signed_tls())
    try:
        answer = await MikoPbxProbe().rest(secure.address, SECONDS)
    finally:
        secure.down()
    assert answer.code == "REST_HTTPS" and answer.ok
    assert secure.requests == ["/pbxcore/api/v3/system:ping", "/pbxcore/api/system/ping"]


async def test_endless_redirects_are_reported():
    with fake_pbxs("redirect") as (loop,):
        loop.location = loop.url + "/again"
        answer = await MikoPbxProbe().rest(loop.address, SECONDS)
    assert answer.code == "REST_TOO_MANY_REDIRECTS" and not answer.ok


@pytest.mark.parametrize("address", ["http://127.0.0.2:9", "127.0.0.2", "[::1]:9", "::1"])
def test_the_nats_host_is_the_addresss_host(address: str):
    from infra.pbx import host_of

    assert host_of(address) == ("::1" if "::1" in address else "127.0.0.2")


def test_the_probe_says_only_the_codes_the_panel_translates():
    said = set(re.findall(r'"((?:REST|NATS)_[A-Z_]+)"', Path(infra.pbx.__file__).read_text()))
    assert said == set(REST_CODES) | set(NATS_CODES)
