"""The Telegram channel: its webhook (`POST /webhooks/telegram`), its gateway, and the bot's
standing for the admin area.

Telegram proves an update is its own by one header, `X-Telegram-Bot-Api-Secret-Token`, the
`secret_token` given to `setWebhook`; a request without it, or with another, is refused (401)
before anything is read. Telegram repeats an update until it is answered 2xx ("we will repeat
the request and give up after a reasonable number of attempts"): a repeated message changes
nothing, its id here (`<chat id>:<message_id>`) is already recorded. So an update with the
right secret that cannot be read (not JSON, not an Update) or that the domain refuses is not
answered with an error Telegram would repeat: it is recorded once (by its `update_id`, else a
hash of the body; `Intake.refused`), counted in `switchboard_webhook_items_refused_total` and
answered 200 `{status: "refused", reason, update_id}`."""

from __future__ import annotations

import hmac
import json
import logging
import threading
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from application.channels import (
    ChannelStatus,
    Outbound,
    RefusedItem,
    WebhookRequest,
)
from application.errors import DomainError
from application.ports import GatewayError
from infra.channels.common import accepted, refuse
from infra.channels.context import ChannelContext
from infra.channels.telegram.gateway import ALLOWED_UPDATES, BotApiTelegramGateway
from infra.channels.telegram.updates import CHANNEL, Unreadable, read_update
from infra.metrics import WEBHOOK_ITEMS_REFUSED

if TYPE_CHECKING:  # the simulated Telegram is loaded only where it is played
    from infra.channels.telegram.simulated import SimulatedTelegram

log = logging.getLogger(__name__)
SECRET_HEADER = "x-telegram-bot-api-secret-token"  # noqa: S105 - a header name
# What can be wrong besides a gateway error's own code (TELEGRAM_UNAUTHORIZED, …).
NOT_CHECKED = "NOT_CHECKED"
ELSEWHERE = "WEBHOOK_ELSEWHERE"
UNEXPECTED = "UNEXPECTED"


class TelegramBotApi(Outbound, Protocol):
    """What the channel asks of the Bot API besides sending: the bot and its webhook."""

    def get_me(self) -> dict[str, Any]: ...

    def set_webhook(self, url: str, secret_token: str,
                    allowed_updates: list[str] | None = None) -> bool: ...

    def webhook_info(self) -> dict[str, Any]: ...

    def close(self) -> None: ...


