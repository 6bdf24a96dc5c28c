"""Notifications and presence fold a batch in bulk (a few reads, one upsert per table): after a
realistic generated history — with operators marking dialogs read and notifications seen, and
clients renamed, mixed in — on SQLite and PostgreSQL, their rows are those of the statement-per-
event code they replaced, in batches of any size, and each batch's live-feed changes still name
everything that code named."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4, uuid5

import pytest
import sqlalchemy as sa

from domain.clients import Client
from domain.dialogs import Dialog
from domain.notifications import NotificationCursor
from domain.presence import Presence, Status
from infra.bootstrap import Container
from infra.projection.verify import Scratch
from projections.base import Changes, Projection
from projections.notifications import (
    NAMESPACE,
    PREVIEW,
    WEIGHT,
    NotificationsProjection,
    notifications,
    notify_dialogs,
    notify_recipients,
)
from projections.presence import PresenceProjection, presence, presence_connections
from tests.conftest import (
    generated_history,
)
from tests.history import Plan

PLAN = Plan(days=2, dialogs_per_day=40, seed=7)

Tables = dict[str, Counter[tuple[Any, ...]]]
Feeds = list[dict[str, dict[str, list[str]]]]
Events = list[tuple[int, Any]]


# -- the references: one statement (or a few) per event, as the projections were first written ---
class OneByOneNotifications(NotificationsProjection):
    def apply_batch(
        self, conn: sa.Connection, events: Sequence[tuple[int, Any]], changes: Changes
    ) -> None:
        Projection.apply_batch(self, conn, events, changes)

    def apply(self, conn: sa.Connection, event: Any, position: int, changes: Changes) -> None:
        dialog_id = event.originator_id
        match event:
            case Dialog.Opened():
                conn.execute(notify_dialogs.insert().values(
                    dialog_id=dialog_id, client_id=event.client_id,
                    client_name=event.client_name[:120], phone=event.phone[:32]))
                if event.recipients:
                    conn.execute(notify_recipients.insert(), [
                        {"dialog_id": dialog_id, "operator_id": oid}
                        for oid in dict.fromkeys(event.recipients)])
            case Dialog.MessageReceived():
                holder = conn.execute(sa.select(notify_dialogs.c.assignee_id).where(
                    notify_dialogs.c.dialog_id == dialog_id)).scalar()
                everyone = conn.execute(sa.select(notify_recipients.c.operator_id).where(
                    notify_recipients.c.dialog_id == dialog_id)).scalars().all()
                for operator_id in [holder] if holder else sorted(everyone, key=str):
                    _notify(conn, changes, operator_id, dialog_id, "message", position,
                            event.timestamp, text=event.text, count=1)
            case Dialog.Assigned():
                _hold(conn, dialog_id, event.operator_id)
                _notify(conn, changes, event.operator_id, dialog_id, "assigned", position,
                        event.timestamp, detail=event.reason)
            case Dialog.Transferred():
                _hold(conn, dialog_id, event.to_operator)
                _notify(conn, changes, event.to_operator, dialog_id, "transferred", position,
                        event.timestamp, detail=event.note)
            case Dialog.Claimed():
                _hold(conn, dialog_id, event.operator_id)
            case Dialog.Unassigned() | Dialog.Resolved():
                conn.execute(notify_dialogs.update().where(notify_dialogs.c.dialog_id == dialog_id)
                             .values(assignee_id=None))
            case Dialog.MarkedRead():
                _read(conn, changes, event.operator_id, notifications.c.dialog_id == dialog_id)
            case NotificationCursor.Seen():
                _read(conn, changes, event.operator_id, notifications.c.seq <= event.up_to)
            case Client.Renamed():
                conn.execute(notify_dialogs.update()
                             .where(notify_dialogs.c.client_id == event.originator_id)
                             .values(client_name=event.name[:120]))


def _hold(conn: sa.Connection, dialog_id: UUID, operator_id: UUID) -> None:
    conn.execute(notify_dialogs.update().where(notify_dialogs.c.dialog_id == dialog_id)
                 .values(assignee_id=operator_id))
    known = conn.execute(sa.select(notify_recipients.c.operator_id).where(
        notify_recipients.c.dialog_id == dialog_id,
        notify_recipients.c.operator_id == operator_id)).first()
    if known is None:
        conn.execute(notify_recipients.insert().values(dialog_id=dialog_id,
                                                       operator_id=operator_id))


def _notify(conn: sa.Connection, changes: Changes, operator_id: UUID, dialog_id: UUID, kind: str,
            position: int, at: Any, *, text: str | None = None, detail: str = "",
            count: int = 0) -> None:
    unread = conn.execute(sa.select(notifications.c.id, notifications.c.kind).where(
        notifications.c.operator_id == operator_id, notifications.c.dialog_id == dialog_id,
        notifications.c.read.is_(False))).first()
    values: dict[str, Any] = {"seq": position, "updated_at": at}
    if text is not None:
        values["text"] = text[:PREVIEW]
    if unread is not None:
        if WEIGHT[kind] >= WEIGHT.get(unread.kind, 0):
            values.update(kind=kind, detail=detail[:500])
        conn.execute(notifications.update().where(notifications.c.id == unread.id)
                     .values(count=notifications.c.count + count, **values))
        changes.add("notifications", operator_id, unread.id)
        return
    dialog = conn.execute(sa.select(notify_dialogs.c.client_name, notify_dialogs.c.phone)
                          .where(notify_dialogs.c.dialog_id == dialog_id)).first()
    nid = uuid5(NAMESPACE, f"{operator_id}:{dialog_id}:{position}")
    conn.execute(notifications.insert().values(
        id=nid, operator_id=operator_id, dialog_id=dialog_id, kind=kind,
        client_name=dialog.client_name if dialog else "", phone=dialog.phone if dialog else "",
        text=values.get("text", ""), detail=detail[:500], count=count, seq=position,
        created_at=at, updated_at=at, read=False))
    changes.add("notifications", operator_id, nid)


def _read(conn: sa.Connection, changes: Changes, operator_id: UUID, which: Any) -> None:
    ids = conn.execute(
        notifications.update().where(notifications.c.operator_id == operator_id,
                                     notifications.c.read.is_(False), which)
        .values(read=True).returning(notifications.c.id)).scalars().all()
    for nid in ids:
        changes.add("notifications", operator_id, nid)


class OneByOnePresence(PresenceProjection):
    def apply_batch(
        self, conn: sa.Connection, events: Sequence[tuple[int, Any]], changes: Changes
    ) -> None:
        Projection.apply_batch(self, conn, events, changes)

    def apply(self, conn: sa.Connection, event: Any, position: int, changes: Changes) -> None:
        def update(**values: Any) -> None:
            conn.execute(presence.update().where(presence.c.id == event.originator_id)
                         .values(changed_at=event.timestamp, **values))

        def operator() -> UUID:
            oid: UUID = conn.execute(sa.select(presence.c.operator_id).where(
                presence.c.id == event.originator_id)).scalar_one()
            return oid

        match event:
            case Presence.Created():
                conn.execute(presence.insert().values(
                    id=event.originator_id, operator_id=event.operator_id,
                    chosen=Status.ONLINE.value, connections=0, holding=0,
                    changed_at=event.timestamp))
                changes.add("presence", event.operator_id, event.operator_id)
                return
            case Presence.Connected():
                conn.execute(presence_connections.insert().values(
                    connection_id=event.connection_id, operator_id=operator(),
                    replica=event.replica, connected_at=event.at))
                update(connections=presence.c.connections + 1)
            case Presence.Disconnected():
                conn.execute(presence_connections.delete().where(
                    presence_connections.c.connection_id == event.connection_id))
                update(connections=presence.c.connections - 1)
            case Presence.StatusChosen():
                update(chosen=event.status)
            case Presence.DialogTaken():
                update(holding=presence.c.holding + 1, last_taken_at=event.at)
            case Presence.DialogReleased():
                update(holding=presence.c.holding - 1)
        changes.add("presence", operator(), operator())


# -- the history --------------------------------------------------------------------------------
@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def history(request: pytest.FixtureRequest,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[Container]:
    with generated_history(request.param, tmp_path_factory.mktemp("bulk_notify"), PLAN) as made:
        yield made[0]


def logged(container: Container, projection: Projection) -> list[Any]:
    store = container.store
    head = store.recorder.max_notification_id() or 0
    return [store.mapper.to_domain_event(n) for n in store.recorder.select_notifications(
        start=0, limit=head, stop=head, topics=projection.topics(), inclusive_of_start=False)]


def with_readers(events: list[Any], seed: int) -> Events:
    """The log's events with, mixed in, what the generated history lacks: operators marking a
    dialog read and their notifications seen (up to a recent position, or everything), clients
    renamed (as their dialogs open, and later). Numbered anew, 1, 2, …"""
    rng = random.Random(seed)
    operators: list[UUID] = []
    dialogs: list[tuple[UUID, UUID]] = []
    mixed: list[Any] = []

    def made(kind: Any, originator: UUID, at: Any, **fields: Any) -> Any:
        return kind(originator_id=originator, originator_version=2, timestamp=at,
                    actor="test", **fields)

    for event in events:
        at = event.timestamp
        if isinstance(event, Dialog.Opened):
            operators.extend(o for o in event.recipients if o not in operators)
            dialogs.append((event.originator_id, event.client_id))
        mixed.append(event)
        if isinstance(event, Dialog.Opened) and rng.random() < 0.1:  # renamed as it opens
            mixed.append(made(Client.Renamed, event.client_id, at, name="Early name"))
        if not operators or not dialogs:
            continue
        draw = rng.random()
        if draw < 0.04:
            dialog_id, _ = rng.choice(dialogs[-30:])
            mixed.append(made(Dialog.MarkedRead, dialog_id, at, operator_id=rng.choice(operators),
                              up_to=0))
        elif draw < 0.06:
            up_to = len(mixed) - rng.randrange(0, 60) if rng.random() < 0.7 else 10**9
            mixed.append(made(NotificationCursor.Seen, uuid4(), at,
                              operator_id=rng.choice(operators), up_to=up_to))
        elif draw < 0.075:
            _, client_id = rng.choice(dialogs[-50:])
            mixed.append(made(Client.Renamed, client_id, at + timedelta(microseconds=1),
                              name=f"Client {rng.randrange(10**6)} " + "x" * rng.randrange(130)))
    return list(enumerate(mixed, start=1))


def fold(container: Container, projection: Projection, events: Events, batch_size: int,
         one_at_a_time: bool = False) -> tuple[Tables, Feeds]:
    """The projection's tables built aside from `events` in batches of `batch_size` (or through
    `apply`, event by event): their rows, and each batch's changes."""
    feeds: Feeds = []
    with Scratch(container.views, projection) as scratch:
        for i in range(0, len(events), batch_size):
            with scratch.begin() as conn:
                changes = Changes()
                if one_at_a_time:
                    for position, event in events[i:i + batch_size]:
                        projection.apply(conn, event, position, changes)
                else:
                    projection.apply_batch(conn, events[i:i + batch_size], changes)
                feeds.append(changes.as_dict())
        with scratch.begin() as conn:
            tables = {table.name: Counter(tuple(row) for row in conn.execute(sa.select(table)))
                      for table in projection.tables}
    return tables, feeds


