"""Several processes on one PostgreSQL: API replicas and a projection worker scale apart, and a
view change made by the worker reaches live subscribers of every replica."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import (
    ADMIN_PASSWORD,
    GraphQLClient,
    cli,
    cli_env,
    cli_process,
    client_message,
    free_port,
    simulator_post,
    subscribe_inbox,
    wait_for,
)


@contextlib.contextmanager
def processes(*commands: tuple[str, ...], env: dict[str, str]) -> Iterator[list[Any]]:
    started = [cli_process(*command, env=env) for command in commands]
    try:
        yield started
    finally:
        for process in started:
            process.terminate()
        for process in started:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.mark.postgres
async def test_a_subscriber_on_one_replica_receives_a_message_that_arrived_through_another(
    postgres_url: str,
) -> None:
    env = cli_env(postgres_url)
    assert cli("migrate", env=env).returncode == 0
    port_a, port_b = free_port(), free_port()
    url_a, url_b = f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}"
    with processes(
        ("projections", "run"),
        ("serve", "--port", str(port_a), "--no-projections"),
        ("serve", "--port", str(port_b), "--no-projections"),
        env=env,
    ):
        await asyncio.to_thread(wait_for, lambda: ready(url_a) and ready(url_b), 60)
        client = GraphQLClient(url_b)
        token = await asyncio.to_thread(
            wait_for, lambda: client.raw(
                "mutation($p: String!) { login(login: \"admin\", password: $p) "
                "{ ... on LoginSuccess { token } } }", {"p": ADMIN_PASSWORD}
            )["data"]["login"].get("token"), 30)
        received: list[dict[str, Any]] = []
        is_ready, stop = asyncio.Event(), asyncio.Event()
        task = asyncio.create_task(subscribe_inbox(url_b, token, received, is_ready, stop))
        await asyncio.wait_for(is_ready.wait(), 10)
        await asyncio.sleep(0.3)
        answer = await asyncio.to_thread(simulator_post, url_a,
                                         client_message(text="through replica A"))
        assert answer.status_code == 200
        for _ in range(200):
            if received:
                break
            await asyncio.sleep(0.05)
        stop.set()
        await task
    assert received, "the subscriber on replica B heard nothing"
    assert received[0]["dialog"]["lastMessage"]["text"] == "through replica A"
