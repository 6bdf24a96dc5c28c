"""The group-commit writer: runs the commands that are in flight together and stores all their
events in one transaction, then answers each of them.

Handlers hand it changed aggregates through a unit of work; the writer stores the *collected*
events, never aggregates (a failed save would lose their pending events). A batch the store refuses
(a repeated message id, or another process that wrote the same aggregate) is run again with exact
answers, then one command at a time, so nothing is lost and nothing is doubled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from application.ports import UnitOfWork
from infra.eventstore import EventStore
from infra.metrics import EVENTS_APPENDED, WRITER_BATCH, WRITER_RETRIES

log = logging.getLogger(__name__)
A = TypeVar("A", bound=Aggregate)
Handler = Callable[[Any, UnitOfWork], Any]


_PENDING: Any = object()


@dataclass
class _Item:
    """A command in flight. Its outcome is set in the writer thread and delivered at the end of
    the batch: to a concurrent future (synchronous callers) or, once per event loop, to asyncio
    futures (waking a loop costs a system call and a GIL hand-over, so once per batch, not per
    command)."""

    command: object
    future: Future[Any] | None = None
    loop: asyncio.AbstractEventLoop | None = None
    waiter: asyncio.Future[Any] | None = None
    result: Any = field(default=_PENDING)
    error: BaseException | None = None

    @property
    def done(self) -> bool:
        return self.error is not None or self.result is not _PENDING

    def fail(self, error: BaseException) -> None:
        if not self.done:
            self.error = error

    def succeed(self, result: Any) -> None:
        self.result = result


def _settle(items: list[_Item]) -> None:
    """In the waiters' event loop."""
    for item in items:
        if item.waiter is None or item.waiter.done():
            continue
        if item.error is not None:
            item.waiter.set_exception(item.error)
        else:
            item.waiter.set_result(item.result)


class AggregateCache:
    """What the writer knows of aggregates, and of their absence (least recently used go first).
    Before each batch the writer evicts whatever other processes wrote since (see `_catch_up`),
    so an entry is as fresh as the batch's start; a write racing another process's conflicts in
    the store and is run again on fresh state."""

    def __init__(self, maxsize: int) -> None:
        self._entries: OrderedDict[UUID, Aggregate | None] = OrderedDict()
        self._maxsize = maxsize

    def lookup(self, aggregate_id: UUID) -> tuple[bool, Aggregate | None]:
        """(True, the aggregate or None when known absent), or (False, None) when unknown."""
        if aggregate_id not in self._entries:
            return False, None
        self._entries.move_to_end(aggregate_id)
        return True, self._entries[aggregate_id]

    def put(self, aggregate_id: UUID, aggregate: Aggregate | None) -> None:
        self._entries[aggregate_id] = aggregate
        self._entries.move_to_end(aggregate_id)
        while len(self._entries) > self._maxsize:
            self._entries.popitem(last=False)

    def evict(self, aggregate_ids: Iterable[UUID]) -> None:
        for aggregate_id in aggregate_ids:
            self._entries.pop(aggregate_id, None)

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


class _BatchUnitOfWork:
    def __init__(self, store: EventStore, cache: AggregateCache, exact: bool):
        self._store = store
        self._cache = cache
        self._exact = exact
        self.touched: dict[UUID, Aggregate] = {}
        self.looked_up: set[UUID] = set()
        self.versions_before: dict[UUID, int] = {}

    def get(self, cls: type[A], aggregate_id: UUID) -> A | None:
        aggregate: Aggregate | None = self.touched.get(aggregate_id)
        if aggregate is None:
            aggregate = self._load(aggregate_id)
        if aggregate is None or not isinstance(aggregate, cls):
            return None
        self._touch(aggregate)
        return aggregate

    def _load(self, aggregate_id: UUID) -> Aggregate | None:
        self.looked_up.add(aggregate_id)
        if not self._exact:
            fresh, known = self._cache.lookup(aggregate_id)
            if fresh:
                return known
        try:
            aggregate: Aggregate = self._store.repository.get(aggregate_id)
        except AggregateNotFoundError:
            self._cache.put(aggregate_id, None)
            return None
        return aggregate

    def add(self, aggregate: Aggregate) -> None:
        self._touch(aggregate)

    def is_recorded(self, aggregate_id: UUID) -> bool:
        if aggregate_id in self.touched:
            return True
        if not self._exact:
            fresh, known = self._cache.lookup(aggregate_id)
            return fresh and known is not None
        return bool(self._store.recorder.select_events(aggregate_id, limit=1))

    def _touch(self, aggregate: Aggregate) -> None:
        if aggregate.id not in self.touched:
            self.touched[aggregate.id] = aggregate
            self.versions_before[aggregate.id] = aggregate.version - len(
                aggregate.pending_events
            )

    def collect(self) -> list[Any]:
        events: list[Any] = []
        for aggregate in self.touched.values():
            events.extend(aggregate.collect_events())
        return events


