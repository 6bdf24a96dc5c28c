"""Ingestion benchmark: client messages through the HTTP webhook into PostgreSQL and the inbox.

Prints, for one run on this machine:
  * grouped:  messages/s through `POST /webhooks/simulator` with concurrency C, webhook latency
              p50/p99, and webhook-to-inbox (visible in `read.messages`) p50/p99;
  * naive:    the same server with the group-commit writer limited to one command per transaction
              (one save per message, no batching) — the baseline;
  * raw:      plain batched INSERTs of as many stored-event rows with psycopg — the ceiling;
  * paced:    the grouped server at a steady 1,000 messages/s: webhook p99, webhook-to-inbox p99;
and the ratios grouped/naive and grouped/raw. Needs PostgreSQL on 127.0.0.1:5432 (trust auth).

    .venv/bin/python bench/ingest.py [--messages 20000] [--concurrency 64] [--clients 1000]
                                     [--paced-seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from domain.ids import message_id  # noqa: E402
from infra.projection.projector import VIEWS_CHANNEL  # noqa: E402
from infra.security import sign_body  # noqa: E402

PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "test"}
SECRET = "bench-sim"


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


@contextlib.contextmanager
def database() -> Iterator[str]:
    name = f"sb_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(**PG, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with psycopg.connect(**PG, autocommit=True) as conn:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         "WHERE datname = %s", (name,))
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


@contextlib.contextmanager
def server(dbname: str, port: int, max_batch: int, split: bool) -> Iterator[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SWITCHBOARD_")}
    env.update({
        "SWITCHBOARD_DATABASE_URL": f"postgresql://postgres@127.0.0.1:5432/{dbname}",
        "SWITCHBOARD_SIMULATOR_SECRET": SECRET, "SWITCHBOARD_SECRET_KEY": "bench",
        "SWITCHBOARD_ADMIN_PASSWORD": "bench-admin-1", "SWITCHBOARD_LOG_LEVEL": "WARNING",
        "SWITCHBOARD_WRITER_MAX_BATCH": str(max_batch), "SWITCHBOARD_ENV": "test",
        "SWITCHBOARD_READINESS_MAX_LAG": "100000000",
    })
    cli = [sys.executable, "-c", "from api.cli.main import main; main()"]
    serve = [*cli, "serve", "--port", str(port)]
    commands = [[*serve, "--no-projections"], [*cli, "projections", "run"]] if split else [serve]
    processes = [subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL) for cmd in commands]
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            time.sleep(0.2)
        else:
            raise RuntimeError("server did not start")
        yield url
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=20)


def requests(n: int, clients: int, run: str) -> list[tuple[bytes, uuid.UUID]]:
    """Pre-built, signed HTTP/1.1 requests and the message ids they will create."""
    built = []
    stamp = str(int(time.time()))
    for i in range(n):
        external = f"bench-{run}-{i}"
        body = json.dumps({"id": external, "from": f"+7916{i % clients:07d}", "name": "",
                           "text": f"bench message {i}", "timestamp": int(time.time())}).encode()
        head = (
            "POST /webhooks/simulator HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Content-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nX-Switchboard-Timestamp: {stamp}\r\n"
            f"X-Switchboard-Signature: {sign_body(SECRET, stamp, body)}\r\n\r\n"
        ).encode()
        built.append((head + body, message_id("simulator", external)))
    return built


class Watcher:
    """Looks in the inbox read model for the ids sent and not yet visible each time the
    projector says it committed a batch (LISTEN on its views channel, as the API replicas do),
    and every 50 ms besides — not by polling in a tight loop, which would take the CPU and the
    database from the server it measures."""

    def __init__(self, dbname: str) -> None:
        self.conn = psycopg.connect(**{**PG, "dbname": dbname}, autocommit=True)
        self.conn.execute(f"LISTEN {VIEWS_CHANNEL}")
        self.pending: dict[uuid.UUID, float] = {}
        self.visible: list[float] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def sent(self, mid: uuid.UUID, at: float) -> None:
        with self.lock:
            self.pending[mid] = at

    def run(self) -> None:
        while not self.stop.is_set() or self.pending:
            with self.lock:
                ids = list(self.pending)
            if ids:
                rows = self.conn.execute("SELECT id FROM read.messages WHERE id = ANY(%s)",
                                         (ids,)).fetchall()
                now = time.perf_counter()
                with self.lock:
                    for (mid,) in rows:
                        self.visible.append(now - self.pending.pop(mid))
            for _ in self.conn.notifies(timeout=0.05, stop_after=1):
                pass
            if self.stop.is_set() and time.perf_counter() > self.deadline:
                break

    def __enter__(self) -> Watcher:
        self.deadline = float("inf")
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.deadline = time.perf_counter() + 30
        self.stop.set()
        self.thread.join()
        self.conn.close()


async def drive(url: str, built: list[tuple[bytes, uuid.UUID]], concurrency: int,
                rate: float | None, watcher: Watcher | None) -> tuple[float, list[float]]:
    host, port = url.removeprefix("http://").split(":")
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(len(built)):
        queue.put_nowait(i)
    latencies: list[float] = []
    started = time.perf_counter()

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            while not queue.empty():
                i = queue.get_nowait()
                if rate:
                    wait = started + i / rate - time.perf_counter()
                    if wait > 0:
                        await asyncio.sleep(wait)
                request, mid = built[i]
                t0 = time.perf_counter()
                if watcher:
                    watcher.sent(mid, t0)
                writer.write(request)
                status = await reader.readline()
                length = 0
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                await reader.readexactly(length)
                latencies.append(time.perf_counter() - t0)
                if not status.startswith(b"HTTP/1.1 200"):
                    raise RuntimeError(f"webhook answered {status!r}")
        finally:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started, latencies


def run_server_phase(label: str, n: int, concurrency: int, clients: int, max_batch: int,
                     split: bool, rate: float | None = None) -> dict[str, float]:
    with database() as dbname, server(dbname, 18700 + max_batch % 100, max_batch, split) as url:
        warm = requests(min(clients, 2000), clients, f"{label}-warm")
        asyncio.run(drive(url, warm, concurrency, None, None))  # clients known, caches warm
        built = requests(n, clients, label)
        with Watcher(dbname) as watcher:
            elapsed, latencies = asyncio.run(drive(url, built, concurrency, rate, watcher))
        visible = watcher.visible
    result = {"messages/s": n / elapsed, "webhook p50 ms": pct(latencies, 0.5),
              "webhook p99 ms": pct(latencies, 0.99), "to inbox p50 ms": pct(visible, 0.5),
              "to inbox p99 ms": pct(visible, 0.99), "visible": len(visible)}
    print(f"{label:8} " + "  ".join(f"{k} {v:,.1f}" for k, v in result.items()), flush=True)
    return result


def raw_phase(n_events: int) -> float:
    with database() as dbname, psycopg.connect(**{**PG, "dbname": dbname}) as conn:
        conn.execute("CREATE TABLE raw_events (originator_id uuid, originator_version bigint, "
                     "topic text, state bytea, notification_id bigserial, "
                     "PRIMARY KEY (originator_id, originator_version))")
        conn.commit()
        state = b'{"text":"bench message 123456","actor":"client:+79160000001","x":1}' * 3
        rows = [(uuid.uuid4(), 1, "domain.dialogs:Dialog.MessageReceived", state)
                for _ in range(n_events)]
        started = time.perf_counter()
        with conn.cursor() as cur:
            for i in range(0, n_events, 500):
                cur.executemany("INSERT INTO raw_events (originator_id, originator_version, "
                                "topic, state) VALUES (%s, %s, %s, %s)", rows[i:i + 500])
                conn.commit()
        return n_events / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--paced-seconds", type=float, default=10.0,
                        help="how long the steady 1,000 msg/s phase lasts (10,000 messages)")
    parser.add_argument("--single", action="store_true",
                        help="projections inside the API process (default: a worker process)")
    args = parser.parse_args()
    split = not args.single
    print(f"ingest: {args.messages} messages, concurrency {args.concurrency}, "
          f"{args.clients} clients, PostgreSQL, projections in "
          f"{'a worker process' if split else 'the API process'}", flush=True)
    grouped = run_server_phase("grouped", args.messages, args.concurrency, args.clients, 500,
                               split)
    naive = run_server_phase("naive", max(args.messages // 4, 1000), args.concurrency,
                             args.clients, 1, split)
    events_per_message = 2  # MessageReceived + ExternalMessage.Recorded for a known client
    raw = raw_phase(args.messages * events_per_message) / events_per_message
    print(f"raw      messages/s {raw:,.1f} (batched INSERTs, {events_per_message} rows each)")
    paced = run_server_phase("paced", int(1000 * args.paced_seconds), args.concurrency,
                             args.clients, 500, split, rate=1000.0)
    print(f"ratios   grouped/naive {grouped['messages/s'] / naive['messages/s']:.2f}  "
          f"grouped/raw {grouped['messages/s'] / raw:.3f}  "
          f"paced webhook p99 {paced['webhook p99 ms']:.1f} ms  "
          f"paced to-inbox p99 {paced['to inbox p99 ms']:.1f} ms")


if __name__ == "__main__":
    main()
