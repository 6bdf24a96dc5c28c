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

`fake.py` is a Bot API on loopback for tests and local trials. Without a token, in development
(`SWITCHBOARD_TELEGRAM_SIMULATED`, see `settings.py`), the channel is played against it in
process (`simulated.py`): the same adapter, the fake as Telegram, the phone page as the clients."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # infra/settings.py imports this package's settings: nothing of it here
    from infra.channels.context import ChannelContext
    from infra.channels.telegram.channel import TelegramChannel

__all__ = ["build"]


def build(ctx: ChannelContext) -> TelegramChannel | None:
    """The Telegram channel with the bot of the token; or, when Telegram is simulated here,
    against the fake Bot API started now on 127.0.0.1 (its token, a webhook secret derived
    from the simulator's, the channel's `stop` stops it); else None."""
    from infra.channels.telegram.channel import TelegramChannel

    settings = ctx.settings
    if settings.telegram_enabled:
        return TelegramChannel(ctx)
    if not settings.simulates_telegram:
        return None
    from infra.channels.telegram.gateway import BotApiTelegramGateway
    from infra.channels.telegram.simulated import SimulatedTelegram, webhook_secret

    simulated = SimulatedTelegram.start()
    gateway = BotApiTelegramGateway(
        simulated.url, simulated.token,
        per_chat_per_second=settings.telegram_per_chat_per_second,
        per_bot_per_second=settings.telegram_per_bot_per_second)
    return TelegramChannel(ctx, gateway, secret=webhook_secret(settings.simulator_secret),
                           simulated=simulated)
