"""The analysts' read models after a realistic generated history, on SQLite and PostgreSQL: every
projection of the product verifies against a rebuild from the log (also in other batch sizes);
each analytics table's figures agree with what the generator did; the summary answers for a
period, an empty one, and refuses a reversed one."""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
import sqlalchemy as sa
from eventsourcing.persistence import JSONTranscoder, Mapper

from domain.dialogs import Dialog
from infra.bootstrap import Container
from infra.projection.projector import ProjectionRunner
from infra.projection.verify import rebuild_aside, verify
from projections.analytics.delivery import delivery, delivery_failures
from projections.analytics.dialogs import dialog_facts
from projections.analytics.messages import message_facts
from projections.analytics.operator_load import operator_load
from projections.analytics.queries import summary
from projections.analytics.routing_hits import routing_hits
from tests.conftest import (
    ADMIN_PASSWORD,
    GraphQLClient,
    LiveServer,
    cli,
    cli_env,
    generated_history,
)
from tests.history import OPERATOR_PASSWORD, Ledger, Plan, quantile

PLAN = Plan(days=5, dialogs_per_day=80)


@dataclass
class History:
    container: Container
    ledger: Ledger
    url: str


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def history(request: pytest.FixtureRequest,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[History]:
    with generated_history(request.param, tmp_path_factory.mktemp("analytics"), PLAN) as made:
        yield History(*made)


def rows(container: Container, table: sa.Table) -> list[dict[str, Any]]:
    with container.views.reader.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(sa.select(table))]


def aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def close(a: float | None, b: float | None, tolerance: float = 1e-3) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) <= tolerance


# -- the history itself --------------------------------------------------------------------------
def test_the_history_is_realistic(history: History) -> None:
    ledger = history.ledger
    assert len(ledger.messages) > 2000
    assert len(ledger.dialogs) > 300
    assert ledger.duplicates > 20  # the gateway delivered some messages twice
    facts = ledger.dialogs.values()
    assert sum(d.transfers for d in facts) > 10
    assert sum(d.reopened for d in facts) > 5
    assert sum(d.fallback for d in facts) > 3  # the refunds target left the access group
    assert any(d.opened_by == "operator" for d in facts)
    statuses = Counter(m.status for m in ledger.messages.values())
    assert statuses["failed"] > 3 and statuses["read"] > 100
    assert sum(m.retries for m in ledger.messages.values()) > 3


def test_every_stored_event_reads_back_as_the_librarys_own_mapper_reads_it(
        history: History) -> None:
    store = history.container.store
    library: Mapper[UUID] = Mapper(transcoder=JSONTranscoder())
    store.register_transcodings(library.transcoder)  # type: ignore[arg-type]
    stored = store.recorder.select_notifications(start=0, limit=10**7, inclusive_of_start=False)
    assert len(stored) > 10_000
    for row in stored:
        ours, theirs = store.mapper.to_domain_event(row), library.to_domain_event(row)
        assert type(ours) is type(theirs)
        assert vars(ours) == vars(theirs), row.topic


# -- verify: every read model of the product -----------------------------------------------------
def test_every_projection_verifies_against_a_rebuild_after_the_history(
        history: History) -> None:
    container = history.container
    names = []
    for runner in container.projector.runners:
        result = verify(container.store, container.views, runner)
        assert result.ok, (runner.name, result.differences)
        assert result.position == runner.status().position
        names.append(runner.name)
    assert {"inbox", "analytics_messages", "analytics_dialogs", "analytics_operator_load",
            "analytics_routing_hits", "analytics_delivery"} <= set(names)


@pytest.mark.parametrize("batch_size", [41])
def test_no_projection_depends_on_batch_boundaries(history: History, batch_size: int) -> None:
    """The live tables were built in batches as the history came, with every projection
    together; a rebuild of each alone, in batches of another size, must give the same rows
    (every projection folds a batch in bulk)."""
    container = history.container
    for runner in container.projector.runners:
        other = ProjectionRunner(container.store, container.views, runner.projection,
                                 batch_size=batch_size, postgres=runner.postgres)
        result = verify(container.store, container.views, other)
        assert result.ok, (runner.name, batch_size, result.differences)


