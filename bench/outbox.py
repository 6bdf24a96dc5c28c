"""Outbox benchmark: queued-to-sent throughput of the sync job against a local fake gateway.

The gateway is the real WAHA adapter talking HTTP to a fake WAHA on loopback (a threaded Python
server in a process of its own; `--gateway-ms` adds that much latency to each send, as a real
gateway has). Operators'
replies are queued first (through the real writer, in dialogs of `--clients` clients); then the job
runs — under its lock, as the scheduler runs it — until every message is recorded as sent. The
figure is messages per second from the first run to the last recorded send, the read model
included (the job finds its work there).

Each variant runs in a database of its own, in the same run:
  * batched:   the default policy — claims of 50 messages in one transaction, 4 clients served
               side by side, results recorded as they come (the writer groups them);
  * baseline:  one message per transaction — a claim of one message, its send, its record, then
               the next (no batching of claims, one send at a time);
and prints both and their ratio. PostgreSQL on 127.0.0.1:5432 by default (trust auth):

    .venv/bin/python bench/outbox.py [--messages 3000] [--clients 300] [--gateway-ms 0]
    .venv/bin/python bench/outbox.py --sqlite
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from application import commands as c  # noqa: E402
from application import outbox as ob  # noqa: E402
from application.channel import LinkAtFirstStart  # noqa: E402
from domain.ids import operator_id  # noqa: E402
from infra.bootstrap import Container, bootstrap, ensure_first_admin  # noqa: E402
from infra.channels.fakeserver import Request  # noqa: E402
from infra.channels.waha.fake import API_KEY, FakeWaha  # noqa: E402
from infra.channels.waha.gateway import WahaWhatsAppGateway  # noqa: E402
from infra.migrations import migrate  # noqa: E402
from infra.security import Argon2PasswordHasher  # noqa: E402
from infra.settings import Settings  # noqa: E402

PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "test"}
ADMIN = operator_id("admin")


@contextlib.contextmanager
def database(sqlite: bool) -> Iterator[str]:
    if sqlite:
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/bench.db"
        return
    name = f"bench_outbox_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(**PG, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(**PG, autocommit=True) as conn:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         "WHERE datname = %s", (name,))
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def slow(fake: FakeWaha, milliseconds: float) -> None:
    """Every sendText answers `milliseconds` later, as a real gateway would."""
    if milliseconds <= 0:
        return
    routes = fake.server.routes
    for i, (method, pattern, handler) in enumerate(routes):
        if pattern.pattern.endswith("/api/sendText$"):
            def delayed(request: Request, inner: Any = handler) -> tuple[int, Any]:
                time.sleep(milliseconds / 1000)
                result: tuple[int, Any] = inner(request)
                return result

            routes[i] = (method, pattern, delayed)


def serve_fake_waha(milliseconds: float) -> None:
    """In a process of its own (the gateway is not this process's GIL's business): a working
    session named "default"; `GET /bench/sent` answers how many texts were sent."""
    fake = FakeWaha().start()
    slow(fake, milliseconds)
    fake.server.route("GET", r"/bench/sent", lambda request: (200, {"sent": len(fake.sent)}))
    gateway = WahaWhatsAppGateway(url=fake.url, api_key=API_KEY, session="default")
    gateway.start()
    fake.scan()
    gateway.close()
    print(fake.url, flush=True)
    sys.stdin.read()  # until the parent goes


@contextlib.contextmanager
def fake_waha(milliseconds: float) -> Iterator[str]:
    process = subprocess.Popen(
        [sys.executable, __file__, "--serve-fake-waha", "--gateway-ms", str(milliseconds)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert process.stdout is not None
        yield process.stdout.readline().strip()
    finally:
        process.kill()
        process.wait(timeout=10)


def queue_replies(container: Container, messages: int, clients: int) -> None:
    now = datetime.now(UTC)
    dialogs = []
    pending: list[Future[Any]] = [container.writer.submit(c.ReceiveClientMessage(
        channel="waha", external_id=f"in-{i}", phone=f"+7916{i:07d}", name=f"Client {i}",
        text="Hello", sent_at=now)) for i in range(clients)]
    for future in pending:
        dialogs.append(future.result(timeout=120).dialog_id)
    replies = [container.writer.submit(ob.SendMessage(
        dialog_id=dialogs[i % clients], operator_id=ADMIN, text=f"Reply {i}",
        key=f"bench-{i}", at=now, actor="operator:admin")) for i in range(messages)]
    for future in replies:
        future.result(timeout=120)


def caught_up(container: Container) -> None:
    while any(r.status().lag for r in container.projector.runners):
        time.sleep(0.005)


def run(label: str, *, sqlite: bool, messages: int, clients: int, gateway_ms: float,
        claim_batch: int, concurrency: int) -> float:
    with fake_waha(gateway_ms) as fake_url, database(sqlite) as url:
        gateway = WahaWhatsAppGateway(url=fake_url, api_key=API_KEY, session="default")
        try:
            settings = Settings(env="test", database_url=url, secret_key="bench",
                                simulator_secret="bench", admin_password="bench-admin-1",
                                run_sync_job=False, run_routing_jobs=False,
                                projection_poll_seconds=0.005, outbox_claim_batch=claim_batch,
                                outbox_send_concurrency=concurrency)
            migrate(settings)
            container = bootstrap(settings, hasher=Argon2PasswordHasher(fast=True),
                                  gateway=gateway)
            container.start()
            try:
                ensure_first_admin(container)
                container.writer.execute_sync(LinkAtFirstStart(
                    phone="+79990001122", device="bench", now=datetime.now(UTC)))
                queue_replies(container, messages, clients)
                caught_up(container)
                job = container.sync
                job.sender.policy = replace(job.sender.policy, lease_seconds=600)
                sent = runs = 0
                started = time.perf_counter()
                while sent < messages:
                    report = job.run("bench")
                    runs += 1
                    sent += report.sent if report else 0
                    if report is None or report.claimed == 0:
                        caught_up(container)
                elapsed = time.perf_counter() - started
                went_out = httpx.get(f"{fake_url}/bench/sent", timeout=10).json()["sent"]
                assert went_out == messages, (went_out, messages)  # none lost, none twice
            finally:
                container.stop()
        finally:
            gateway.close()
    rate = messages / elapsed
    print(f"  {label:<9} {messages} messages in {elapsed:6.2f} s = {rate:7.0f} msg/s "
          f"({runs} runs; claim batch {claim_batch}, {concurrency} side by side)", flush=True)
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=300)
    parser.add_argument("--gateway-ms", type=float, default=0.0,
                        help="latency the fake gateway adds to each send")
    parser.add_argument("--sqlite", action="store_true", help="SQLite instead of PostgreSQL")
    parser.add_argument("--serve-fake-waha", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_fake_waha:
        serve_fake_waha(args.gateway_ms)
        return
    logging.basicConfig(level=logging.WARNING)
    where = "SQLite" if args.sqlite else "PostgreSQL"
    print(f"outbox: {args.messages} replies to {args.clients} clients, {where}, fake WAHA on "
          f"loopback (+{args.gateway_ms:g} ms per send)", flush=True)
    common = {"sqlite": args.sqlite, "messages": args.messages, "clients": args.clients,
              "gateway_ms": args.gateway_ms}
    batched = run("batched", claim_batch=50, concurrency=4, **common)
    baseline = run("baseline", claim_batch=1, concurrency=1, **common)
    print(f"  batched / baseline = {batched / baseline:.1f}x", flush=True)


if __name__ == "__main__":
    main()
