"""The group-commit writer: runs the commands that are in flight together and stores all their
events in one transaction, then answers each of them.

Handlers hand it changed aggregates through a unit of work; the writer stores the *collected*
events, never aggregates (a failed save would lose their pending events). A batch the store refuses
(a repeated message id, or another process that wrote the same aggregate) is run again with exact
answers, then one command at a time, so nothing is lost and nothing is doubled.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections import OrderedDict
from collections.abc import Callable
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


class CommandFailed(Exception):
    """Raised in place of a handler's exception when it was not a domain error."""


@dataclass
class _Item:
    command: object
    future: Future[Any] = field(default_factory=Future)


class _BatchUnitOfWork:
    def __init__(self, store: EventStore, cache: OrderedDict[UUID, Aggregate], exact: bool):
        self._store = store
        self._cache = cache
        self._exact = exact
        self.touched: dict[UUID, Aggregate] = {}
        self.versions_before: dict[UUID, int] = {}

    def get(self, cls: type[A], aggregate_id: UUID) -> A | None:
        aggregate = self.touched.get(aggregate_id) or self._cache.get(aggregate_id)
        if aggregate is None:
            try:
                aggregate = self._store.repository.get(aggregate_id)
            except AggregateNotFoundError:
                return None
        if not isinstance(aggregate, cls):
            return None
        self._touch(aggregate)
        return aggregate

    def add(self, aggregate: Aggregate) -> None:
        self._touch(aggregate)

    def is_recorded(self, aggregate_id: UUID) -> bool:
        if aggregate_id in self.touched or aggregate_id in self._cache:
            return True
        if not self._exact:
            return False
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
        self._cache_size = cache_size
        self._cache: OrderedDict[UUID, Aggregate] = OrderedDict()
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
        if type(command) not in self._handlers:
            raise TypeError(f"No handler for {type(command).__name__}")
        item = _Item(command)
        if self._thread is None:
            self._commit([item])
        else:
            self._queue.put(item)
        return item.future

    async def execute(self, command: object) -> Any:
        """Answers once the command's events are durably stored (or raises its error)."""
        return await asyncio.wrap_future(self.submit(command))

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
                    if not item.future.done():
                        item.future.set_exception(error)
            if stop:
                return

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
                        item.future.set_exception(error)

    def _attempt(self, batch: list[_Item], *, exact: bool) -> None:
        """Runs the batch's handlers and stores their events in one transaction."""
        pending = [item for item in batch if not item.future.done()]
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
                    item.future.set_exception(error)
                    break
                events.extend(uow.collect())
                results.append((item, result))
            if failed is None:
                break
            # A handler refused half-way: forget what this attempt changed and run the rest again.
            self._evict(uow.touched)
            pending = [item for item in pending if item is not failed]
        if events:
            stored = [self._store.mapper.to_stored_event(e) for e in events]
            try:
                self._store.recorder.insert_events(stored)
            except IntegrityError:
                self._evict(uow.touched)
                raise
            except Exception:
                self._evict(uow.touched)
                raise
            EVENTS_APPENDED.inc(len(stored))
            self._remember(uow)
        for item, result in results:
            item.future.set_result(result)

    def _evict(self, aggregates: dict[UUID, Aggregate]) -> None:
        for aggregate_id in aggregates:
            self._cache.pop(aggregate_id, None)

    def _remember(self, uow: _BatchUnitOfWork) -> None:
        intervals = self._store.snapshotting_intervals
        for aggregate_id, aggregate in uow.touched.items():
            self._cache[aggregate_id] = aggregate
            self._cache.move_to_end(aggregate_id)
            interval = intervals.get(type(aggregate))
            if interval and self._store.snapshots is not None:
                before = uow.versions_before[aggregate_id]
                if aggregate.version // interval > before // interval:
                    self._snapshot(aggregate)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    def _snapshot(self, aggregate: Aggregate) -> None:
        try:
            snapshot = type(aggregate).Snapshot.take(aggregate)
            assert self._store.snapshots is not None
            self._store.snapshots.put([snapshot])
        except Exception:  # a snapshot is an optimisation; the events are already stored
            log.warning("snapshot of %s failed", aggregate.id, exc_info=True)