def live_tables(container: Container, projection: Projection) -> Tables:
    with container.views.reader.connect() as conn:
        return {table.name: Counter(tuple(row) for row in conn.execute(sa.select(table)))
                for table in projection.tables}


def assert_names_at_least(feeds: Feeds, expected: Feeds) -> None:
    assert len(feeds) == len(expected)
    for batch, (found, wanted) in enumerate(zip(feeds, expected, strict=True)):
        for feed, keys in wanted.items():
            for key, items in keys.items():
                missing = set(items) - set(found.get(feed, {}).get(key, []))
                assert not missing, (batch, feed, key, missing)


# -- the tests ----------------------------------------------------------------------------------
def test_the_mixed_history_reads_marks_seen_and_renames(history: Container) -> None:
    events = with_readers(logged(history, NotificationsProjection()), seed=1)
    kinds = Counter(type(e).__name__ for _, e in events)
    for name in ("Opened", "MessageReceived", "Assigned", "Claimed", "Transferred", "Resolved",
                 "MarkedRead", "Seen", "Renamed"):
        assert kinds[name], (name, kinds)
    tables, _ = fold(history, OneByOneNotifications(), events, 500)
    read = Counter(row[12] for row in tables["notifications"])
    assert read[True] > 20 and read[False] > 20, read
    names = {row[2] for row in tables["notify_dialogs"]}
    assert "Early name" in names and any(n.startswith("Client ") for n in names)


