"""Delivers view changes to live subscribers in this process, whichever process projected them.

The projector writes each batch's changes to `view_changes` in the batch's own transaction (and on
PostgreSQL NOTIFYs after commit); every API replica follows that table and fans the changes out to
its subscribers' queues."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

import psycopg
import sqlalchemy as sa
from anyio import to_thread

from infra.eventstore import postgres_conninfo
from infra.metrics import LIVE_SUBSCRIBERS
from infra.projection.projector import VIEWS_CHANNEL
from infra.settings import Settings
from projections.base import view_changes

log = logging.getLogger(__name__)


class LiveFeed:
    def __init__(self, settings: Settings, engine: sa.Engine) -> None:
        self._settings = settings
        self._engine = engine
        self._subscribers: defaultdict[tuple[str, str], set[asyncio.Queue[set[str]]]] = (
            defaultdict(set))
        self._last_id = 0
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    async def start(self) -> None:
        self._last_id = await to_thread.run_sync(self._max_id)
        self._task = asyncio.create_task(self._follow(), name="live-feed")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    @contextlib.asynccontextmanager
    async def subscribe(self, feed: str, key: object,
                        queue: asyncio.Queue[set[str]] | None = None,
                        ) -> AsyncIterator[asyncio.Queue[set[str]]]:
        """A queue that receives, for each change of `feed` concerning `key`, the changed ids
        (`queue`: one already subscribed to another feed, to hear both through it)."""
        queue = queue if queue is not None else asyncio.Queue()
        subscribers = self._subscribers[(feed, str(key))]
        subscribers.add(queue)
        LIVE_SUBSCRIBERS.inc()
        try:
            yield queue
        finally:
            subscribers.discard(queue)
            LIVE_SUBSCRIBERS.dec()

    def poke(self) -> None:
        self._wake.set()

    def _max_id(self) -> int:
        with self._engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.max(view_changes.c.id))).scalar() or 0)

    def _read_since(self, last_id: int) -> list[tuple[int, str]]:
        with self._engine.connect() as conn:
            return [
                (row.id, row.payload) for row in conn.execute(
                    sa.select(view_changes.c.id, view_changes.c.payload)
                    .where(view_changes.c.id > last_id).order_by(view_changes.c.id).limit(1000))
            ]

    async def _follow(self) -> None:
        listener: psycopg.AsyncConnection[Any] | None = None
        while True:
            try:
                if self._settings.is_postgres and listener is None:
                    listener = await psycopg.AsyncConnection.connect(
                        **postgres_conninfo(self._settings), autocommit=True)
                    await listener.execute(f"LISTEN {VIEWS_CHANNEL}")
                rows = await to_thread.run_sync(self._read_since, self._last_id)
                for row_id, payload in rows:
                    self._last_id = row_id
                    self._dispatch(json.loads(payload))
                if len(rows) == 1000:
                    continue
                if listener is not None:
                    async for _ in listener.notifies(timeout=1.0, stop_after=1):
                        pass
                else:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(),
                                               self._settings.projection_poll_seconds)
                    self._wake.clear()
            except asyncio.CancelledError:
                if listener is not None:
                    await listener.close()
                raise
            except Exception:
                log.warning("live feed interrupted; resuming", exc_info=True)
                if listener is not None:
                    with contextlib.suppress(Exception):
                        await listener.close()
                    listener = None
                await asyncio.sleep(1.0)

    def _dispatch(self, payload: dict[str, dict[str, list[str]]]) -> None:
        for feed, keys in payload.items():
            for key, ids in keys.items():
                for queue in self._subscribers.get((feed, key), ()):
                    queue.put_nowait(set(ids))
            for queue in self._subscribers.get((feed, "*"), ()):
                queue.put_nowait({i for ids in keys.values() for i in ids})
