"""Rebuild benchmark: every projection rebuilt from a generated history of 200,000+ events on
PostgreSQL, beside the raw read rate of the notification log in the same run.

The history is `tests/history.py`'s (clients, operators on shifts, routing changes, transfers,
replies through the whole delivery path with failures and retries, reports out of order and
twice), driven through the real handlers and the group-commit writer, scaled up. Prints, in
events of the log per second:
  * raw read:       `select_notifications` over the whole log in batches, rows only;
  * read + decode:  the same, each row decoded into its domain event (what the projector does);
  * together:       projections reset, then moved together (`run_together`: the log read and
                    decoded once per batch for all, in catch-up batches) until caught up — how
                    `switchboard projections run` catches up from zero: the five analytics
                    projections, then all of them;
  * rebuilt:        `switchboard projections rebuild` of all of them: built aside together,
                    shared out among `--processes` processes, then switched live;
  * aside, each:    `rebuild_aside` of each projection alone (`switchboard projections rebuild`),
                    with the time of each;
and each one's ratio to the raw read (the aim: at least 1/6). The raw read is timed in batches of
`--batch-size` and of the catch-up size, and the faster of the two is the one compared with.
Needs PostgreSQL on 127.0.0.1:5432.

    .venv/bin/python bench/rebuild.py [--events 200000] [--keep]
    .venv/bin/python bench/rebuild.py --database sb_bench_xxx   # again, on a kept history
"""

from __future__ import annotations

import argparse
import contextlib
import math
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from infra.bootstrap import bootstrap, ensure_first_admin  # noqa: E402
from infra.migrations import migrate  # noqa: E402
from infra.projection.projector import ProjectionRunner, run_together  # noqa: E402
from infra.projection.verify import rebuild_aside, rebuild_in_processes  # noqa: E402
from infra.security import Argon2PasswordHasher  # noqa: E402
from infra.settings import Settings  # noqa: E402
from tests.history import Plan, generate  # noqa: E402

PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "test"}
EVENTS_PER_DIALOG = 30  # what tests/history.py writes per dialog, give or take


@contextlib.contextmanager
def database(name: str | None, keep: bool) -> Iterator[tuple[str, bool]]:
    """(database name, whether it is new)."""
    if name:
        yield name, False
        return
    name = f"sb_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(**PG, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name, True
    finally:
        if keep:
            print(f"kept the database {name} (--database {name} to run again on it)")
        else:
            with psycopg.connect(**PG, autocommit=True) as conn:
                conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             "WHERE datname = %s", (name,))
                conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def settings_for(dbname: str, batch_size: int, catchup: int) -> Settings:
    return Settings(env="test", database_url=f"postgresql://postgres@127.0.0.1:5432/{dbname}",
                    secret_key="bench", simulator_secret="bench",
                    admin_password="bench-admin-1", run_routing_jobs=False,
                    run_sync_job=False, run_media_jobs=False, projection_batch_size=batch_size,
                    projection_catchup_batch_size=catchup, log_level="WARNING")


def rate(events: int, seconds: float) -> str:
    return f"{events / seconds:>9,.0f} events/s  ({seconds:6.1f} s)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=200_000, help="at least this many")
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--catchup-batch-size", type=int, default=5000)
    parser.add_argument("--processes", type=int, default=2,
                        help="processes of the rebuild of all projections")
    parser.add_argument("--database", help="reuse a kept history instead of generating one")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--skip-aside", action="store_true",
                        help="only the raw read and the rebuilds together")
    parser.add_argument("--no-all", action="store_true",
                        help="skip moving all projections together (the slowest part)")
    parser.add_argument("--aside", nargs="*", metavar="NAME",
                        help="rebuild aside only these projections (default: all)")
    args = parser.parse_args()

    with database(args.database, args.keep) as (dbname, new):
        settings = settings_for(dbname, args.batch_size, args.catchup_batch_size)
        migrate(settings)
        container = bootstrap(settings, hasher=Argon2PasswordHasher(fast=True))
        container.start(projections=False)
        try:
            ensure_first_admin(container)
            if new:
                days = 10
                per_day = math.ceil(args.events * 1.1 / EVENTS_PER_DIALOG / days)
                started = time.perf_counter()
                ledger = generate(container, Plan(days=days, dialogs_per_day=per_day,
                                                  start=date(2026, 3, 2), seed=20))
                print(f"generated {len(ledger.messages):,} messages in {len(ledger.dialogs):,} "
                      f"dialogs in {time.perf_counter() - started:.0f} s")
            store = container.store
            store.analyse()  # as autovacuum would have by now (it may be off on a test server)
            head = store.recorder.max_notification_id() or 0
            print(f"history: {head:,} events in the log; batches of {args.batch_size}, "
                  f"catching up in batches of {args.catchup_batch_size}\n")
            if head < args.events:
                print(f"warning: fewer than {args.events:,} events")

            def read(decode: bool, batch: int) -> float:
                started = time.perf_counter()
                position = 0
                while position < head:
                    rows = store.recorder.select_notifications(
                        start=position, limit=batch, stop=head, inclusive_of_start=False)
                    if decode:
                        for row in rows:
                            store.mapper.to_domain_event(row)
                    position = rows[-1].id
                return time.perf_counter() - started

            raws = {batch: min(read(False, batch) for _ in range(3))
                    for batch in (args.batch_size, args.catchup_batch_size)}
            for batch, spent in raws.items():
                print(f"raw read ({batch:>5}) {rate(head, spent)}")
            raw = min(raws.values())
            decoded = read(True, args.catchup_batch_size)
            print(f"read + decode    {rate(head, decoded)}")

            runners = container.projector.runners

            def together(group: list[ProjectionRunner], label: str) -> None:
                for runner in group:
                    runner.reset()
                started = time.perf_counter()
                while run_together(group):
                    pass
                spent = time.perf_counter() - started
                print(f"{label:<17}{rate(head, spent)}   = 1/{spent / raw:.1f} of the raw read")

            analytics = [r for r in runners if r.name.startswith("analytics_")]
            together(analytics, f"analytics ({len(analytics)})")
            if not args.no_all:
                together(runners, f"all ({len(runners)})")
                started = time.perf_counter()
                rebuild_in_processes(settings, runners, args.processes)
                spent = time.perf_counter() - started
                print(f"rebuilt, {args.processes} proc. {rate(head, spent)}   "
                      f"= 1/{spent / raw:.1f} of the raw read")

            if not args.skip_aside:
                print("\naside, each projection alone:")
                total = 0.0
                for runner in runners:
                    if args.aside is not None and runner.name not in args.aside:
                        continue
                    started = time.perf_counter()
                    rebuild_aside(store, container.views, runner)
                    spent = time.perf_counter() - started
                    total += spent
                    print(f"  {runner.name:<26}{rate(head, spent)}")
                print(f"aside, these      {rate(head, total)}   "
                      f"= 1/{total / raw:.1f} of the raw read")
        finally:
            container.stop()


if __name__ == "__main__":
    main()
