"""The Telegram channel's settings, a mixin of the one settings object (`SWITCHBOARD_TELEGRAM_*`).

- `SWITCHBOARD_TELEGRAM_BOT_TOKEN`: the token @BotFather gave (`<bot id>:<secret>`, e.g.
  `110201543:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw`). Set, the channel is on.
- `SWITCHBOARD_TELEGRAM_WEBHOOK_SECRET`: passed to `setWebhook` as `secret_token`; Telegram sends
  it back in `X-Telegram-Bot-Api-Secret-Token` on every update, and an update without it is
  refused. The Bot API allows 1-256 characters of `A-Z`, `a-z`, `0-9`, `_` and `-`. Required
  with a token: without it the webhook would take updates from anyone.
- `SWITCHBOARD_TELEGRAM_API_URL`: `https://api.telegram.org` (a local Bot API server, or a fake
  in tests, elsewhere).
- `SWITCHBOARD_TELEGRAM_PER_CHAT_PER_SECOND`, `SWITCHBOARD_TELEGRAM_PER_BOT_PER_SECOND`: how fast
  sends go. Telegram's FAQ asks bots not to send more than one message per second to a chat
  and about 30 per second in all (https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-
  how-do-i-avoid-this).
- `SWITCHBOARD_TELEGRAM_SIMULATED`: play Telegram on this machine, with no outside account — the
  real adapter against the fake Bot API (`fake.py`) started in process on 127.0.0.1, and the
  phone page (`/phone`) or `switchboard phone send --channel telegram` as the clients. Unset
  (automatic): on in development (`SWITCHBOARD_ENV=development`, what `make run` uses) with the
  simulator as WhatsApp's gateway and no bot token; off in tests and production. `false`: off.
  `true`: on outside production whatever the WhatsApp gateway (refused in production, and
  beside a bot token: there is one Telegram channel)."""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SECRET_PATTERN = r"^[A-Za-z0-9_-]{0,256}$"  # noqa: S105 - a pattern
TOKEN_PATTERN = r"^(\d{1,20}:[A-Za-z0-9_-]{1,200})?$"  # noqa: S105 - a pattern


class TelegramSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SWITCHBOARD_", extra="ignore")

    telegram_bot_token: str = Field(
        default="", pattern=TOKEN_PATTERN,
        description="The bot's token from @BotFather; empty: no Telegram channel")
    telegram_webhook_secret: str = Field(
        default="", pattern=SECRET_PATTERN,
        description="setWebhook's secret_token: 1-256 of A-Z a-z 0-9 _ -")
    telegram_api_url: str = Field(default="https://api.telegram.org",
                                  pattern=r"^https?://\S+$",
                                  description="The Bot API server")
    telegram_per_chat_per_second: float = Field(default=1.0, gt=0, le=1000,
                                                description="Sends per second to one chat")
    telegram_per_bot_per_second: float = Field(default=30.0, gt=0, le=10000,
                                               description="Sends per second in all")
    telegram_simulated: bool | None = Field(
        default=None, description="Play Telegram here (a fake Bot API in process); default: on "
                                  "in development with the WhatsApp simulator and no bot token")

    @model_validator(mode="after")
    def require_telegram_webhook_secret(self) -> Self:
        """A bot token without a webhook secret is refused: every request to /webhooks/telegram
        would be taken as Telegram's."""
        if self.telegram_bot_token and not self.telegram_webhook_secret:
            raise ValueError(
                "SWITCHBOARD_TELEGRAM_BOT_TOKEN is set but SWITCHBOARD_TELEGRAM_WEBHOOK_SECRET is "
                "not: without it /webhooks/telegram would accept updates from anyone. Set it to "
                "1-256 characters of A-Z, a-z, 0-9, _ and - (e.g. the output of "
                "`python -c \"import secrets; print(secrets.token_urlsafe(32))\"`).")
        return self

    @model_validator(mode="after")
    def refuse_a_simulated_telegram_beside_a_bot(self) -> Self:
        if self.telegram_simulated and self.telegram_bot_token:
            raise ValueError(
                "SWITCHBOARD_TELEGRAM_SIMULATED=true and SWITCHBOARD_TELEGRAM_BOT_TOKEN are both "
                "set: there is one Telegram channel. Unset the token to play Telegram here, or "
                "SWITCHBOARD_TELEGRAM_SIMULATED to use the bot.")
        return self

    @property
    def telegram_enabled(self) -> bool:
        return bool(self.telegram_bot_token)

    # The environment is the one settings object's (infra/settings.py overrides these two);
    # these settings alone know none, and simulate nothing.
    @property
    def telegram_simulation_allowed(self) -> bool:
        """Whether Telegram may be simulated here at all (outside production)."""
        return False

    @property
    def telegram_simulated_by_default(self) -> bool:
        """The automatic rule, when `telegram_simulated` is unset."""
        return False

    @property
    def simulates_telegram(self) -> bool:
        """Whether the Telegram channel is played here against the fake Bot API: never with a
        bot token; else as `telegram_simulated` says (only where allowed), else automatically."""
        if self.telegram_bot_token:
            return False
        if self.telegram_simulated is not None:
            return self.telegram_simulated and self.telegram_simulation_allowed
        return self.telegram_simulated_by_default