class TelegramChannel:
    name = CHANNEL
    medium = CHANNEL

    def __init__(self, ctx: ChannelContext, gateway: TelegramBotApi | None = None, *,
                 secret: str | None = None, simulated: SimulatedTelegram | None = None) -> None:
        """`secret` replaces the settings' webhook secret; `simulated` is the Telegram played
        here that `gateway` talks to (stopped with the channel), else None."""
        settings = ctx.settings
        self._ctx = ctx
        self._secret = settings.telegram_webhook_secret if secret is None else secret
        self.simulated = simulated
        self.webhook_url = f"{settings.base_url}/webhooks/telegram"
        self._api: TelegramBotApi = gateway or BotApiTelegramGateway(
            settings.telegram_api_url, settings.telegram_bot_token,
            per_chat_per_second=settings.telegram_per_chat_per_second,
            per_bot_per_second=settings.telegram_per_bot_per_second)
        self.gateway: Outbound = self._api
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._bot = ""
        self._webhook: dict[str, Any] = {}
        self._problem = (NOT_CHECKED, "Not checked yet.")  # (code, the same in English)
        self._checked_at: datetime | None = None

    # -- the webhook -----------------------------------------------------------------------
    async def webhook(self, request: WebhookRequest) -> Any:
        if request.method.upper() != "POST":
            raise refuse(CHANNEL, 405, "Telegram delivers updates by POST.")
        given = request.headers.get(SECRET_HEADER, "")
        if not given:
            raise refuse(CHANNEL, 401, "The update does not carry "
                                       "X-Telegram-Bot-Api-Secret-Token.")
        if not self._secret or not hmac.compare_digest(given.encode(), self._secret.encode()):
            raise refuse(CHANNEL, 401, "X-Telegram-Bot-Api-Secret-Token does not match.")
        try:
            parsed = read_update(request.body)
        except Unreadable as error:
            return await self._unreadable(request.body, str(error), "malformed_update")
        try:
            if parsed.message is not None:
                received = await self._ctx.intake.message(parsed.message)
                return {**accepted(received, CHANNEL), "update_id": parsed.update_id}
            if parsed.edit is not None:
                changed = await self._ctx.intake.edited(parsed.edit)
                return {"status": "edited" if changed else "unknown",
                        "update_id": parsed.update_id}
        except DomainError as error:
            return await self._unreadable(request.body, error.message, "refused")
        return {"status": "ignored", "update_id": parsed.update_id}

    async def _unreadable(self, body: bytes, reason: str, code: str) -> dict[str, Any]:
        """An update with the right secret that cannot be read (or that the domain refuses):
        recorded once by its update_id (else a hash of it), counted, and answered 200 —
        Telegram repeats anything else, and this will never become readable."""
        WEBHOOK_ITEMS_REFUSED.labels(CHANNEL, code).inc()
        update_id = _update_id(body)
        await self._ctx.intake.refused(RefusedItem(
            channel=CHANNEL, where="update", item_id=str(update_id) if update_id is not None
            else "", reason=reason, raw=body))
        return {"status": "refused", "reason": reason, "update_id": update_id}

    # -- the bot's standing ------------------------------------------------------------------
    def start(self) -> None:
        """Checks the token and registers the webhook (`check`) in a thread of its own:
        start-up never waits for Telegram, and a failure is only reported (status)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._thread = threading.Thread(target=self._check_quietly, name="telegram-webhook",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._api.close()
        if self.simulated is not None:
            self.simulated.stop()

    def check(self) -> ChannelStatus:
        """getMe, then getWebhookInfo, and setWebhook (`<base_url>/webhooks/telegram`, the
        secret, the update kinds we take) when the webhook is not ours — at start, and from the
        admin area. Blocks on Telegram: call it from a thread."""
        try:
            self._got_bot(self._api.get_me())
            info = self._api.webhook_info()
            if info.get("url") != self.webhook_url:
                self._api.set_webhook(self.webhook_url, self._secret, list(ALLOWED_UPDATES))
                info = self._api.webhook_info()
            self._got_webhook(info)
        except GatewayError as error:
            self._failed(error.code, error.message)
        return self.status()

    def status(self) -> ChannelStatus:
        with self._lock:
            webhook = dict(self._webhook)
            registered = webhook.get("url") == self.webhook_url
            code, error = self._problem
            if not code and self._bot and not registered:
                code, error = ELSEWHERE, f"The webhook is not set to {self.webhook_url}."
            detail = {
                "bot": f"@{self._bot}" if self._bot else "",
                "webhook_url": webhook.get("url", ""),
                "expected_webhook_url": self.webhook_url,
                "webhook_set": registered,
                "pending_update_count": webhook.get("pending_update_count"),
                "last_error": webhook.get("last_error_message", ""),  # Telegram's own words
                "checked_at": self._checked_at,
                "simulated": self.simulated is not None,
            }
            return ChannelStatus(name=self.name, medium=self.medium, ok=not code,
                                 detail=detail, error=error, code=code)

    # -- inside ----------------------------------------------------------------------------
    def _check_quietly(self) -> None:
        try:
            outcome = self.check()
        except Exception as error:  # a thread of its own: it reports, never raises
            log.warning("telegram webhook registration failed", exc_info=True)
            self._failed(UNEXPECTED, f"{type(error).__name__}: {error}")
            return
        if outcome.ok:
            log.info("telegram webhook registered for %s", outcome.detail.get("bot"))
        else:
            log.warning("telegram channel not ready: %s", outcome.error)

    def _got_bot(self, me: dict[str, Any]) -> None:
        username = me.get("username")
        with self._lock:
            self._bot = str(username) if isinstance(username, str) else ""
            self._problem = ("", "")
            self._checked_at = self._ctx.clock.now()

    def _got_webhook(self, info: dict[str, Any]) -> None:
        with self._lock:
            self._webhook = info
            self._checked_at = self._ctx.clock.now()

    def _failed(self, code: str, message: str) -> None:
        with self._lock:
            self._problem = (code, message)
            self._checked_at = self._ctx.clock.now()


def _update_id(body: bytes) -> int | None:
    """The update's `update_id` when the body is an object with an integer one."""
    try:
        value = json.loads(body)
    except ValueError:
        return None
    found = value.get("update_id") if isinstance(value, dict) else None
    return found if isinstance(found, int) and not isinstance(found, bool) \
        and -(2**63) <= found < 2**63 else None
