"""Time travel benchmark: `configurationAt` over a history of 10,000 settings events.

Builds a fresh installation, records N settings events through the real writer (publication
changes, employees' numbers, queue membership), lets the audit projection catch up, then asks
for the configuration at random instants of the history:

  * snapshots: `projections.audit.trail.configuration_at` — the last snapshot at or before the
               instant plus at most 63 recorded changes (what the GraphQL field runs);
  * replay:    the naive way, folding every configuration event from the first
               (`projections.audit.trail.replay_configuration`) — the baseline;
  * aggregate: the event store's own way, `repository.get(installation, version=N)`, which
               replays the Installation aggregate's events (only the setup part of the
               configuration).

Prints p50/p95/max in milliseconds for each, and the ratio replay/snapshots.

    .venv/bin/python bench/config_at.py [--events 10000] [--queries 200] [--database-url URL]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from application import commands as c  # noqa: E402
from application import setup as s  # noqa: E402
from domain.ids import operator_id  # noqa: E402
from domain.operators import Role  # noqa: E402
from domain.setup import INSTALLATION_ID  # noqa: E402
from infra.bootstrap import bootstrap, ensure_first_admin  # noqa: E402
from infra.migrations import migrate  # noqa: E402
from infra.security import Argon2PasswordHasher  # noqa: E402
from infra.settings import Settings  # noqa: E402
from projections.audit import trail as audit  # noqa: E402


def timings(function: Callable[[], object], runs: int) -> list[float]:
    spent = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        spent.append((time.perf_counter() - started) * 1000)
    return spent


def describe(name: str, values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return (f"{name:<10} p50 {statistics.median(ordered):8.2f} ms   p95 {p95:8.2f} ms   "
            f"max {ordered[-1]:8.2f} ms   ({len(values)} queries)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--baseline-queries", type=int, default=20)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    random.seed(7)
    folder = Path(tempfile.mkdtemp(prefix="sb-bench-config-"))
    settings = Settings(env="test", database_url=args.database_url or
                        f"sqlite:///{folder}/switchboard.db", secret_key="bench-secret",
                        simulator_secret="bench-sim", admin_password="bench-admin-1")
    migrate(settings)
    container = bootstrap(settings, hasher=Argon2PasswordHasher(fast=True))
    container.start(projections=False)
    ensure_first_admin(container)
    logins = [f"op{i}" for i in range(20)]
    for login in logins:
        container.writer.execute_sync(c.RegisterOperator(
            login=login, display_name=login, role=Role.OPERATOR, password_hash="x",
            actor="bench"))

    started = time.perf_counter()
    futures = []
    in_queue: set[str] = set()
    for i in range(args.events):
        kind = i % 3
        if kind == 0:
            command: object = s.SetPublication(server_url=f"https://h{i}.example.com",
                                               publication_name=f"p{i}", actor="operator:admin")
        elif kind == 1:
            login = logins[i % len(logins)]
            command = s.SetEmployeePhones(operator_id=operator_id(login), extension=f"{100 + i}",
                                          mobile="", actor="operator:admin")
        else:
            login = logins[(i // 3) % len(logins)]
            oid = operator_id(login)
            command = (c.RemoveQueueMember(operator_id=oid, actor="operator:admin")
                       if login in in_queue else
                       c.AddQueueMember(operator_id=oid, actor="operator:admin"))
            in_queue ^= {login}
        futures.append(container.writer.submit(command))
        if len(futures) >= 500:
            for future in futures:
                future.result()
            futures.clear()
    for future in futures:
        future.result()
    written = time.perf_counter() - started
    runner = next(r for r in container.projector.runners if r.name == "audit")
    started = time.perf_counter()
    runner.run_until_caught_up()
    projected = time.perf_counter() - started

    with container.views.reader.connect() as conn:
        rows = conn.execute(sa.select(audit.config_events.c.position,
                                      audit.config_events.c.recorded_at)
                            .order_by(audit.config_events.c.position)).all()
        snapshots = conn.execute(sa.select(sa.func.count())
                                 .select_from(audit.config_snapshots)).scalar_one()
    print(f"history: {len(rows)} configuration events ({args.events} commands) in "
          f"{written:.1f} s; audit projection {projected:.1f} s; {snapshots} snapshots; "
          f"database: {'PostgreSQL' if settings.is_postgres else 'SQLite'}")
    instants = [row.recorded_at + timedelta(microseconds=1)
                for row in random.sample(rows, min(args.queries, len(rows)))]
    positions = [row.position for row in random.sample(rows, min(args.baseline_queries,
                                                                 len(rows)))]

    with container.views.reader.connect() as conn:
        iterator = iter(instants)
        fast = timings(lambda: audit.configuration_at(conn, next(iterator)), len(instants))
        iterator_p = iter(positions)
        slow = timings(lambda: audit.replay_configuration(conn, next(iterator_p)),
                       len(positions))
        # the two agree
        for position in positions[:5]:
            assert audit.configuration_at_position(conn, position) == \
                audit.replay_configuration(conn, position)
    versions = [random.randint(1, container.store.repository.get(INSTALLATION_ID).version)
                for _ in range(args.baseline_queries)]
    iterator_v = iter(versions)
    aggregate = timings(lambda: container.store.repository.get(
        INSTALLATION_ID, version=next(iterator_v)), len(versions))
    container.stop()

    print(describe("snapshots", fast))
    print(describe("replay", slow))
    print(describe("aggregate", aggregate))
    ratio = statistics.median(slow) / statistics.median(fast)
    print(f"replay / snapshots (p50): {ratio:.0f}x; under 100 ms: "
          f"{'yes' if max(fast) < 100 else 'NO'}")


if __name__ == "__main__":
    main()
