"""Recording a webhook item a channel trusted but could not read (domain/webhook_refusals.py):
channels call `Intake.refused(RefusedItem(...))`, which runs `RecordRefusedWebhookItem` here.
A redelivered item finds its record and changes nothing.

Handlers run inside the group-commit writer: no I/O, time comes in with the command."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from application.ports import UnitOfWork
from domain.webhook_refusals import RefusedWebhookItem, refused_item_id

__all__ = ["RecordRefusedWebhookItem", "RefusedItem"]


@dataclass(frozen=True)
class RefusedItem:
    """What a channel could not read: where in the request, the item's own id ("" when it has
    none or it could not be read), why, and the raw item as it came."""

    channel: str
    where: str
    item_id: str
    reason: str
    raw: bytes


@dataclass(frozen=True)
class RecordRefusedWebhookItem:
    channel: str
    where: str
    item_id: str
    reason: str
    raw: bytes
    received_at: datetime
    actor: str


def record_refused_webhook_item(cmd: RecordRefusedWebhookItem, uow: UnitOfWork) -> bool:
    """True when recorded now; False when this item was recorded before (a redelivery)."""
    if uow.is_recorded(refused_item_id(cmd.channel, cmd.item_id, cmd.raw)):
        return False
    uow.add(RefusedWebhookItem.record(
        channel=cmd.channel, where=cmd.where, item_id=cmd.item_id, reason=cmd.reason,
        raw=cmd.raw, received_at=cmd.received_at, actor=cmd.actor))
    return True


HANDLERS: dict[type, Callable[[Any, UnitOfWork], Any]] = {
    RecordRefusedWebhookItem: record_refused_webhook_item,
}
