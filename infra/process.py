"""What a long-running process (`serve`, `projections run`) does once it has started up."""

from __future__ import annotations

import gc

from infra.settings import Settings


def settle_memory(settings: Settings) -> None:
    """Freezes what start-up allocated (modules, the schema, the app: never garbage) out of the
    cyclic collector's sight, and makes its young collections rarer. With Python's defaults a
    busy server ran a collection every few hundred requests and the full ones, walking every
    object, stalled requests for tens of milliseconds (webhook p99 131 ms at 1,000 messages/s,
    25 ms with this; bench/README.md)."""
    gc.collect()
    gc.freeze()
    if settings.gc_threshold:
        young, middle, old = (int(part) for part in settings.gc_threshold.split(","))
        gc.set_threshold(young, middle, old)
