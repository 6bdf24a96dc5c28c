"""Shared fixtures: a database per test (SQLite file or a fresh PostgreSQL database), a container
built by the real composition root, a live server, and a GraphQL client."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import uvicorn

from infra.bootstrap import Container, bootstrap, ensure_first_admin
from infra.migrations import migrate
from infra.security import Argon2PasswordHasher
from infra.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "test"}
ADMIN_PASSWORD = "admin-pass-1"
IN_CI = os.environ.get("CI", "").lower() == "true"


def postgres_available() -> bool:
    try:
        with psycopg.connect(**PG, connect_timeout=3):
            return True
    except psycopg.Error:
        return False


def require_postgres() -> None:
    if not postgres_available():
        if IN_CI:
            pytest.fail("PostgreSQL is not reachable on 127.0.0.1:5432 and CI=true")
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")


@contextlib.contextmanager
def fresh_postgres_database() -> Iterator[str]:
    require_postgres()
    name = f"sb_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(**PG, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(**PG, autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,))
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


@contextlib.contextmanager
def generated_history(backend: str, folder: Path, plan: Any
                      ) -> Iterator[tuple[Container, Any, str]]:
    """(container, ledger, database url): `plan`'s history generated through the handlers on a
    fresh SQLite file in `folder` or a fresh PostgreSQL database, every projection caught up
    and then stopped (the caller reads, verifies and rebuilds undisturbed)."""
    from tests.history import generate

    with contextlib.ExitStack() as stack:
        url = (f"sqlite:///{folder}/switchboard.db" if backend == "sqlite"
               else stack.enter_context(fresh_postgres_database()))
        settings = make_settings(url, run_routing_jobs=False, run_sync_job=False)
        container = stack.enter_context(running_container(settings))
        ledger = generate(container, plan)
        wait_for(lambda: caught_up(container), timeout=300)
        container.projector.stop()
        yield container, ledger, url


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Every integration test runs on both backends, each in a database of its own."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/switchboard.db"
    else:
        with fresh_postgres_database() as url:
            yield url


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with fresh_postgres_database() as url:
        yield url


# Production refuses the simulator gateway and placeholder secrets: for a production
# installation, real-looking secrets and a Cloud API configured to reach nowhere (tests that
# inject a gateway of their own set SWITCHBOARD_GATEWAY=cloud in the environment instead).
PRODUCTION = {"env": "production", "secret_key": "a-real-secret-1",
              "simulator_secret": "a-real-secret-2", "cloud_graph_url": "http://127.0.0.1:9",
              "cloud_access_token": "token", "cloud_phone_number_id": "1",
              "cloud_app_secret": "app-secret", "cloud_verify_token": "verify"}


def make_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "env": "test", "database_url": database_url, "secret_key": "test-secret",
        "simulator_secret": "test-sim", "admin_password": ADMIN_PASSWORD,
        "projection_poll_seconds": 0.01,
    }
    if not database_url.startswith("sqlite:///"):  # files beside nothing: a folder of its own
        values["media_dir"] = tempfile.mkdtemp(prefix="sb-media-")
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@contextlib.contextmanager
def running_container(settings: Settings, *, projections: bool = True,
                      channels: tuple[Any, ...] = ()) -> Iterator[Container]:
    """A started container; `channels` adds channels of a test's own (their `build`)."""
    migrate(settings)
    container = bootstrap(settings, hasher=Argon2PasswordHasher(fast=True), channels=channels)
    container.start(projections=projections)
    try:
        ensure_first_admin(container)
        if projections:  # the first admin can sign in as soon as the test begins
            operators = next(r for r in container.projector.runners if r.name == "operators")
            wait_for(lambda: operators.status().lag == 0)
        yield container
    finally:
        container.stop()


@pytest.fixture
def container(settings: Settings) -> Iterator[Container]:
    with running_container(settings) as built:
        yield built