def test_rebuilding_an_analytics_projection_aside_gives_the_same_rows(history: History) -> None:
    container = history.container
    runner = next(r for r in container.projector.runners if r.name == "analytics_delivery")
    before = sorted(map(repr, rows(container, delivery)))
    with container.views.writer.begin() as conn:
        conn.execute(delivery.update().values(sent=0))
    rebuild_aside(container.store, container.views, runner)
    assert sorted(map(repr, rows(container, delivery))) == before


# -- each table against the history --------------------------------------------------------------
def test_message_facts_are_every_message_with_its_delivery(history: History) -> None:
    ledger = history.ledger
    found = {row["id"]: row for row in rows(history.container, message_facts)}
    assert len(found) == len(ledger.messages)
    for mid, expected in ledger.messages.items():
        row = found[mid]
        assert row["dialog_id"] == expected.dialog_id
        assert row["direction"] == expected.direction
        assert row["day"] == expected.day
        assert row["channel"] == "simulator"
        assert row["client_id"] == expected.client_id, mid
        assert row["operator_id"] == expected.operator_id
        assert row["length"] == expected.length
        assert row["media_kind"] == "text"
        for column in ("received_at", "queued_at", "sent_at", "delivered_at", "read_at",
                       "failed_at"):
            assert aware(row[column]) == getattr(expected, column), (column, row, expected)
        assert row["status"] == expected.status, (row, expected)
        assert row["attempts"] == expected.attempts, (row, expected)
        assert row["retries"] == expected.retries
        assert row["failure_code"] == expected.failure_code


def test_dialog_facts_are_every_episode_with_its_times(history: History) -> None:
    ledger = history.ledger
    found = {row["id"]: row for row in rows(history.container, dialog_facts)}
    assert len(found) == len(ledger.dialogs)
    waited = 0
    for did, expected in ledger.dialogs.items():
        row = found[did]
        assert row["opened_by"] == expected.opened_by
        assert row["client_id"] == expected.client_id
        assert aware(row["opened_at"]) == expected.opened_at
        assert row["day"] == expected.day
        assert row["routed_to"] == expected.routed_to
        assert row["rule_id"] == expected.rule_id
        assert row["fallback"] == expected.fallback
        assert row["messages_in"] == expected.messages_in, (row, expected)
        assert row["messages_out"] == expected.messages_out, (row, expected)
        assert row["transfers"] == expected.transfers
        assert row["reopened"] == expected.reopened
        assert aware(row["first_response_at"]) == expected.first_response_at
        assert row["first_responder_id"] == expected.first_responder
        if expected.first_response_at is not None:
            assert expected.first_message_at is not None
            assert close(row["first_response_seconds"], (
                expected.first_response_at - expected.first_message_at).total_seconds())
        assert aware(row["resolved_at"]) == expected.resolved_at
        assert row["resolved_by"] == expected.resolved_by
        assert (row["status"] == "resolved") == (expected.resolved_at is not None)
        if expected.resolved_at is not None:
            assert row["resolved_day"] == ledger.day(expected.resolved_at)
            assert close(row["resolution_seconds"],
                         (expected.resolved_at - expected.opened_at).total_seconds())
        if expected.waiting_seconds is not None:
            waited += 1
            assert close(row["waiting_seconds"], expected.waiting_seconds), (row, expected)
    assert waited > 50


