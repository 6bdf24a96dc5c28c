"""CONTRIBUTING's recipe "add a channel", followed to the letter: a messenger written in one
module of the test suite (its webhook, its gateway) and registered with one line — the `build`
handed to the container — goes through webhook → inbox → reply like WhatsApp and Telegram,
with nothing else of the system changed."""

from __future__ import annotations

import hmac
import json
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from application.channels import (
    ChannelStatus,
    IncomingMessage,
    Intake,
    WebhookRefused,
    WebhookRequest,
)
from application.errors import DomainError
from application.ports import GatewayError, MediaFile
from infra.bootstrap import Container
from infra.channels.common import accepted, refuse
from infra.channels.context import ChannelContext
from infra.settings import Settings
from tests.conftest import (
    ADMIN_PASSWORD,
    LiveServer,
    make_settings,
    running_container,
    wait_for,
)
from tests.e2e.test_http_inbox import signed_in

SECRET = "pigeon-secret"
SEND = """mutation($d: ID!, $t: String!) { sendMessage(dialogId: $d, text: $t) { __typename
  ... on SendMessageSuccess { outgoing { id status } } ... on UserError { code message } } }"""
DIALOG = """query($id: ID!) { dialog(id: $id) { channel entry { client { name phone } channel }
  messages { direction text status } } }"""


# -- the channel: what a newcomer writes in infra/channels/<name>/ ------------------------------
class PigeonGateway:
    """The outbound side: each send is handed to the (pretend) pigeon loft."""

    kind = "pigeon"
    idempotent_sends = True
    reply_window = None

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self._ids: dict[str, str] = {}
        self._lock = threading.Lock()

    def send_text(self, to: str, text: str, idempotency_key: str) -> str:
        with self._lock:
            if idempotency_key not in self._ids:
                self.sent.append((to, text))
                self._ids[idempotency_key] = f"bird-{len(self._ids) + 1}"
            return self._ids[idempotency_key]

    def send_media(self, to: str, kind: str, file: MediaFile, caption: str,
                   idempotency_key: str) -> str:
        raise GatewayError("Pigeons carry no files.", code="GATEWAY_REFUSED", retryable=False)

    def download_media(self, source: str, max_bytes: int) -> MediaFile:
        raise GatewayError("Pigeons carry no files.", code="GATEWAY_REFUSED", retryable=False)

    def mark_read(self, to: str, external_ids: Sequence[str]) -> None:
        """Pigeons bring back no read receipts."""

    def typing(self, to: str, on: bool, latest: str | None) -> None:
        """Nor show anyone typing."""


class PigeonChannel:
    """The inbound side: a signed JSON note `{id, from, name, text}` becomes a client's
    message; clients are named by their loft, `pigeon:<loft>`."""

    name = "pigeon"
    medium = "pigeon"

    def __init__(self, intake: Intake) -> None:
        self.intake = intake
        self.gateway = PigeonGateway()

    async def webhook(self, request: WebhookRequest) -> Any:
        if not hmac.compare_digest(request.headers.get("x-pigeon-secret", ""), SECRET):
            raise WebhookRefused(401, "The note is not sealed.")
        try:
            note = json.loads(request.body)
            message = IncomingMessage(
                channel=self.name, external_id=str(note["id"]),
                sender=f"pigeon:{note['from']}", name=str(note.get("name", "")),
                text=str(note["text"]), sent_at=datetime.now(UTC))
        except (ValueError, KeyError, TypeError):
            raise WebhookRefused(422, "Malformed note.") from None
        try:
            return accepted(await self.intake.message(message), self.name)
        except DomainError as error:
            raise refuse(self.name, 422, error.message) from None

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def status(self) -> ChannelStatus:
        return ChannelStatus(name=self.name, medium=self.medium, ok=True)

    def check(self) -> ChannelStatus:
        return self.status()


def build(ctx: ChannelContext) -> PigeonChannel:
    return PigeonChannel(ctx.intake)


# -- the test --------------------------------------------------------------------------------
@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture
def app(settings: Settings) -> Iterator[tuple[Container, LiveServer]]:
    with running_container(settings, channels=(build,)) as container, \
            LiveServer(container) as server:
        yield container, server


def note(server: LiveServer, body: dict[str, Any], secret: str = SECRET) -> httpx.Response:
    return httpx.post(f"{server.url}/webhooks/pigeon", json=body,
                      headers={"x-pigeon-secret": secret}, timeout=10)


def test_a_channel_added_by_the_recipe_goes_from_webhook_to_inbox_to_reply(
        app: tuple[Container, LiveServer]) -> None:
    container, server = app
    admin = signed_in(server, "admin", ADMIN_PASSWORD)
    answer = note(server, {"id": "n1", "from": "rooftop", "name": "Ann", "text": "Coo?"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "accepted"
    dialog_id = answer.json()["dialog_id"]
    again = note(server, {"id": "n1", "from": "rooftop", "name": "Ann", "text": "Coo?"})
    assert again.json()["status"] == "duplicate"

    shown = wait_for(lambda: admin(DIALOG, {"id": dialog_id})["dialog"])
    assert shown["channel"] == "OTHER"  # a messenger the schema does not name yet
    assert shown["entry"]["client"] == {"name": "Ann", "phone": "pigeon:rooftop"}
    assert [m["text"] for m in shown["messages"]] == ["Coo?"]

    sent = admin(SEND, {"d": dialog_id, "t": "Coo."})["sendMessage"]
    assert sent["__typename"] == "SendMessageSuccess", sent
    gateway = container.channels.gateway("pigeon")
    assert isinstance(gateway, PigeonGateway)
    wait_for(lambda: gateway.sent)  # the sync job sends through the dialog's own channel
    assert gateway.sent == [("pigeon:rooftop", "Coo.")]
    wait_for(lambda: admin(DIALOG, {"id": dialog_id})["dialog"]["messages"][-1]
             == {"direction": "OUT", "text": "Coo.", "status": "SENT"})


def test_the_recipes_channel_refuses_what_it_does_not_trust_and_stores_nothing(
        app: tuple[Container, LiveServer]) -> None:
    container, server = app
    head = container.store.recorder.max_notification_id()
    assert note(server, {"id": "n2", "from": "x", "text": "hi"}, secret="forged").status_code \
        == 401
    assert note(server, {"from": "x"}).status_code == 422
    assert httpx.post(f"{server.url}/webhooks/carrier-owl", json={}, timeout=10).status_code \
        == 404  # no such channel here
    assert container.store.recorder.max_notification_id() == head
