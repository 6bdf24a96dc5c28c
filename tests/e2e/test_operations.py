"""What operators of the service rely on: health, readiness, metrics, request ids, the CLI's
projection commands, and sockets closed when their token expires."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import websockets

from infra.bootstrap import Container
from tests.conftest import (
    ADMIN_PASSWORD,
    GraphQLClient,
    LiveServer,
    caught_up,
    cli,
    cli_env,
    client_message,
    make_settings,
    running_container,
    simulator_post,
    wait_for,
)


def test_health_and_readiness_report_the_projections(live_server: LiveServer,
                                                     container: Container) -> None:
    assert httpx.get(f"{live_server.url}/healthz").json() == {"status": "ok"}
    simulator_post(live_server.url, client_message())
    wait_for(lambda: caught_up(container))
    ready = httpx.get(f"{live_server.url}/readyz")
    assert ready.status_code == 200
    body = ready.json()
    assert body["status"] == "ready" and body["problems"] == []
    assert set(body["projections"]) >= {"inbox", "operators", "sessions"}
    assert all(p["lag"] == 0 for p in body["projections"].values())


def test_readiness_fails_while_a_projection_lags_beyond_the_bound(database_url: str) -> None:
    settings = make_settings(database_url, readiness_max_lag=0)
    with running_container(settings, projections=False) as container, \
            LiveServer(container) as server:
        simulator_post(server.url, client_message())
        not_ready = httpx.get(f"{server.url}/readyz")
        assert not_ready.status_code == 503
        assert any("lags" in problem for problem in not_ready.json()["problems"])


def test_readiness_fails_with_the_reason_while_the_sync_scheduler_is_not_running(
        live_server: LiveServer, container: Container) -> None:
    wait_for(lambda: container.sync.applied is not None)
    assert httpx.get(f"{live_server.url}/readyz").status_code == 200
    container.sync.scheduler.shutdown()  # type: ignore[union-attr]
    not_ready = httpx.get(f"{live_server.url}/readyz")
    assert not_ready.status_code == 503
    body = not_ready.json()
    assert body["status"] == "not ready"
    assert body["problems"] == ["the sync job's scheduler is not running"]
    assert [w["code"] for w in body["outbox"]["warnings"]] == ["SCHEDULER_NOT_RUNNING"]


def test_metrics_count_messages_events_lag_and_latency(live_server: LiveServer) -> None:
    simulator_post(live_server.url, client_message())
    text = httpx.get(f"{live_server.url}/metrics").text
    for name in ("switchboard_messages_in_total", "switchboard_events_appended_total",
                 "switchboard_projection_position", "switchboard_projection_lag_events",
                 "switchboard_http_request_seconds_bucket", "switchboard_writer_batch_commands"):
        assert name in text, name
    assert 'route="/webhooks/simulator"' in text


def test_every_response_carries_a_request_id_and_keeps_the_callers(
    live_server: LiveServer,
) -> None:
    generated = httpx.get(f"{live_server.url}/healthz").headers["x-request-id"]
    assert len(generated) == 32
    given = httpx.get(f"{live_server.url}/healthz", headers={"x-request-id": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"


def test_projections_status_and_rebuild_from_the_command_line(
    live_server: LiveServer, container: Container
) -> None:
    for i in range(5):
        simulator_post(live_server.url, client_message(phone=f"+7916111000{i}"))
    wait_for(lambda: caught_up(container))
    env = cli_env(container.settings.database_url)
    status = cli("projections", "status", "--json", env=env)
    assert status.returncode == 0, status.stderr
    rows = {row["name"]: row for row in json.loads(status.stdout)}
    assert rows["inbox"]["lag"] == 0 and rows["inbox"]["position"] > 0
    rebuilt = cli("projections", "rebuild", "inbox", env=env)
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    assert "Rebuilt." in rebuilt.stdout
    admin = GraphQLClient(live_server.url)
    admin.login("admin", ADMIN_PASSWORD)
    assert len(admin("{ inbox(first: 50) { edges { cursor } } }")["inbox"]["edges"]) == 5
    verified = cli("projections", "verify", env=env)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "inbox: identical" in verified.stdout
    everything = cli("projections", "rebuild", "--processes", "2", env=env)  # while it serves
    assert everything.returncode == 0, everything.stdout + everything.stderr
    again = cli("projections", "verify", env=env)
    assert again.returncode == 0 and again.stdout.count(": identical") == len(
        container.projector.runners), again.stdout
    assert len(admin("{ inbox(first: 50) { edges { cursor } } }")["inbox"]["edges"]) == 5
    unknown = cli("projections", "status", "nonsense", env=env)
    assert unknown.returncode == 2 and "No projection named" in unknown.stdout


async def test_the_server_closes_a_socket_when_its_token_expires(database_url: str) -> None:
    with running_container(make_settings(database_url)) as container, \
            LiveServer(container) as server:
        # A token that expires in two seconds, signed like any other.
        from datetime import UTC, datetime, timedelta

        from application.auth import TokenClaims
        from infra.security import HmacTokenCodec

        admin = GraphQLClient(server.url)
        await asyncio.to_thread(admin.login, "admin", ADMIN_PASSWORD)
        claims = HmacTokenCodec("test-secret").decode(admin.token or "")
        assert claims is not None
        soon = HmacTokenCodec("test-secret").encode(TokenClaims(
            claims.session_id, claims.operator_id, datetime.now(UTC) + timedelta(seconds=2)))
        url = server.url.replace("http://", "ws://") + "/graphql"
        async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
            await ws.send(json.dumps({"type": "connection_init",
                                      "payload": {"authorization": f"Bearer {soon}"}}))
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


async def test_signing_out_closes_the_open_sockets_of_that_session(
    live_server: LiveServer,
) -> None:
    admin = GraphQLClient(live_server.url)
    await asyncio.to_thread(admin.login, "admin", ADMIN_PASSWORD)
    url = live_server.url.replace("http://", "ws://") + "/graphql"
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init",
                                  "payload": {"authorization": f"Bearer {admin.token}"}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await asyncio.to_thread(admin, "mutation { logout { ok } }")
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
