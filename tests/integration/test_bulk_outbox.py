"""The outbox folds a batch in bulk (one read, one upsert): after a realistic generated history, on
SQLite and PostgreSQL, its rows are those of the statement-per-event code it replaced, in batches
of any size, and each batch's live-feed changes still name every message it touched."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
import sqlalchemy as sa

from domain.outbox import OutgoingMessage
from infra.bootstrap import Container
from infra.projection.verify import Scratch
from projections.base import Changes, Projection
from projections.outbox import PREVIEW, OutboxProjection, outbox
from tests.conftest import (
    generated_history,
)
from tests.history import Plan

PLAN = Plan(days=2, dialogs_per_day=40, seed=11)

Rows = Counter[tuple[Any, ...]]
Feeds = list[dict[str, dict[str, list[str]]]]


class OneByOne(OutboxProjection):
    """The reference: one INSERT or UPDATE per event, as the outbox was first written."""

    def apply_batch(
        self, conn: sa.Connection, events: Sequence[tuple[int, Any]], changes: Changes
    ) -> None:
        Projection.apply_batch(self, conn, events, changes)

    def apply(self, conn: sa.Connection, event: Any, position: int, changes: Changes) -> None:
        where = outbox.c.id == event.originator_id
        common = {"updated_at": event.timestamp, "position": position}
        match event:
            case OutgoingMessage.Queued():
                conn.execute(outbox.insert().values(
                    id=event.originator_id, dialog_id=event.dialog_id,
                    client_id=event.client_id, phone=event.phone, channel=event.channel,
                    operator_id=event.operator_id, text_preview=event.text[:PREVIEW],
                    status="queued", attempts=0, wake_at=event.at, queued_at=event.at,
                    **common))
            case OutgoingMessage.Claimed():
                conn.execute(outbox.update().where(where).values(
                    status="sending", attempts=event.attempt, wake_at=event.lease_until,
                    worker=event.worker, **common))
            case OutgoingMessage.Sent():
                conn.execute(outbox.update().where(where).values(
                    status="sent", wake_at=None, external_id=event.external_id,
                    sent_at=event.at, failure_code=None, failure_reason=None, **common))
            case OutgoingMessage.AttemptFailed():
                conn.execute(outbox.update().where(where).values(
                    status="queued", wake_at=event.retry_at, failure_code=event.code,
                    failure_reason=event.reason, **common))
            case OutgoingMessage.Failed():
                conn.execute(outbox.update().where(where).values(
                    status="failed", wake_at=None, failed_at=event.at,
                    failure_code=event.code, failure_reason=event.reason, **common))
            case OutgoingMessage.StatusReported():
                conn.execute(outbox.update().where(where).values(
                    **_reported(event), **common))
            case OutgoingMessage.Retried():
                values: dict[str, Any] = {}
                if event.new_round:
                    values = {"external_id": None, "sent_at": None, "delivered_at": None,
                              "read_at": None}
                conn.execute(outbox.update().where(where).values(
                    status="queued", attempts=0, wake_at=event.at, failed_at=None,
                    failure_code=None, failure_reason=None, **values, **common))
        changes.add("outbox", "all", event.originator_id)


def _reported(event: Any) -> dict[str, Any]:
    at = event.reported_at
    match event.status:
        case "failed":
            return {"status": "failed", "failed_at": at, "wake_at": None,
                    "failure_code": event.error_code or "GATEWAY_FAILED",
                    "failure_reason": event.error or None}
        case "delivered":
            return {"status": "delivered", "delivered_at": at, "failure_code": None,
                    "failure_reason": None}
        case "read" | "played":
            return {"status": event.status, "read_at": at, "failure_code": None,
                    "failure_reason": None,
                    "delivered_at": sa.func.coalesce(outbox.c.delivered_at, at)}
    return {"status": event.status, "failure_code": None, "failure_reason": None}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def history(request: pytest.FixtureRequest,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[Container]:
    with generated_history(request.param, tmp_path_factory.mktemp("bulk_outbox"), PLAN) as made:
        yield made[0]


def fold(container: Container, projection: OutboxProjection, batch_size: int,
         one_at_a_time: bool = False) -> tuple[Rows, Feeds]:
    """The outbox built aside from the whole log in batches of `batch_size` (or through
    `apply`, event by event): its rows, and each batch's changes."""
    store = container.store
    head = store.recorder.max_notification_id() or 0
    feeds: Feeds = []
    with Scratch(container.views, projection) as scratch:
        position = 0
        while position < head:
            with scratch.begin() as conn:
                notifications = store.recorder.select_notifications(
                    start=position, limit=batch_size, stop=head, topics=projection.topics(),
                    inclusive_of_start=False)
                if not notifications:
                    break
                events = [(n.id, store.mapper.to_domain_event(n)) for n in notifications]
                changes = Changes()
                if one_at_a_time:
                    for at, event in events:
                        projection.apply(conn, event, at, changes)
                else:
                    projection.apply_batch(conn, events, changes)
                feeds.append(changes.as_dict())
            position = notifications[-1].id
        with scratch.begin() as conn:
            rows = Counter(tuple(row) for row in conn.execute(sa.select(*outbox.c)))
    return rows, feeds


def live_rows(container: Container) -> Rows:
    with container.views.reader.connect() as conn:
        return Counter(tuple(row) for row in conn.execute(sa.select(*outbox.c)))


def test_the_history_exercises_every_step_of_a_delivery(history: Container) -> None:
    store = history.store
    head = store.recorder.max_notification_id() or 0
    seen: Counter[str] = Counter()
    for n in store.recorder.select_notifications(start=0, limit=head, stop=head,
                                                 topics=OutboxProjection.topics()):
        event = store.mapper.to_domain_event(n)
        name = type(event).__name__
        if isinstance(event, OutgoingMessage.StatusReported):
            name += f":{event.status}"
        if isinstance(event, OutgoingMessage.Retried):
            name += f":{event.new_round}"
        seen[name] += 1
    for name in ("Queued", "Claimed", "Sent", "AttemptFailed", "Failed",
                 "StatusReported:delivered", "StatusReported:read", "StatusReported:failed",
                 "Retried:False", "Retried:True"):
        assert seen[name], (name, seen)


@pytest.mark.parametrize("batch_size", [1, 41, 500])
def test_bulk_rows_and_changes_are_those_of_one_statement_per_event(
    history: Container, batch_size: int
) -> None:
    expected, expected_feeds = fold(history, OneByOne(), batch_size)
    rows, feeds = fold(history, OutboxProjection(), batch_size)
    assert sum(expected.values()) > 50
    assert rows == expected
    assert feeds == expected_feeds
    assert rows == live_rows(history)


def test_apply_event_by_event_gives_the_same_rows(history: Container) -> None:
    expected, expected_feeds = fold(history, OneByOne(), 41)
    rows, feeds = fold(history, OutboxProjection(), 41, one_at_a_time=True)
    assert rows == expected
    assert feeds == expected_feeds