def test_operator_load_counts_each_operators_hours(history: History) -> None:
    ledger = history.ledger
    cells = {(row["operator_id"], aware(row["hour_start"])): row
             for row in rows(history.container, operator_load)}
    sent: Counter[tuple[UUID, datetime]] = Counter()
    for m in ledger.messages.values():
        if m.direction == "out":
            assert m.operator_id is not None and m.queued_at is not None
            sent[(m.operator_id, ledger.hour(m.queued_at))] += 1
    responses: defaultdict[tuple[UUID, datetime], list[float]] = defaultdict(list)
    for d in ledger.dialogs.values():
        if d.first_response_at is not None:
            assert d.first_responder is not None and d.first_message_at is not None
            responses[(d.first_responder, ledger.hour(d.first_response_at))].append(
                (d.first_response_at - d.first_message_at).total_seconds())
    ours = set(ledger.operators.values())
    for key, row in cells.items():
        local = key[1].astimezone(ledger.zone)
        assert (row["day"], row["hour"]) == (local.date(), local.hour)
        if key[0] not in ours:
            continue
        assert row["messages_sent"] == sent[key], key
        assert row["first_responses"] == len(responses[key])
        assert close(row["first_response_median_seconds"], quantile(responses[key], 0.5))
        assert close(row["first_response_p90_seconds"], quantile(responses[key], 0.9))
        assert close(row["online_seconds"], ledger.online.get(key, 0.0)), key
    for key, count in sent.items():
        assert cells[key]["messages_sent"] == count
    for key, seconds in ledger.online.items():
        assert close(cells[key]["online_seconds"], seconds)
    assert sum(ledger.online.values()) > 5 * 3600 * 4


def test_operator_load_counts_each_dialog_that_came_to_an_operator(history: History) -> None:
    """Against the log itself: assigned, claimed (not one's own offer), transferred to."""
    container, ledger = history.container, history.ledger
    expected: Counter[tuple[UUID, datetime]] = Counter()
    holders: dict[UUID, UUID | None] = {}
    for notification in container.store.recorder.select_notifications(start=0, limit=10**7):
        event = container.store.mapper.to_domain_event(notification)
        if isinstance(event, Dialog.Assigned | Dialog.Claimed | Dialog.Transferred):
            holder = (event.to_operator if isinstance(event, Dialog.Transferred)
                      else event.operator_id)
            if holders.get(event.originator_id) != holder:
                expected[(holder, ledger.hour(event.at))] += 1
            holders[event.originator_id] = holder
        elif isinstance(event, Dialog.Unassigned | Dialog.Resolved):
            holders[event.originator_id] = None
    found = {(row["operator_id"], aware(row["hour_start"])): row["dialogs_assigned"]
             for row in rows(container, operator_load) if row["dialogs_assigned"]}
    assert found == dict(expected)
    assert sum(found.values()) >= len(ledger.dialogs) * 0.8


def test_routing_hits_count_rules_fallbacks_and_resolutions_per_day(history: History) -> None:
    ledger = history.ledger
    expected: defaultdict[tuple[date, str], Counter[str]] = defaultdict(Counter)
    for d in ledger.dialogs.values():
        if d.opened_by != "client":
            continue
        key = (d.day, str(d.rule_id) if d.rule_id else "queue")
        expected[key]["matches"] += 1
        expected[key]["fallbacks"] += int(d.fallback)
        if d.resolved_at is not None:
            expected[key]["resolved"] += 1
            expected[key]["resolved_by_target"] += int(d.resolved_by in d.targets)
    found = {(row["day"], row["rule_key"]): row for row in rows(history.container, routing_hits)}
    assert set(found) == set(expected)
    for key, counts in expected.items():
        row = found[key]
        for column in ("matches", "fallbacks", "resolved", "resolved_by_target"):
            assert row[column] == counts[column], (key, column, row, counts)
    names = {row["rule_name"] for row in found.values()}
    assert {"Billing", "Delivery", "Refunds", "queue"} <= names
    assert sum(row["fallbacks"] for row in found.values()) > 0


