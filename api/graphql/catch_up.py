"""Read-your-writes for mutations: wait (a little) until read models hold every event stored so
far, so that a mutation answers with what it just changed. Shared by the features' resolvers."""

from __future__ import annotations

import asyncio
import time

from anyio import to_thread

from infra.bootstrap import Container

CATCH_UP_SECONDS = 3.0


async def read_models_caught_up(container: Container, *names: str,
                                seconds: float = CATCH_UP_SECONDS) -> None:
    """Returns once each named projection has reached the log's head as it is now, or after
    `seconds` (the answer is then a little behind, as any read may be)."""
    runners = [r for r in container.projector.runners if r.name in names]
    if not runners:
        return
    head = await to_thread.run_sync(lambda: container.store.recorder.max_notification_id() or 0)
    deadline = time.monotonic() + seconds
    for runner in runners:
        while time.monotonic() < deadline:
            status = await to_thread.run_sync(runner.status)
            if status.position >= head:
                break
            container.projector.wake()
            await asyncio.sleep(0.01)