def test_the_history_connects_disconnects_chooses_takes_and_releases(history: Container) -> None:
    kinds = Counter(type(e).__name__ for e in logged(history, PresenceProjection()))
    for name in ("Created", "Connected", "Disconnected", "StatusChosen", "DialogTaken",
                 "DialogReleased"):
        assert kinds[name], (name, kinds)


@pytest.mark.parametrize("batch_size", [1, 41, 500])
def test_bulk_notifications_are_those_of_one_statement_per_event(
    history: Container, batch_size: int
) -> None:
    events = with_readers(logged(history, NotificationsProjection()), seed=batch_size)
    expected, expected_feeds = fold(history, OneByOneNotifications(), events, batch_size)
    tables, feeds = fold(history, NotificationsProjection(), events, batch_size)
    assert sum(expected["notifications"].values()) > 50
    assert tables == expected
    assert_names_at_least(feeds, expected_feeds)


def test_bulk_notifications_of_the_plain_log_are_the_live_rows(history: Container) -> None:
    projection = NotificationsProjection()
    events = [(i, e) for i, e in enumerate(logged(history, projection), start=1)]
    expected, _ = fold(history, OneByOneNotifications(), events, 500)
    tables, _ = fold(history, projection, events, 77)
    assert tables == expected
    live = live_tables(history, projection)
    for name in ("notify_dialogs", "notify_recipients"):
        assert tables[name] == live[name]
    # the log's positions are not these, so the notifications compare without id and seq
    def shape(rows: Counter[tuple[Any, ...]]) -> Counter[tuple[Any, ...]]:
        return Counter({row[1:9] + row[10:]: n for row, n in rows.items()})
    assert shape(tables["notifications"]) == shape(live["notifications"])