def test_delivery_counts_and_delays_per_day(history: History) -> None:
    ledger = history.ledger
    found = {row["day"]: row for row in rows(history.container, delivery)}
    assert set(found) == set(ledger.delivery)
    delays: defaultdict[date, list[float]] = defaultdict(list)
    for day, seconds in ledger.sends:
        delays[day].append(seconds)
    for day, counts in ledger.delivery.items():
        row = found[day]
        for column in ("queued", "sent", "delivered", "read", "attempt_failures", "failed",
                       "retried"):
            assert row[column] == counts[column], (day, column, row, counts)
        assert close(row["delay_p50_seconds"], quantile(delays[day], 0.5))
        assert close(row["delay_p90_seconds"], quantile(delays[day], 0.9))
        assert close(row["delay_p99_seconds"], quantile(delays[day], 0.99))
        assert close(row["delay_max_seconds"], max(delays[day]) if delays[day] else None)
    failures = {(row["day"], row["code"]): row
                for row in rows(history.container, delivery_failures)}
    expected: defaultdict[tuple[date, str], Counter[str]] = defaultdict(Counter)
    for (day, code, kind), n in ledger.failures.items():
        expected[(day, code)][kind] += n
    assert set(failures) == set(expected)
    for key, counts in expected.items():
        assert failures[key]["failed"] == counts["failed"]
        assert failures[key]["attempt_failures"] == counts["attempt_failures"]
    codes = {code for _, code in failures}
    assert {"GATEWAY_UNAVAILABLE", "OUTSIDE_REPLY_WINDOW", "GATEWAY_131026"} <= codes


# -- the summary the panel and GraphQL read ------------------------------------------------------
def test_the_summary_of_the_whole_history_matches_it(history: History) -> None:
    ledger, container = history.ledger, history.container
    first, last = PLAN.start, PLAN.start + timedelta(days=PLAN.days - 1)
    with container.views.reader.connect() as conn:
        result = summary(conn, first, last)
    assert result.totals.messages_in == ledger.messages_in
    assert result.totals.messages_out == ledger.messages_out
    assert result.totals.dialogs_opened == len(ledger.dialogs)
    resolved = [d for d in ledger.dialogs.values() if d.resolved_at is not None]
    assert result.totals.dialogs_resolved == len(resolved)
    assert [d.day for d in result.days] == [first + timedelta(days=i) for i in range(PLAN.days)]
    assert sum(d.messages_in for d in result.days) == ledger.messages_in
    responses = [(d.first_response_at - d.first_message_at).total_seconds()
                 for d in ledger.dialogs.values()
                 if d.first_response_at is not None and d.first_message_at is not None]
    assert result.first_response.count == len(responses)
    assert close(result.first_response.median_seconds, quantile(responses, 0.5))
    assert close(result.first_response.p90_seconds, quantile(responses, 0.9))
    resolutions = [(d.resolved_at - d.opened_at).total_seconds() for d in resolved
                   if d.resolved_at is not None]
    assert close(result.resolution.median_seconds, quantile(resolutions, 0.5))
    by_operator = {o.operator_id: o for o in result.operators}
    for login, oid in ledger.operators.items():
        sent = sum(1 for m in ledger.messages.values() if m.operator_id == oid)
        assert by_operator[oid].messages_sent == sent
        assert by_operator[oid].name == f"Operator {login[2:]}"
        online = sum(s for (o, _), s in ledger.online.items() if o == oid)
        assert close(by_operator[oid].online_seconds, online)


def test_a_period_beyond_the_data_is_empty_and_a_reversed_one_is_refused(
        history: History) -> None:
    with history.container.views.reader.connect() as conn:
        empty = summary(conn, date(2031, 1, 1), date(2031, 1, 7))
        assert empty.totals.messages_in == 0 and empty.operators == []
        assert empty.first_response.count == 0 and empty.first_response.median_seconds is None
        assert len(empty.days) == 7 and all(d.messages_in == 0 for d in empty.days)
        with pytest.raises(ValueError, match="after"):
            summary(conn, date(2026, 3, 5), date(2026, 3, 1))
        with pytest.raises(ValueError, match="days"):
            summary(conn, date(2020, 1, 1), date(2026, 1, 1))


