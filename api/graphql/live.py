"""What every live subscription does between its reads: wait for the changes of its feed, take
all that queued up at once, and end when the subscriber's token expires — and, for a feed of
one dialog, end when the dialog is no longer the subscriber's."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator
from datetime import UTC, datetime
from uuid import UUID

from anyio import to_thread

from api.graphql.context import Info
from api.graphql.inbox.oversight import entry_for

WAKE_SECONDS = 60  # look at the token's expiry at least this often, changes or not


async def changes(queue: asyncio.Queue[set[str]],
                  expires_at: datetime) -> AsyncIterator[set[str]]:
    """Each time the feed changed: the changed ids, every change waiting merged into one set.
    Ends when the token expires (the server then ends the subscription)."""
    while True:
        remaining = (expires_at - datetime.now(UTC)).total_seconds()
        if remaining <= 0:
            return
        try:
            ids = await asyncio.wait_for(queue.get(), timeout=min(remaining, WAKE_SECONDS))
        except TimeoutError:
            continue
        while not queue.empty():
            ids |= queue.get_nowait()
        yield ids


async def dialog_changes(info: Info, feed: str,
                         dialog_id: UUID) -> AsyncGenerator[set[str], None]:
    """`changes` of one dialog's feed, while the dialog is in the subscriber's inbox (checked
    first and at each change: an operator who loses it hears nothing more)."""
    me = info.context.me
    app = info.context.app

    def visible() -> bool:
        with app.reads.connect() as conn:  # admins, supervisors, auditors: any dialog
            return entry_for(conn, info, dialog_id) is not None

    if not await to_thread.run_sync(visible):
        return
    async with app.feed.subscribe(feed, dialog_id) as queue:
        async for ids in changes(queue, me.expires_at):
            if not await to_thread.run_sync(visible):
                return
            yield ids