@pytest.mark.parametrize("batch_size", [1, 41, 500])
def test_bulk_presence_is_that_of_one_statement_per_event(
    history: Container, batch_size: int
) -> None:
    projection = PresenceProjection()
    events = [(i, e) for i, e in enumerate(logged(history, projection), start=1)]
    expected, expected_feeds = fold(history, OneByOnePresence(), events, batch_size)
    tables, feeds = fold(history, projection, events, batch_size)
    assert sum(expected["presence"].values()) >= 3
    assert tables == expected
    assert tables == live_tables(history, projection)
    assert_names_at_least(feeds, expected_feeds)


@pytest.mark.parametrize("kind", ["notifications", "presence"])
def test_apply_event_by_event_gives_the_same_rows(history: Container, kind: str) -> None:
    projection: Projection
    reference: Projection
    if kind == "notifications":
        projection, reference = NotificationsProjection(), OneByOneNotifications()
        events = with_readers(logged(history, projection), seed=3)
    else:
        projection, reference = PresenceProjection(), OneByOnePresence()
        events = [(i, e) for i, e in enumerate(logged(history, projection), start=1)]
    expected, expected_feeds = fold(history, reference, events, 41)
    tables, feeds = fold(history, projection, events, 41, one_at_a_time=True)
    assert tables == expected
    assert_names_at_least(feeds, expected_feeds)
