"""Read-your-writes for mutations: wait (a little) until read models hold every event stored so
far, so that a mutation answers with what it just changed. Shared by the features' resolvers."""

from __future__ import annotations

from application.services import Services

CATCH_UP_SECONDS = 3.0


async def read_models_caught_up(app: Services, *names: str,
                                seconds: float = CATCH_UP_SECONDS) -> None:
    """Returns once each named projection has reached the log's head as it is now, or after
    `seconds` (the answer is then a little behind, as any read may be)."""
    await app.catch_up.wait(*names, seconds=seconds)
