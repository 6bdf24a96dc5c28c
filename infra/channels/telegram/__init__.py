"""Telegram, through the Bot API (https://core.telegram.org/bots/api): clients write to the
company's bot; operators answer in the same inbox as WhatsApp.

Settings (`settings.py`): `SWITCHBOARD_TELEGRAM_BOT_TOKEN` (from @BotFather; set, the channel is
on), `SWITCHBOARD_TELEGRAM_WEBHOOK_SECRET` (required with a token), `SWITCHBOARD_TELEGRAM_API_URL`,
and how fast to send (`…_PER_CHAT_PER_SECOND`, `…_PER_BOT_PER_SECOND`).

Webhook: at start-up, in a thread of its own, `getMe` checks the token and `setWebhook {url:
<base_url>/webhooks/telegram, secret_token, allowed_updates: [message, edited_message]}` points
Telegram at us; Telegram accepts only HTTPS URLs on ports 443, 80, 88 and 8443, so
`SWITCHBOARD_PUBLIC_URL` must be such an address. Each update then comes as a POST with
`X-Telegram-Bot-Api-Secret-Token`; a webhook and `getUpdates` exclude each other.

Clients are `tg:<chat id>` (private chats only: groups and channels are ignored); a message's id
is `<chat id>:<message_id>`, so an update Telegram delivers twice is stored once. Edits change
the shown text. Files come by `file_id` through `getFile` — bots download at most 20 MB — and
go out as `sendPhoto` (up to 10 MB) or `sendDocument` (up to 50 MB) with a caption of at most
1024 characters; a text is at most 4096. Sends are paced to one a second per chat and 30 a
second in all (the FAQ's limits); a 429 `retry_after` holds every send until it passes.

`fake.py` is a Bot API on loopback for tests and local trials."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # infra/settings.py imports this package's settings: nothing of it here
    from infra.channels.context import ChannelContext
    from infra.channels.telegram.channel import TelegramChannel

__all__ = ["build"]


def build(ctx: ChannelContext) -> TelegramChannel | None:
    """The Telegram channel, or None when no bot token is set."""
    if not ctx.settings.telegram_enabled:
        return None
    from infra.channels.telegram.channel import TelegramChannel

    return TelegramChannel(ctx)
