"""What the channels' webhooks share: their answer to a stored message, counted in the metrics,
refusals counted per channel, and a readable reason for a malformed body."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from application.channels import WebhookRefused
from application.handlers import Received
from infra.metrics import DUPLICATES, HELD_MESSAGES, MESSAGES_IN, WEBHOOK_REFUSED


def refuse(channel: str, status: int, reason: str) -> WebhookRefused:
    WEBHOOK_REFUSED.labels(channel, str(status)).inc()
    return WebhookRefused(status, reason)


def counted(received: Received, channel: str) -> str:
    """accepted, duplicate or held (WhatsApp out of service), counted in the metrics."""
    if received.duplicate:
        DUPLICATES.labels(channel).inc()
        return "duplicate"
    if received.held:
        HELD_MESSAGES.labels(channel).inc()
        return "held"
    MESSAGES_IN.labels(channel).inc()
    return "accepted"


def answer(status: str, *, dialog_id: str | None = None,
           message_id: str | None = None) -> dict[str, Any]:
    """A webhook's answer about one delivery: `{status, dialog_id, message_id}`; status is
    accepted, duplicate, held (WhatsApp out of service), recorded or ignored."""
    return {"status": status, "dialog_id": dialog_id, "message_id": message_id}


def accepted(received: Received, channel: str) -> dict[str, Any]:
    """The answer to one stored message, counted."""
    return answer(counted(received, channel),
                  dialog_id=str(received.dialog_id) if received.dialog_id else None,
                  message_id=str(received.message_id))


def describe(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ())) or "body"
    return f"Malformed message: {where}: {first.get('msg', 'invalid')}"