def dump(path: Path, data: Any) -> None:  # handy when a figure disagrees
    path.write_text(json.dumps(data, default=str, indent=1))


# -- GraphQL --------------------------------------------------------------------------------
SUMMARY = """query($from: Date!, $to: Date!) {
  analyticsSummary(from: $from, to: $to) {
    from to timezone
    totals { messagesIn messagesOut dialogsOpened dialogsResolved transfers failedMessages }
    days { day messagesIn messagesOut dialogsOpened dialogsResolved
           firstResponse { count medianSeconds p90Seconds } }
    firstResponse { count medianSeconds p90Seconds }
    resolution { count medianSeconds p90Seconds }
    waiting { count medianSeconds }
    operators { operatorId name login dialogsAssigned messagesSent dialogsResolved onlineSeconds
                firstResponse { count medianSeconds p90Seconds } }
  }
}"""


@pytest.fixture(scope="module")
def graphql(history: History) -> Iterator[GraphQLClient]:
    with LiveServer(history.container) as server:
        yield GraphQLClient(server.url)


def test_admins_and_auditors_read_the_summary_over_graphql(history: History,
                                                           graphql: GraphQLClient) -> None:
    ledger = history.ledger
    period = {"from": PLAN.start.isoformat(),
              "to": (PLAN.start + timedelta(days=PLAN.days - 1)).isoformat()}
    for login, password in (("admin", ADMIN_PASSWORD), ("auditor", OPERATOR_PASSWORD)):
        token = graphql.login(login, password)
        data = graphql(SUMMARY, period, token=token)["analyticsSummary"]
        assert data["timezone"] == "Europe/Moscow"
        assert data["totals"]["messagesIn"] == ledger.messages_in
        assert data["totals"]["messagesOut"] == ledger.messages_out
        assert data["totals"]["dialogsOpened"] == len(ledger.dialogs)
        assert len(data["days"]) == PLAN.days
        assert data["firstResponse"]["count"] > 100
        assert 0 < data["firstResponse"]["medianSeconds"] <= data["firstResponse"]["p90Seconds"]
        names = {o["name"] for o in data["operators"]}
        assert {f"Operator {i}" for i in range(1, PLAN.operators + 1)} <= names


def test_operators_may_not_read_the_summary_and_bad_periods_are_explained(
        history: History, graphql: GraphQLClient) -> None:
    token = graphql.login("op1", OPERATOR_PASSWORD)
    body = graphql.raw(SUMMARY, {"from": "2026-03-01", "to": "2026-03-07"}, token=token)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    token = graphql.login("auditor", OPERATOR_PASSWORD)
    body = graphql.raw(SUMMARY, {"from": "2026-03-07", "to": "2026-03-01"}, token=token)
    assert "after its end" in body["errors"][0]["message"]
    body = graphql.raw(SUMMARY, {"from": "2026-13-01", "to": "2026-03-01"}, token=token)
    assert body["errors"]
    data = graphql(SUMMARY, {"from": "2030-01-01", "to": "2030-01-03"},
                   token=token)["analyticsSummary"]
    assert data["totals"]["messagesIn"] == 0 and data["operators"] == []
    assert [d["messagesIn"] for d in data["days"]] == [0, 0, 0]
    assert data["firstResponse"] == {"count": 0, "medianSeconds": None, "p90Seconds": None}


# -- exports -------------------------------------------------------------------------------------
def export(history: History, *args: str) -> Any:
    return cli("analytics", "export", *args, env=cli_env(history.url))