def wait_for(predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.02) -> Any:
    """Polls until `predicate()` is truthy; fails the test with a clear message otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout} s: {predicate}")
        time.sleep(interval)


def caught_up(container: Container) -> bool:
    return all(r.status().lag == 0 for r in container.projector.runners)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer:
    """The real ASGI app on a loopback port, in a thread of the test process."""

    def __init__(self, container: Container, port: int | None = None) -> None:
        """`port`: one chosen before the container was built (a channel that registers its
        public URL at start-up, as Telegram's webhook, must know it first)."""
        from api.app import create_app

        self.container = container
        self.port = port or free_port()
        config = uvicorn.Config(create_app(container, manage_lifecycle=False),
                                host="127.0.0.1", port=self.port, log_level="warning",
                                ws="websockets-sansio", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LiveServer:
        self.thread.start()
        wait_for(lambda: self.server.started, timeout=15)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def live_server(container: Container) -> Iterator[LiveServer]:
    with LiveServer(container) as server:
        yield server


class GraphQLClient:
    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/") + "/graphql"
        self.token: str | None = None

    def raw(self, query: str, variables: dict[str, Any] | None = None,
            token: str | None = None) -> dict[str, Any]:
        headers = {}
        if token or self.token:
            headers["authorization"] = f"Bearer {token or self.token}"
        response = httpx.post(self.url, json={"query": query, "variables": variables or {}},
                              headers=headers, timeout=15)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def __call__(self, query: str, variables: dict[str, Any] | None = None,
                 token: str | None = None) -> dict[str, Any]:
        body = self.raw(query, variables, token)
        assert not body.get("errors"), body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    def login(self, login: str, password: str) -> str:
        data = self(LOGIN, {"login": login, "password": password})["login"]
        assert data["__typename"] == "LoginSuccess", data
        self.token = data["token"]
        return str(data["token"])


LOGIN = """mutation($login: String!, $password: String!) {
  login(login: $login, password: $password) {
    __typename
    ... on LoginSuccess { token expiresAt operator { id login role } }
    ... on LoginError { code message retryAfterSeconds }
  }
}"""


@pytest.fixture
def graphql_client(live_server: LiveServer) -> GraphQLClient:
    return GraphQLClient(live_server.url)


def simulator_post(base_url: str, payload: dict[str, Any], secret: str = "test-sim",
                   **kwargs: Any) -> httpx.Response:
    from infra.channels.simulator.client import signed_request

    body, headers = signed_request(secret, payload)
    return httpx.post(f"{base_url}/webhooks/simulator", content=body, headers=headers,
                      timeout=15, **kwargs)


def client_message(phone: str = "+79161234567", text: str = "Hello", *,
                   message_id: str | None = None, name: str = "Ivan") -> dict[str, Any]:
    return {"id": message_id or f"wamid-{uuid.uuid4().hex}", "from": phone, "name": name,
            "text": text, "timestamp": int(time.time())}


def cli_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SWITCHBOARD_")}
    env.update({
        "SWITCHBOARD_DATABASE_URL": database_url, "SWITCHBOARD_SECRET_KEY": "test-secret",
        "SWITCHBOARD_SIMULATOR_SECRET": "test-sim", "SWITCHBOARD_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "SWITCHBOARD_ENV": "test", "SWITCHBOARD_PROJECTION_POLL_SECONDS": "0.01",
        "SWITCHBOARD_LOG_JSON": "true",
    })
    env.update(extra)
    return env


def cli(*args: str, env: dict[str, str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "from api.cli.main import main; main()", *args],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=120,
                          **kwargs)


def cli_process(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", "from api.cli.main import main; main()", *args],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


async def subscribe_inbox(url: str, token: str, received: list[dict[str, Any]],
                          ready: asyncio.Event, stop: asyncio.Event) -> None:
    """A graphql-transport-ws client collecting `inboxChanged` payloads."""
    import websockets

    ws_url = url.replace("http://", "ws://") + "/graphql"
    async with websockets.connect(ws_url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init",
                                  "payload": {"authorization": f"Bearer {token}"}}))
        ack = json.loads(await ws.recv())
        assert ack["type"] == "connection_ack", ack
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {
            "query": "subscription { inboxChanged { unreadDialogs dialog { id unreadCount "
                     "client { phone name } lastMessage { text } } } }"}}))
        ready.set()
        while not stop.is_set():
            try:
                message = json.loads(await asyncio.wait_for(ws.recv(), 0.1))
            except TimeoutError:
                continue
            if message["type"] == "next":
                received.append(message["payload"]["data"]["inboxChanged"])


@pytest.fixture(scope="session")
def nats_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Debian's nats-server standing in for the NATS server of MIKO's module, one for the
    session (tests/nats_server.py; its token is the default code's password)."""
    from tests.nats_server import NATS_PASSWORD, NatsServer

    with NatsServer(tmp_path_factory.mktemp("nats"), {"token": NATS_PASSWORD}) as server:
        yield server


@pytest.fixture
def telegram() -> Iterator[Any]:
    """A Telegram Bot API on loopback (infra/channels/telegram/fake.py)."""
    from infra.channels.telegram.fake import FakeBotApi

    fake = FakeBotApi().start()
    try:
        yield fake
    finally:
        fake.stop()
