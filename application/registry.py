"""Every feature's command handlers, in one table for the writer. A feature module exports
`HANDLERS: dict[command type, handler]`; add it to FEATURES."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

from application import (
    calls,
    channel,
    client_card,
    colleagues,
    conversation,
    labels,
    media,
    outbox,
    people,
    quick_replies,
    routing,
    setup,
    templates,
    webhook_refusals,
)
from application import handlers as inbox
from application.ports import UnitOfWork

FEATURES: tuple[ModuleType, ...] = (inbox, setup, routing, channel, outbox, colleagues, media,
                                     templates, conversation, labels, webhook_refusals,
                                     client_card, quick_replies, calls, people)


def all_handlers() -> dict[type, Callable[[Any, UnitOfWork], Any]]:
    merged: dict[type, Callable[[Any, UnitOfWork], Any]] = {}
    for feature in FEATURES:
        for command, handler in feature.HANDLERS.items():
            if command in merged:
                raise RuntimeError(f"Two handlers for {command.__name__}")
            merged[command] = handler
    return merged
