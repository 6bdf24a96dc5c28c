"""The messenger channels active here as the admin area shows them: each one's name, messenger,
whether it works and why not, and Telegram's bot and webhook."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from api.graphql.inbox.types import Messenger
from api.graphql.time import utc
from application.channels import ChannelStatus

TELEGRAM = "telegram"


@strawberry.type(description="A messenger channel active here and how it stands. The Telegram "
                             "fields are null for other channels.")
class ChannelState:
    name: str = strawberry.field(
        description="The channel: simulator, waha, cloud (WhatsApp's gateways) or telegram; "
                    "its webhook is /webhooks/<name>.")
    messenger: Messenger
    ok: bool = strawberry.field(description="Whether it receives and sends.")
    error: str = strawberry.field(description="What is wrong, in English; empty when it works.")
    error_code: str | None = strawberry.field(
        default=None, description="What is wrong, as a stable code (null when it works): "
                                  "NOT_CHECKED, WEBHOOK_ELSEWHERE, UNEXPECTED or a gateway "
                                  "error's code (TELEGRAM_UNAUTHORIZED, GATEWAY_UNREACHABLE, …).")
    bot: str | None = strawberry.field(
        default=None, description="Telegram: the bot's @username (null until getMe answered).")
    webhook_url: str | None = strawberry.field(
        default=None, description="Telegram: the URL Telegram delivers updates to (null when "
                                  "no webhook is set).")
    webhook_set: bool | None = strawberry.field(
        default=None, description="Telegram: whether the webhook points at this server.")
    pending_updates: int | None = strawberry.field(
        default=None, description="Telegram: updates waiting to be delivered to the webhook.")
    last_error: str | None = strawberry.field(
        default=None, description="Telegram: Telegram's last error delivering to the webhook, "
                                  "in its own words.")
    checked_at: datetime | None = strawberry.field(
        default=None, description="Telegram: when the bot was last asked about.")
    simulated: bool = strawberry.field(
        default=False, description="Whether the built-in simulator plays this messenger "
                                   "(development: no outside account behind it).")

    @classmethod
    def of(cls, status: ChannelStatus) -> ChannelState:
        state = cls(name=status.name, messenger=Messenger.of(status.medium), ok=status.ok,
                    error=status.error, error_code=status.code or None)
        if status.medium != TELEGRAM:
            return state
        detail = status.detail
        state.bot = _text(detail.get("bot"))
        state.webhook_url = _text(detail.get("webhook_url"))
        state.webhook_set = bool(detail.get("webhook_set"))
        pending = detail.get("pending_update_count")
        state.pending_updates = pending if isinstance(pending, int) else None
        state.last_error = _text(detail.get("last_error"))
        checked = detail.get("checked_at")
        state.checked_at = utc(checked) if isinstance(checked, datetime) else None
        state.simulated = bool(detail.get("simulated"))
        return state


@strawberry.type
class ChannelStatePayload:
    channel: ChannelState


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
