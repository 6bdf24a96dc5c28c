"""When Telegram is played here against the fake Bot API: automatically in development with the
WhatsApp simulator and no bot token — never in production, never beside a real bot token, not in
tests unless asked for; `build` then starts the fake and the channel's `stop` stops it."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from infra.channels.context import ChannelContext
from infra.channels.telegram import build
from infra.channels.telegram.channel import TelegramChannel
from infra.channels.telegram.fake import SECRET, TOKEN
from infra.channels.telegram.settings import SECRET_PATTERN
from infra.channels.telegram.simulated import webhook_secret
from infra.settings import Settings

PRODUCTION = {"env": "production", "secret_key": "a-real-secret-1",
              "simulator_secret": "a-real-secret-2", "gateway": "waha",
              "waha_url": "http://127.0.0.1:9", "waha_api_key": "key", "waha_hmac_key": "hmac"}
BOT = {"telegram_bot_token": TOKEN, "telegram_webhook_secret": SECRET}
WAHA = {k: v for k, v in PRODUCTION.items() if k.startswith(("gateway", "waha"))}


def settings(**values: Any) -> Settings:
    return Settings(_env_file=None, database_url="sqlite:///unused.db", **values)  # type: ignore[call-arg]


def test_development_with_the_simulator_and_no_token_plays_telegram() -> None:
    assert settings(env="development").simulates_telegram is True


@pytest.mark.parametrize("values", [
    pytest.param(PRODUCTION, id="production"),
    pytest.param({**PRODUCTION, **BOT}, id="production with a bot"),
    pytest.param({"env": "development", **BOT}, id="a real bot token"),
    pytest.param({"env": "development", **WAHA}, id="WhatsApp through WAHA"),
    pytest.param({"env": "test"}, id="tests"),
    pytest.param({"env": "development", "telegram_simulated": False}, id="turned off"),
])
def test_the_automatic_rule_keeps_telegram_real_or_off(values: dict[str, Any]) -> None:
    assert settings(**values).simulates_telegram is False


def test_asked_for_it_is_played_outside_production_whatever_the_whatsapp_gateway() -> None:
    assert settings(env="test", telegram_simulated=True).simulates_telegram is True
    assert settings(env="development", telegram_simulated=True, **WAHA).simulates_telegram


def test_asking_for_it_in_production_or_beside_a_bot_token_is_refused() -> None:
    with pytest.raises(ValidationError, match="not in production"):
        settings(**PRODUCTION, telegram_simulated=True)
    with pytest.raises(ValidationError, match="one Telegram channel"):
        settings(env="development", telegram_simulated=True, **BOT)


def test_the_webhook_secret_is_derived_from_the_simulators_and_telegram_takes_it() -> None:
    secret = webhook_secret("test-sim")
    assert re.match(SECRET_PATTERN, secret) and len(secret) >= 32
    assert secret == webhook_secret("test-sim") != webhook_secret("another-secret")
    assert "test-sim" not in secret


def context(values: Settings) -> ChannelContext:
    unset: Any = None  # build reads only the settings; the channel, the clock when it checks
    return ChannelContext(settings=values, intake=unset, clock=unset, views=unset,
                          whatsapp=unset)


def test_build_plays_telegram_against_a_fake_it_started_and_stop_stops_it() -> None:
    channel = build(context(settings(env="development")))
    assert isinstance(channel, TelegramChannel) and channel.simulated is not None
    url = channel.simulated.url
    assert url.startswith("http://127.0.0.1:")
    assert httpx.get(f"{url}/bot{TOKEN}/getMe", timeout=5).json()["ok"] is True
    channel.stop()
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"{url}/bot{TOKEN}/getMe", timeout=2)
    channel.stop()  # twice changes nothing


def test_build_with_a_bot_token_talks_to_telegram_and_plays_nothing() -> None:
    channel = build(context(settings(env="development", **BOT)))
    assert isinstance(channel, TelegramChannel) and channel.simulated is None
    channel.stop()
    assert build(context(settings(**PRODUCTION))) is None
