"""One contract for every channel's gateway: WhatsApp's simulator, WAHA (against a fake WAHA on
loopback) and the Cloud API (against a fake Graph API), and Telegram's Bot API (against a fake Bot
API). What only some gateways do (a session with a status, linking by QR code, idempotent sends)
is checked where they declare it."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from application.channels import DeliveryReport, WebhookRequest
from application.ports import GatewayError, MediaFile, WhatsAppGateway
from infra.channels.cloud.fake import FakeGraph
from infra.channels.cloud.gateway import CloudWhatsAppGateway
from infra.channels.fakeserver import FakeServer, Request
from infra.channels.simulator.gateway import SimulatorWhatsAppGateway
from infra.channels.telegram.fake import TOKEN as BOT_TOKEN
from infra.channels.telegram.fake import FakeBotApi
from infra.channels.telegram.gateway import BotApiTelegramGateway
from infra.channels.waha.fake import ENGINES, FakeWaha
from infra.channels.waha.gateway import WahaWhatsAppGateway, last_retry_after, retries_within
from infra.channels.waha.webhook import WahaReceiver
from tests.conftest import make_settings

CLIENT = "+79161234567"


class Clock:
    def __init__(self) -> None:
        self.at = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at


class Harness:
    """An adapter and the other side of it: the phone, WAHA, Meta or Telegram."""

    gateway: Any
    client = CLIENT  # how the gateway names the client it writes to
    unauthorized = "GATEWAY_UNAUTHORIZED"  # the code of a refused token
    has_session = True  # a WhatsApp session: a status, dropped and reconnected

    def link(self) -> None:
        """Brings the gateway to WORKING the way its users do."""

    def scan(self) -> None:
        raise NotImplementedError

    def received(self, phone: str) -> list[str]:
        raise NotImplementedError

    def drop(self) -> None:
        raise NotImplementedError

    def restore(self) -> None:
        raise NotImplementedError

    def with_wrong_credentials(self) -> WhatsAppGateway | None:
        return None

    def client_file(self, content: bytes, mime: str) -> str:
        """A client's file on the gateway's side; answers what a webhook names it by."""
        raise NotImplementedError

    def close(self) -> None:
        pass


class SimulatorHarness(Harness):
    def __init__(self) -> None:
        self.gateway = SimulatorWhatsAppGateway("+15555550100")

    def link(self) -> None:
        self.gateway.start()
        self.gateway.qr_code()
        self.scan()

    def scan(self) -> None:
        self.gateway.scan()

    def received(self, phone: str) -> list[str]:
        return [m.text for m in self.gateway.sent_to(phone)]

    def drop(self) -> None:
        self.gateway.drop()

    def restore(self) -> None:
        self.gateway.restore()

    def client_file(self, content: bytes, mime: str) -> str:
        return str(self.gateway.upload(MediaFile(content=content, mime_type=mime)))


class WahaHarness(Harness):
    def __init__(self, engine: str = "WEBJS") -> None:
        self.fake = FakeWaha(engine=engine).start()
        self.gateway = self._gateway("waha-test-key")

    def _gateway(self, key: str) -> WahaWhatsAppGateway:
        return WahaWhatsAppGateway(url=self.fake.url, api_key=key, session="default",
                                   webhook_url="", hmac_key="", timeout=5)

    def link(self) -> None:
        self.gateway.start()
        self.gateway.qr_code()
        self.scan()

    def scan(self) -> None:
        self.fake.scan()

    def received(self, phone: str) -> list[str]:
        chat = phone.lstrip("+") + "@c.us"
        return [m["text"] for m in self.fake.sent if m["chatId"] == chat]

    def drop(self) -> None:
        self.fake.drop()

    def restore(self) -> None:
        self.fake.restore()

    def with_wrong_credentials(self) -> WhatsAppGateway:
        return self._gateway("a guess")

    def client_file(self, content: bytes, mime: str) -> str:
        name = f"default/false_{len(self.fake.files)}.bin"
        self.fake.files[name] = (content, mime)
        return f"http://localhost:3000/api/files/{name}"  # WAHA's idea of its own address

    def close(self) -> None:
        self.gateway.close()
        self.fake.stop()


class CloudHarness(Harness):
    def __init__(self) -> None:
        self.fake = FakeGraph().start()
        self.clock = Clock()
        self.last: dict[str, datetime] = {CLIENT: self.clock.at - timedelta(hours=1)}
        self.gateway = self._gateway("graph-test-token")

    def _gateway(self, token: str) -> CloudWhatsAppGateway:
        return CloudWhatsAppGateway(
            graph_url=self.fake.url, access_token=token,
            phone_number_id=self.fake.phone_number_id, last_client_message=self.last.get,
            clock=self.clock, timeout=5)

    def received(self, phone: str) -> list[str]:
        return [m["text"]["body"] for m in self.fake.sent if m.get("to") == phone.lstrip("+")]

    def drop(self) -> None:
        self.fake.failing = True

    def restore(self) -> None:
        self.fake.failing = False

    def with_wrong_credentials(self) -> WhatsAppGateway:
        return self._gateway("a guess")

    def client_file(self, content: bytes, mime: str) -> str:
        media_id = f"{1000 + len(self.fake.media)}"
        self.fake.media[media_id] = (content, mime)
        return media_id

    def close(self) -> None:
        self.gateway.close()
        self.fake.stop()


class TelegramHarness(Harness):
    """The Bot API has no session to link: the token is the bot. Pacing (one send a second to a
    chat) runs on a clock that the pauses move, so nothing waits."""

    client = "tg:79161234567"
    unauthorized = "TELEGRAM_UNAUTHORIZED"
    has_session = False

    def __init__(self) -> None:
        self.fake = FakeBotApi().start()
        self.now = 1000.0
        self.gateway = self._gateway(BOT_TOKEN)

    def _tick(self, seconds: float) -> None:
        self.now += seconds

    def _gateway(self, token: str) -> BotApiTelegramGateway:
        return BotApiTelegramGateway(self.fake.url, token, clock=lambda: self.now,
                                     sleep=self._tick, timeout=5)

    def received(self, phone: str) -> list[str]:
        chat = int(phone.removeprefix("tg:"))
        return [str(m.get("text") or m.get("caption") or "") for m in self.fake.sent(chat)]

    def drop(self) -> None:
        self.fake.down = True

    def restore(self) -> None:
        self.fake.down = False

    def with_wrong_credentials(self) -> Any:
        return self._gateway("123456:a-guess")

    def client_file(self, content: bytes, mime: str) -> str:
        return str(self.fake.add_file(content, mime))

    def close(self) -> None:
        self.gateway.close()
        self.fake.stop()


@pytest.fixture(params=["simulator", *(f"waha-{e}" for e in ENGINES), "cloud", "telegram"])
def harness(request: pytest.FixtureRequest) -> Iterator[Harness]:
    name, _, engine = str(request.param).partition("-")
    if name == "waha":  # WAHA as each of its engines answers
        built: Harness = WahaHarness(engine)
    else:
        built = {"simulator": SimulatorHarness, "cloud": CloudHarness,
                 "telegram": TelegramHarness}[name]()
    try:
        yield built
    finally:
        built.close()


def linking_only(harness: Harness) -> None:
    if not harness.has_session or not harness.gateway.supports_linking:
        pytest.skip(f"{harness.gateway.kind} links no devices")


def session_only(harness: Harness) -> None:
    if not harness.has_session:
        pytest.skip(f"{harness.gateway.kind} has no session to watch")


class TestEveryGateway:
    def test_it_names_its_kind_and_what_it_supports(self, harness: Harness) -> None:
        gateway = harness.gateway
        assert gateway.kind in ("simulator", "waha", "cloud", "telegram")
        assert isinstance(gateway.idempotent_sends, bool)
        if harness.has_session:
            assert isinstance(gateway.supports_linking, bool)

    def test_once_linked_it_reports_working_with_the_company_number(self,
                                                                    harness: Harness) -> None:
        session_only(harness)
        harness.link()
        session = harness.gateway.status()
        assert session.status == "WORKING"
        assert session.account is not None
        assert session.account.phone.startswith("+") and session.account.device

    def test_a_sent_text_reaches_the_client_and_its_id_comes_back(self,
                                                                  harness: Harness) -> None:
        harness.link()
        first = harness.gateway.send_text(harness.client, "Hello from Acme", "key-1")
        second = harness.gateway.send_text(harness.client, "And again", "key-2")
        assert first and second and first != second
        assert harness.received(harness.client) == ["Hello from Acme", "And again"]

    def test_a_lost_connection_shows_in_the_status_and_sending_fails_retryably(
        self, harness: Harness
    ) -> None:
        harness.link()
        harness.drop()
        if harness.has_session:
            assert harness.gateway.status().status != "WORKING"
        with pytest.raises(GatewayError) as refused:
            harness.gateway.send_text(harness.client, "Lost?", "key-lost")
        assert refused.value.retryable
        assert harness.received(harness.client) == []

    def test_reconnecting_after_the_connection_is_back_works_again(self,
                                                                    harness: Harness) -> None:
        session_only(harness)
        harness.link()
        harness.drop()
        harness.restore()
        assert harness.gateway.reconnect().status == "WORKING"
        assert harness.gateway.send_text(harness.client, "Back", "key-back")

    def test_wrong_credentials_are_refused_for_good_not_retried(self,
                                                                harness: Harness) -> None:
        wrong = harness.with_wrong_credentials()
        if wrong is None:
            pytest.skip("the simulator has no credentials")
        with pytest.raises(GatewayError) as refused:
            wrong.send_text(harness.client, "Hi", "key-x")
        assert refused.value.code == harness.unauthorized
        assert not refused.value.retryable
        if not harness.has_session:
            return
        try:
            assert wrong.status().status != "WORKING"
        except GatewayError as error:
            assert not error.retryable

    def test_a_repeated_idempotency_key_sends_once_where_the_gateway_promises_it(
        self, harness: Harness
    ) -> None:
        if not harness.gateway.idempotent_sends:
            pytest.skip(f"{harness.gateway.kind} takes no idempotency key")
        harness.link()
        first = harness.gateway.send_text(harness.client, "Once", "same-key")
        again = harness.gateway.send_text(harness.client, "Once", "same-key")
        assert first == again
        assert harness.received(harness.client) == ["Once"]

    # -- media -----------------------------------------------------------------------------
    def test_a_clients_file_is_downloaded_whole_with_its_type(self, harness: Harness) -> None:
        content = b"%PDF-1.4 a contract " + bytes(range(256)) * 8
        source = harness.client_file(content, "application/pdf")
        file = harness.gateway.download_media(source, max_bytes=1024 * 1024)
        assert file.content == content
        assert file.mime_type == "application/pdf"

    def test_a_file_over_the_limit_is_refused_for_good_without_reading_it_whole(
        self, harness: Harness
    ) -> None:
        source = harness.client_file(b"\x89PNG\r\n\x1a\n" + b"0" * 5000, "image/png")
        with pytest.raises(GatewayError) as refused:
            harness.gateway.download_media(source, max_bytes=1000)
        assert refused.value.code == "FILE_TOO_LARGE" and not refused.value.retryable

    def test_a_file_the_gateway_no_longer_has_is_gone_for_good(self, harness: Harness) -> None:
        source = harness.client_file(b"x", "text/plain")
        missing = source[:-1] + ("9" if source[-1] != "9" else "8")
        with pytest.raises(GatewayError) as refused:
            harness.gateway.download_media(missing, max_bytes=1000)
        assert not refused.value.retryable

    def test_an_image_with_a_caption_reaches_the_client(self, harness: Harness) -> None:
        harness.link()
        image = MediaFile(content=b"\x89PNG\r\n\x1a\n" + b"\0" * 64, mime_type="image/png",
                          file_name="plan.png")
        first = harness.gateway.send_media(harness.client, "image", image, "The plan", "media-1")
        document = MediaFile(content=b"%PDF-1.4 ...", mime_type="application/pdf",
                             file_name="offer.pdf")
        second = harness.gateway.send_media(harness.client, "document", document, "", "media-2")
        assert first and second and first != second
        assert harness.received(harness.client) == ["The plan", ""]

    # -- linking ---------------------------------------------------------------------------
    def test_starting_a_session_offers_a_qr_code_and_a_scan_links_it(self,
                                                                     harness: Harness) -> None:
        linking_only(harness)
        assert harness.gateway.start().status == "SCAN_QR_CODE"
        value = harness.gateway.qr_code()
        assert value.startswith("2@") and len(value) > 20
        harness.scan()
        assert harness.gateway.status().status == "WORKING"

    def test_a_pairing_code_is_offered_for_a_number_instead_of_a_scan(
        self, harness: Harness
    ) -> None:
        linking_only(harness)
        harness.gateway.start()
        code = harness.gateway.request_pairing_code(harness.client)
        assert len(code) == 9 and code[4] == "-"

    def test_no_qr_code_is_given_once_linked(self, harness: Harness) -> None:
        linking_only(harness)
        harness.link()
        with pytest.raises(GatewayError):
            harness.gateway.qr_code()

    def test_logout_unlinks_and_linking_again_needs_a_new_scan(self, harness: Harness) -> None:
        linking_only(harness)
        harness.link()
        harness.gateway.logout()
        assert harness.gateway.status().status == "STOPPED"
        assert harness.gateway.start().status == "SCAN_QR_CODE"
        assert harness.gateway.qr_code()
        harness.scan()
        assert harness.gateway.status().status == "WORKING"

    def test_a_gateway_without_linked_devices_says_so_when_asked_for_a_code(
        self, harness: Harness
    ) -> None:
        session_only(harness)
        if harness.gateway.supports_linking:
            pytest.skip("this gateway links devices")
        with pytest.raises(GatewayError) as refused:
            harness.gateway.qr_code()
        assert refused.value.code == "NOT_SUPPORTED"


class TestCloudReplyWindow:
    def test_free_text_beyond_24_hours_is_refused_before_any_request(self) -> None:
        harness = CloudHarness()
        try:
            harness.last[CLIENT] = harness.clock.at - timedelta(hours=24, minutes=1)
            with pytest.raises(GatewayError) as refused:
                harness.gateway.send_text(CLIENT, "Still there?", "k")
            assert refused.value.code == "OUTSIDE_REPLY_WINDOW"
            assert not refused.value.retryable
            assert not any(r[1].endswith("/messages") for r in harness.fake.server.requests)
        finally:
            harness.close()

    def test_a_client_who_never_wrote_cannot_be_sent_free_text(self) -> None:
        harness = CloudHarness()
        try:
            with pytest.raises(GatewayError) as refused:
                harness.gateway.send_text("+79160000000", "Hello", "k")
            assert refused.value.code == "OUTSIDE_REPLY_WINDOW"
        finally:
            harness.close()

    def test_error_131047_from_the_api_is_the_same_clear_error(self) -> None:
        harness = CloudHarness()
        try:
            harness.fake.outside_window.add(CLIENT.lstrip("+"))
            with pytest.raises(GatewayError) as refused:
                harness.gateway.send_text(CLIENT, "Hello", "k")
            assert refused.value.code == "OUTSIDE_REPLY_WINDOW"
            assert "24 hours" in refused.value.message
        finally:
            harness.close()

    def test_the_idempotency_key_travels_as_callback_data(self) -> None:
        harness = CloudHarness()
        try:
            harness.gateway.send_text(CLIENT, "Hello", "outbox-42")
            assert harness.fake.sent[0]["biz_opaque_callback_data"] == "outbox-42"
            assert harness.fake.sent[0]["to"] == "79161234567"
        finally:
            harness.close()


class TestCloudClientsAndLimits:
    def test_a_client_known_only_by_a_business_scoped_user_id_is_written_to_at_recipient(
            self) -> None:
        harness = CloudHarness()
        try:
            user = "bsuid:US.13491208655302741918"
            harness.last[user] = harness.clock.at
            assert harness.gateway.send_text(user, "Hello", "k").startswith("wamid.")
            [sent] = harness.fake.sent
            assert sent["recipient"] == "US.13491208655302741918" and "to" not in sent
        finally:
            harness.close()

    def test_error_131056_is_retryable_and_holds_that_client_for_a_pause_that_doubles(
            self) -> None:
        harness = CloudHarness()
        try:
            other = "+79167654321"
            harness.last[other] = harness.clock.at
            harness.fake.pair_limited["79161234567"] = 2
            with pytest.raises(GatewayError) as limited:
                harness.gateway.send_text(CLIENT, "One", "k1")
            assert (limited.value.code, limited.value.retryable) == (
                "CLOUD_PAIR_RATE_LIMIT", True)
            asked = len(harness.fake.server.requests)
            harness.clock.at += timedelta(seconds=5)
            with pytest.raises(GatewayError) as held:
                harness.gateway.send_text(CLIENT, "Two", "k2")
            assert held.value.retryable and len(harness.fake.server.requests) == asked
            assert harness.gateway.send_text(other, "Others are not held", "k3")
            harness.clock.at += timedelta(seconds=1)  # 6 s: Meta is asked, and refuses again
            with pytest.raises(GatewayError):
                harness.gateway.send_text(CLIENT, "Two", "k2")
            harness.clock.at += timedelta(seconds=11)  # the second pause is 12 s
            with pytest.raises(GatewayError):
                harness.gateway.send_text(CLIENT, "Two", "k2")
            harness.clock.at += timedelta(seconds=1)
            assert harness.gateway.send_text(CLIENT, "Two", "k2").startswith("wamid.")
            assert harness.received(CLIENT) == ["Two"]
        finally:
            harness.close()


class TestWahaSpecifics:
    def test_the_session_is_created_with_our_signed_webhook(self) -> None:
        fake = FakeWaha().start()
        gateway = WahaWhatsAppGateway(url=fake.url, api_key="waha-test-key", session="sales",
                                      webhook_url="https://sb.example/webhooks/waha",
                                      hmac_key="k3y")
        try:
            gateway.start()
            hook = fake.sessions["sales"]["config"]["webhooks"][0]
            assert hook["url"] == "https://sb.example/webhooks/waha"
            assert hook["hmac"] == {"key": "k3y"}
            retries = hook["retries"]
            assert retries["policy"] == "exponential"
            # WAHA's last retry, its 20 % jitter included, still comes within the horizon
            assert last_retry_after(retries["attempts"], retries["delaySeconds"]) * 1.2 <= 3600
            assert retries["attempts"] == retries_within(3600) >= 8
            assert set(hook["events"]) == {
                "message", "message.ack", "session.status", "message.any", "message.edited",
                "message.revoked", "message.reaction"}
        finally:
            gateway.close()
            fake.stop()

    def test_a_lid_resolves_to_its_number_and_an_unknown_one_to_none(self) -> None:
        fake = FakeWaha().start()
        fake.lids = {"123456789012345": "79161234567@c.us", "999": None}
        gateway = WahaWhatsAppGateway(url=fake.url, api_key="waha-test-key", session="default")
        try:
            assert gateway.resolve_lid("123456789012345@lid") == "+79161234567"
            assert gateway.resolve_lid("999@lid") is None
            asked = len(fake.server.requests)
            assert gateway.resolve_lid("123456789012345") == "+79161234567"  # remembered
            assert len(fake.server.requests) == asked
        finally:
            gateway.close()
            fake.stop()

    def test_a_client_known_only_by_lid_is_written_to_at_the_lid(self) -> None:
        fake = FakeWaha().start()
        gateway = WahaWhatsAppGateway(url=fake.url, api_key="waha-test-key", session="default")
        try:
            gateway.start()
            gateway.qr_code()
            fake.scan()
            gateway.send_text("lid:123456789012345", "Hi", "k")
            assert fake.sent[0]["chatId"] == "123456789012345@lid"
        finally:
            gateway.close()
            fake.stop()

    def test_an_unreachable_waha_is_a_retryable_error_naming_the_address(self) -> None:
        gateway = WahaWhatsAppGateway(url="http://127.0.0.1:9", api_key="k", session="default",
                                      timeout=2)
        with pytest.raises(GatewayError) as refused:
            gateway.status()
        assert refused.value.code == "GATEWAY_UNREACHABLE" and refused.value.retryable
        assert "127.0.0.1:9" in refused.value.message


class RecordingIntake:
    """What the WAHA webhook hands on, kept: here only delivery reports matter."""

    def __init__(self) -> None:
        self.received: list[DeliveryReport] = []

    async def reports(self, reports: list[DeliveryReport]) -> None:
        self.received.extend(reports)


class WahaEngine:
    """WAHA playing one engine, its webhooks caught on loopback and read by our receiver."""

    def __init__(self, engine: str, *, plus: bool = True) -> None:
        self.hooks = FakeServer()
        self.caught: list[Request] = []
        self.hooks.route("POST", r"/webhooks/waha", self._catch)
        self.hooks.start()
        self.fake = FakeWaha(engine=engine, plus=plus).start()
        self.gateway = WahaWhatsAppGateway(
            url=self.fake.url, api_key="waha-test-key", session="default",
            webhook_url=f"{self.hooks.url}/webhooks/waha", hmac_key="k3y", timeout=5)
        self.gateway.start()
        self.gateway.qr_code()
        self.fake.scan()
        self.intake = RecordingIntake()
        self.receiver = WahaReceiver(
            intake=self.intake, gateway=self.gateway,  # type: ignore[arg-type]
            settings=make_settings("sqlite:///unused.db", gateway="waha", waha_url=self.fake.url,
                                   waha_api_key="waha-test-key", waha_hmac_key="k3y"),
            known_phone=lambda identity: None, session_changed=lambda session: None)

    def _catch(self, request: Request) -> tuple[int, Any]:
        self.caught.append(request)
        return 200, {}

    def acked(self, sent: dict[str, Any], **ack: Any) -> list[DeliveryReport]:
        """WhatsApp's receipt for a sent message, through WAHA's webhook to our receiver."""
        before = len(self.caught)
        self.fake.ack(sent, **ack)
        deadline = time.monotonic() + 10
        while not (acks := [r for r in self.caught[before:]
                            if json.loads(r.body)["event"] == "message.ack"]):
            assert time.monotonic() < deadline, "WAHA delivered no ack"
            time.sleep(0.02)
        request = acks[0]
        answer = asyncio.run(self.receiver.receive(WebhookRequest(
            method="POST", body=request.body, headers=request.headers)))
        assert answer["status"] in ("recorded", "ignored"), answer
        return self.intake.received

    def close(self) -> None:
        self.gateway.close()
        self.fake.stop()
        self.hooks.stop()


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> Iterator[WahaEngine]:
    built = WahaEngine(str(request.param))
    try:
        yield built
    finally:
        built.close()


class TestWahaEngines:
    def test_a_sent_text_is_named_as_its_ack_names_it_whatever_the_engine(
        self, engine: WahaEngine
    ) -> None:
        sent_id = engine.gateway.send_text(CLIENT, "Hello", "k1")
        assert sent_id.startswith("true_79161234567@c.us_")
        reports = engine.acked(engine.fake.sent[-1], ack=3)
        assert [(r.external_id, r.status) for r in reports] == [(sent_id, "read")]

    def test_a_sent_file_is_matched_by_its_ack_too(self, engine: WahaEngine) -> None:
        file = MediaFile(content=b"%PDF-1.4 ...", mime_type="application/pdf",
                         file_name="offer.pdf")
        sent_id = engine.gateway.send_media(CLIENT, "document", file, "The offer", "k2")
        reports = engine.acked(engine.fake.sent[-1], ack=2)
        assert [(r.external_id, r.status) for r in reports] == [(sent_id, "delivered")]

    def test_an_ack_with_only_its_name_is_read_and_one_with_neither_is_ignored(
        self, engine: WahaEngine
    ) -> None:
        sent_id = engine.gateway.send_text(CLIENT, "Hello", "k3")
        sent = engine.fake.sent[-1]
        assert engine.acked(sent, ack=None, ack_name="DEVICE")[-1].external_id == sent_id
        assert engine.intake.received[-1].status == "delivered"
        assert len(engine.acked(sent, ack=None, ack_name="UNKNOWN")) == 1  # nothing new


@pytest.mark.parametrize("engine_name", ["NOWEB", "GOWS"])
def test_a_core_build_refuses_files_for_good_saying_waha_plus_is_needed(
    engine_name: str
) -> None:
    core = WahaEngine(engine_name, plus=False)
    try:
        image = MediaFile(content=b"\x89PNG\r\n\x1a\n", mime_type="image/png", file_name="a.png")
        with pytest.raises(GatewayError) as refused:
            core.gateway.send_media(CLIENT, "image", image, "", "k")
        assert refused.value.code == "WAHA_PLUS_REQUIRED" and not refused.value.retryable
        assert "Plus" in refused.value.message
        assert core.gateway.send_text(CLIENT, "Text still goes", "k2")  # the session is fine
    finally:
        core.close()


@pytest.mark.parametrize(("answer", "content_type"), [
    (b'{"status": "sent"}', "application/json"),  # no id in any engine's shape
    (b'{"id": {}}', "application/json"),
    (b"<html>OK</html>", "text/html"),  # a proxy's page, not JSON
])
def test_a_send_whose_answer_names_no_id_fails_for_good_as_uncertain(
    answer: bytes, content_type: str
) -> None:
    """WAHA may well have sent it: trying again could reach the client twice."""
    def waha(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/api/sendText"
        return httpx.Response(201, content=answer, headers={"content-type": content_type})

    gateway = WahaWhatsAppGateway(url="http://waha.test", api_key="k", session="default",
                                  transport=httpx.MockTransport(waha))
    with pytest.raises(GatewayError) as refused:
        gateway.send_text(CLIENT, "Hello", "k")
    assert refused.value.code == "DELIVERY_UNCERTAIN" and not refused.value.retryable
    assert "may have gone out" in refused.value.message


def test_a_cloud_send_whose_answer_names_no_wamid_fails_for_good_as_uncertain() -> None:
    """Meta answered 200 to the request: the message may have gone out."""
    def graph(request: httpx.Request) -> httpx.Response:
        assert request.url.path.endswith("/messages")
        return httpx.Response(200, json={"messaging_product": "whatsapp", "contacts": []})

    clock = Clock()
    gateway = CloudWhatsAppGateway(
        graph_url="http://graph.test/v21.0", access_token="t", phone_number_id="123",
        last_client_message=lambda to: clock.at, clock=clock,
        transport=httpx.MockTransport(graph))
    with pytest.raises(GatewayError) as refused:
        gateway.send_text(CLIENT, "Hello", "k")
    assert refused.value.code == "DELIVERY_UNCERTAIN" and not refused.value.retryable


def test_the_lid_is_asked_for_with_its_suffix_url_encoded() -> None:
    fake = FakeWaha().start()
    fake.lids = {"123456789012345": "79161234567@c.us"}
    gateway = WahaWhatsAppGateway(url=fake.url, api_key="waha-test-key", session="default")
    try:
        assert gateway.resolve_lid("123456789012345@lid") == "+79161234567"
        asked = [path for method, path, _ in fake.server.requests if "/lids/" in path]
        assert asked == ["/api/default/lids/123456789012345%40lid"]
    finally:
        gateway.close()
        fake.stop()


def test_the_retries_asked_of_waha_grow_with_the_horizon_and_stay_inside_it() -> None:
    for horizon in (300, 1200, 3600, 24 * 3600):
        attempts = retries_within(horizon)
        assert attempts >= 1
        if attempts > 1:
            assert last_retry_after(attempts) * 1.2 <= horizon
    assert retries_within(1200) < retries_within(3600) <= retries_within(24 * 3600) <= 15