class GroupCommitWriter:
    def __init__(
        self,
        store: EventStore,
        handlers: dict[type, Handler],
        *,
        max_batch: int = 500,
        cache_size: int = 20_000,
    ) -> None:
        self._store = store
        self._handlers = handlers
        self._max_batch = max_batch
        self._cache = AggregateCache(cache_size)
        self._seen = store.recorder.max_notification_id() or 0
        self._mine: set[int] = set()
        self._queue: queue.Queue[_Item | None] = queue.Queue()
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="group-commit", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=30)
            self._thread = None

    # -- submitting ------------------------------------------------------------------------
    def submit(self, command: object) -> Future[Any]:
        item = _Item(command, future=Future())
        self._enqueue(item)
        assert item.future is not None
        return item.future

    async def execute(self, command: object) -> Any:
        """Answers once the command's events are durably stored (or raises its error)."""
        loop = asyncio.get_running_loop()
        item = _Item(command, loop=loop, waiter=loop.create_future())
        self._enqueue(item)
        assert item.waiter is not None
        return await item.waiter

    def _enqueue(self, item: _Item) -> None:
        if type(item.command) not in self._handlers:
            raise TypeError(f"No handler for {type(item.command).__name__}")
        if self._thread is None:
            self._commit([item])
            self._deliver([item])
        else:
            self._queue.put(item)

    def execute_sync(self, command: object) -> Any:
        return self.submit(command).result()

    # -- the loop --------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            stop = False
            while len(batch) < self._max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                batch.append(item)
            try:
                self._commit(batch)
            except Exception as error:  # never let the writer thread die
                log.exception("writer batch failed")
                for item in batch:
                    item.fail(error)
            self._deliver(batch)
            if stop:
                return

    @staticmethod
    def _deliver(batch: list[_Item]) -> None:
        by_loop: dict[asyncio.AbstractEventLoop, list[_Item]] = {}
        for item in batch:
            if item.future is not None:
                if item.error is not None:
                    item.future.set_exception(item.error)
                else:
                    item.future.set_result(item.result)
            elif item.loop is not None:
                by_loop.setdefault(item.loop, []).append(item)
        for loop, items in by_loop.items():
            # RuntimeError: that loop has closed, so nobody is waiting any more.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_settle, items)

    def _commit(self, batch: list[_Item]) -> None:
        WRITER_BATCH.observe(len(batch))
        try:
            self._attempt(batch, exact=False)
            return
        except IntegrityError:
            WRITER_RETRIES.inc()
        try:
            self._attempt(batch, exact=True)
            return
        except IntegrityError:
            WRITER_RETRIES.inc()
        for item in batch:  # someone else keeps writing the same aggregates: one at a time
            for attempt in range(10):
                try:
                    self._attempt([item], exact=True)
                    break
                except IntegrityError as error:
                    WRITER_RETRIES.inc()
                    if attempt == 9:
                        item.fail(error)

    def _catch_up(self) -> None:
        """Evicts the cached aggregates that other processes wrote since the last batch."""
        while True:
            written = self._store.originators_since(self._seen)
            for notification_id, aggregate_id in written:
                if notification_id not in self._mine:
                    self._cache.evict((aggregate_id,))
            if written:
                self._seen = written[-1][0]
            self._mine = {n for n in self._mine if n > self._seen}
            if len(written) < 5000:
                return

    def _attempt(self, batch: list[_Item], *, exact: bool) -> None:
        """Runs the batch's handlers and stores their events in one transaction."""
        self._catch_up()
        pending = [item for item in batch if not item.done]
        while True:
            uow = _BatchUnitOfWork(self._store, self._cache, exact)
            results: list[tuple[_Item, Any]] = []
            events: list[Any] = []
            failed: _Item | None = None
            for item in pending:
                try:
                    result = self._handlers[type(item.command)](item.command, uow)
                except Exception as error:
                    failed = item
                    item.fail(error)
                    break
                events.extend(uow.collect())
                results.append((item, result))
            if failed is None:
                break
            # A handler refused half-way: forget what this attempt changed and run the rest again.
            self._forget(uow)
            pending = [item for item in pending if item is not failed]
        if events:
            stored = [self._store.mapper.to_stored_event(e) for e in events]
            try:
                self._mine.update(self._store.recorder.insert_events(stored) or ())
            except Exception:  # refused (IntegrityError: run again) or failed: forget it all
                self._forget(uow)
                raise
            EVENTS_APPENDED.inc(len(stored))
        self._remember(uow)
        for item, result in results:
            item.succeed(result)

    def _forget(self, uow: _BatchUnitOfWork) -> None:
        self._cache.evict(uow.touched)
        self._cache.evict(uow.looked_up)

    def _remember(self, uow: _BatchUnitOfWork) -> None:
        intervals = self._store.snapshotting_intervals
        for aggregate_id, aggregate in uow.touched.items():
            self._cache.put(aggregate_id, aggregate)
            interval = intervals.get(type(aggregate))
            if interval and self._store.snapshots is not None:
                before = uow.versions_before[aggregate_id]
                if aggregate.version // interval > before // interval:
                    self._snapshot(aggregate)

    def _snapshot(self, aggregate: Aggregate) -> None:
        try:
            snapshot = type(aggregate).Snapshot.take(aggregate)
            assert self._store.snapshots is not None
            self._store.snapshots.put([snapshot])
        except Exception:  # a snapshot is an optimisation; the events are already stored
            log.warning("snapshot of %s failed", aggregate.id, exc_info=True)
