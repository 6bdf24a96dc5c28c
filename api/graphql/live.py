"""What every live subscription does between its reads: wait for the changes of its feed, take
all that queued up at once, and end when the subscriber's token expires."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

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