def test_a_table_exports_as_csv_json_and_parquet(history: History, tmp_path: Path) -> None:
    ledger = history.ledger
    first, second = PLAN.start, PLAN.start + timedelta(days=1)
    period = ("--from", first.isoformat(), "--to", second.isoformat())
    expected = {m.id for m in ledger.messages.values() if first <= m.day <= second}

    done = export(history, "message_facts", *period, "-o", str(tmp_path / "m.csv"))
    assert done.returncode == 0, done.stderr
    assert f"{len(expected)} rows of message_facts" in done.stderr
    assert "export message_facts" in done.stderr  # the progress bar
    with (tmp_path / "m.csv").open(encoding="utf-8") as stream:
        found = list(csv.DictReader(stream))
    assert {UUID(row["id"]) for row in found} == expected
    some = next(row for row in found if row["read_at"])
    assert datetime.fromisoformat(some["read_at"]).utcoffset() == timedelta(0)

    done = export(history, "dialog_facts", *period, "--format", "json", "-o",
                  str(tmp_path / "d.json"))
    assert done.returncode == 0, done.stderr
    dialogs = json.loads((tmp_path / "d.json").read_text(encoding="utf-8"))
    assert {UUID(d["id"]) for d in dialogs} == {
        d.id for d in ledger.dialogs.values() if first <= d.day <= second}
    assert {d["opened_by"] for d in dialogs} <= {"client", "operator"}

    done = export(history, "delivery", "--format", "json", "-o", "-")  # everything, to stdout
    assert done.returncode == 0, done.stderr
    assert [row["day"] for row in json.loads(done.stdout)] == sorted(
        d.isoformat() for d in ledger.delivery)


def test_a_table_exports_as_parquet(history: History, tmp_path: Path) -> None:
    pq = pytest.importorskip(
        "pyarrow.parquet", reason="pyarrow is an optional extra: pip install '.[parquet]'")
    done = export(history, "operator_load", "--format", "parquet", "-o",
                  str(tmp_path / "load.parquet"))
    assert done.returncode == 0, done.stderr
    table = pq.read_table(tmp_path / "load.parquet")
    with history.container.views.reader.connect() as conn:
        assert table.num_rows == conn.execute(
            sa.select(sa.func.count()).select_from(operator_load)).scalar_one()
    assert str(table.schema.field("hour_start").type) == "timestamp[us, tz=UTC]"
    sent = sum(table.column("messages_sent").to_pylist())
    assert sent == history.ledger.messages_out
    done = export(history, "routing_hits", "--from", "2031-01-01", "--format", "parquet",
                  "-o", str(tmp_path / "none.parquet"))
    assert done.returncode == 0 and "nothing in this period" in done.stderr
    assert pq.read_table(tmp_path / "none.parquet").num_rows == 0


def test_an_export_explains_bad_input(history: History, tmp_path: Path) -> None:
    done = export(history, "events")
    assert done.returncode == 2 and "No analytics table named 'events'" in done.stderr
    assert "message_facts" in done.stderr
    done = export(history, "delivery", "--from", "2026-03-09", "--to", "2026-03-01")
    assert done.returncode == 2 and "is after" in done.stderr
    done = export(history, "delivery", "--from", "March")
    assert done.returncode == 2 and "not a date" in done.stderr
    done = export(history, "delivery", "--format", "xml")
    assert done.returncode == 2
    done = export(history, "delivery", "--from", "2030-01-01", "-o", str(tmp_path / "e.csv"))
    assert done.returncode == 0 and "0 rows" in done.stderr
    assert (tmp_path / "e.csv").read_text().splitlines() == [
        ",".join(c.name for c in delivery.c)]


def test_parquet_without_pyarrow_says_how_to_install_it(history: History,
                                                        tmp_path: Path) -> None:
    hidden = tmp_path / "no-pyarrow"
    (hidden / "pyarrow").mkdir(parents=True)
    (hidden / "pyarrow" / "__init__.py").write_text('raise ImportError("not installed")\n')
    done = cli("analytics", "export", "delivery", "--format", "parquet", "-o",
               str(tmp_path / "x.parquet"), env=cli_env(history.url, PYTHONPATH=str(hidden)))
    assert done.returncode == 2
    assert "pip install 'switchboard[parquet]'" in done.stderr
    assert not (tmp_path / "x.parquet").exists()
