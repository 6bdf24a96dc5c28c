"""WAHA end to end: the app links through a fake WAHA on loopback that sends real, signed webhooks;
a client's message then reaches the inbox. The webhook refuses what is unsigned, badly signed or
stale and writes nothing then; what is signed but malformed only writes its refusal (once);
repeated deliveries change nothing; `@lid` senders are resolved, or kept under the lid and merged
when the number is known."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client import REGISTRY

from application.channel import UpdateMessengerSettings
from domain.channel import ChannelStatus
from infra.bootstrap import Container
from infra.channels.waha.fake import API_KEY, FakeWaha, envelope, sign
from projections.channel import whatsapp_identities
from projections.inbox import dialogs, messages
from tests.conftest import (
    LiveServer,
    caught_up,
    free_port,
    make_settings,
    running_container,
    wait_for,
)

HMAC_KEY = "waha-hmac-key"
ADMIN = "operator:admin"


@contextlib.contextmanager
def waha_app(database_url: str, fake: FakeWaha, **overrides: Any
             ) -> Iterator[tuple[Container, LiveServer]]:
    port = free_port()
    values: dict[str, Any] = {"gateway": "waha", "waha_url": fake.url, "waha_api_key": API_KEY,
                              "waha_hmac_key": HMAC_KEY, "public_url": f"http://127.0.0.1:{port}"}
    values.update(overrides)
    with running_container(make_settings(database_url, **values)) as container:
        server = LiveServer(container)
        server.port = port
        server.server.config.port = port
        with server:
            yield container, server


@pytest.fixture
def fake() -> Iterator[FakeWaha]:
    server = FakeWaha().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def app(database_url: str, fake: FakeWaha) -> Iterator[tuple[Container, LiveServer]]:
    with waha_app(database_url, fake) as built:
        yield built


def head(container: Container) -> int:
    return container.store.recorder.max_notification_id() or 0


REFUSAL = "domain.webhook_refusals:RefusedWebhookItem.Recorded"


def written_since(container: Container, position: int) -> list[str]:
    """The topics of the events stored after `position`."""
    return [n.topic for n in container.store.recorder.select_notifications(
        position, 1000, inclusive_of_start=False)]


def post(server: LiveServer, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(f"{server.url}/webhooks/waha", content=body,
                      headers={"content-type": "application/json", **headers}, timeout=15)


def message_event(sender: str = "79161234567@c.us", text: str = "Hello", *,
                  message_id: str = "false_79161234567@c.us_AAA", **payload: Any
                  ) -> dict[str, Any]:
    return envelope("message", "default", {
        "id": message_id, "timestamp": int(time.time()), "from": sender, "fromMe": False,
        "to": "79990001122@c.us", "body": text, "hasMedia": False, "ack": 1,
        "_data": {"notifyName": "Ivan"}, **payload})


def signed_post(server: LiveServer, event: dict[str, Any], **sign_args: Any) -> httpx.Response:
    body = json.dumps(event).encode()
    return post(server, body, sign(HMAC_KEY, body, **sign_args))


def link(container: Container, fake: FakeWaha) -> None:
    """An admin links; the phone scans; WhatsApp is put in service."""
    container.whatsapp.service.start_linking(ADMIN)
    fake.scan()
    wait_for(lambda: container.whatsapp.service.tick().status == ChannelStatus.WORKING)
    container.writer.execute_sync(UpdateMessengerSettings(
        in_service=True, employees_may_write_first=False, actor=ADMIN))


def inbox_rows(container: Container) -> list[tuple[str, str]]:
    wait_for(lambda: caught_up(container))
    with container.views.reader.connect() as conn:
        return [(r.phone, r.text) for r in conn.execute(
            sa.select(dialogs.c.phone, messages.c.text)
            .select_from(messages.join(dialogs, dialogs.c.id == messages.c.dialog_id))
            .order_by(messages.c.recorded_at))]


def test_linking_through_waha_then_a_clients_message_reaches_the_inbox(
    app: tuple[Container, LiveServer], fake: FakeWaha
) -> None:
    container, _ = app
    container.whatsapp.service.start_linking(ADMIN)
    hook = fake.sessions["default"]["config"]["webhooks"][0]
    assert hook["url"].endswith("/webhooks/waha") and hook["hmac"] == {"key": HMAC_KEY}
    state = container.whatsapp.service.tick()
    assert state.status == ChannelStatus.SCAN_QR_CODE and state.qr_sequence == 1
    fake.scan()  # WAHA tells us by a signed session.status webhook
    wait_for(lambda: container.whatsapp.service.tick().status == ChannelStatus.WORKING)
    assert container.whatsapp.service.tick().phone == "+79990001122"
    container.writer.execute_sync(UpdateMessengerSettings(
        in_service=True, employees_may_write_first=False, actor=ADMIN))
    fake.client_writes("79161234567@c.us", "Hello from WAHA")
    wait_for(lambda: ("+79161234567", "Hello from WAHA") in inbox_rows(container))
    assert all(code == 200 for _, code in fake.hooks_sent), fake.hooks_sent


@pytest.mark.parametrize(("case", "expected"), [
    ("unsigned", "not signed"),
    ("wrong key", "does not match"),
    ("tampered body", "does not match"),
    ("stale header", "stale"),
    ("stale event", "stale"),
    ("header from the future", "future"),
    ("other algorithm", "sha512"),
    ("time moved", "does not match"),
    ("version 1 read as 2", "does not match"),
    ("unknown version", "not known"),
])
def test_a_request_not_validly_signed_or_stale_gets_401_and_writes_nothing(
    app: tuple[Container, LiveServer], case: str, expected: str
) -> None:
    container, server = app
    old = int((time.time() - 2 * 3600) * 1000)  # beyond WAHA's retry horizon (an hour)
    ahead = int((time.time() + 600) * 1000)  # beyond the clocks' skew (five minutes)
    event = message_event()
    if case == "stale event":
        event["timestamp"] = old
    body = json.dumps(event).encode()
    headers = {
        "unsigned": {},
        "wrong key": sign("guess", body),
        "tampered body": sign(HMAC_KEY, body.replace(b"Hello", b"Hallo")),
        "stale header": sign(HMAC_KEY, body, timestamp_ms=old),
        "stale event": sign(HMAC_KEY, body),
        "header from the future": sign(HMAC_KEY, body, timestamp_ms=ahead),
        "other algorithm": {**sign(HMAC_KEY, body), "x-webhook-hmac-algorithm": "md5"},
        "time moved": {**sign(HMAC_KEY, body), "x-webhook-timestamp": str(ahead - 599_000)},
        "version 1 read as 2": {**sign(HMAC_KEY, body, version=1),
                                "x-webhook-hmac-version": "2"},
        "unknown version": {**sign(HMAC_KEY, body), "x-webhook-hmac-version": "3"},
    }[case]
    before = head(container)
    answer = post(server, body, headers)
    assert answer.status_code == 401
    assert expected in answer.json()["detail"]
    assert head(container) == before


@pytest.mark.parametrize("version", [1, 2])
def test_deliveries_signed_as_current_and_earlier_waha_releases_sign_are_both_accepted(
    app: tuple[Container, LiveServer], version: int
) -> None:
    container, server = app
    event = message_event(message_id=f"false_79161234567@c.us_SIGNED{version}{time.time_ns()}")
    body = json.dumps(event).encode()
    before = head(container)
    answer = post(server, body, sign(HMAC_KEY, body, version=version))
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "accepted"
    assert head(container) > before


def test_with_no_key_at_hand_every_request_is_refused_signed_or_not(
    app: tuple[Container, LiveServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    container, server = app
    monkeypatch.setattr(container.settings, "waha_hmac_key", "")  # settings refuse this; still
    body = json.dumps(message_event()).encode()
    before = head(container)
    for headers, reason in (({}, "not signed"),  # and anyone can sign with an empty key:
                            (sign("", body), "No webhook key is configured")):
        answer = post(server, body, headers)
        assert answer.status_code == 401, answer.text
        assert reason in answer.json()["detail"]
    assert head(container) == before


@pytest.mark.parametrize(("event", "reason"), [
    ({"id": "evt_1", "event": "message"}, "timestamp"),
    ([1, 2, 3], "Malformed"),
    ("not an object", "Malformed"),
])
def test_a_malformed_event_gets_422_and_writes_only_its_refusal_once(
    app: tuple[Container, LiveServer], event: Any, reason: str
) -> None:
    container, server = app
    before = head(container)
    answers = [signed_post(server, event) for _ in range(2)]  # WAHA retries a 422
    assert [a.status_code for a in answers] == [422, 422]
    assert reason in answers[0].json()["detail"]
    assert written_since(container, before) == [REFUSAL]


def test_a_malformed_event_unsigned_gets_401_and_writes_nothing(
    app: tuple[Container, LiveServer]
) -> None:
    container, server = app
    before = head(container)
    assert post(server, b'{"id": "evt_1"}', {}).status_code == 401
    assert head(container) == before


def test_a_message_with_a_malformed_payload_or_sender_is_recorded_as_refused_and_nothing_else(
    app: tuple[Container, LiveServer]
) -> None:
    container, server = app
    before = head(container)
    no_body = message_event()
    del no_body["payload"]["timestamp"]
    answers = [signed_post(server, event) for event in (
        no_body, message_event(sender="not-a-number@c.us"), message_event(sender="abc@lid"))]
    assert [(a.status_code, a.json()["status"]) for a in answers] == [(200, "refused")] * 3
    assert written_since(container, before) == [REFUSAL] * 3  # WAHA will not retry them


def test_a_body_over_the_limit_is_refused_before_it_is_read_whole(
    app: tuple[Container, LiveServer]
) -> None:
    container, server = app
    before = head(container)
    body = b"{" + b" " * (2 * 1024 * 1024) + b"}"
    assert post(server, body, sign(HMAC_KEY, body)).status_code == 413
    assert head(container) == before


def test_a_repeated_delivery_of_a_message_changes_nothing(
    app: tuple[Container, LiveServer], fake: FakeWaha
) -> None:
    container, server = app
    link(container, fake)
    event = message_event(message_id="false_79161234567@c.us_REPEAT")
    first = signed_post(server, event)
    after = head(container)
    second = signed_post(server, event)
    assert (first.json()["status"], second.json()["status"]) == ("accepted", "duplicate")
    assert head(container) == after


def test_groups_broadcasts_and_our_own_messages_are_ignored(
    app: tuple[Container, LiveServer]
) -> None:
    container, server = app
    before = head(container)
    for event in (message_event(sender="12036304@g.us"), message_event(fromMe=True),
                  message_event(sender="status@broadcast"),
                  envelope("presence.update", "default", {"id": "x"}),
                  {**message_event(), "session": "another"}):
        answer = signed_post(server, event)
        assert answer.json()["status"] == "ignored", event
    assert head(container) == before


def test_a_lid_sender_is_resolved_to_the_number_through_the_lids_api(
    app: tuple[Container, LiveServer], fake: FakeWaha
) -> None:
    container, server = app
    link(container, fake)
    fake.lids["271828182845904"] = "79161234567@c.us"
    answer = signed_post(server, message_event(sender="271828182845904@lid", text="From a lid"))
    assert answer.json()["status"] == "accepted"
    assert ("+79161234567", "From a lid") in inbox_rows(container)


def test_a_lid_with_no_number_is_kept_under_the_lid_and_merged_once_the_number_is_known(
    app: tuple[Container, LiveServer], fake: FakeWaha
) -> None:
    container, server = app
    link(container, fake)
    fake.lids["314159265358979"] = None
    first = signed_post(server, message_event(sender="314159265358979@lid", text="Who am I?",
                                              message_id="m-lid-1"))
    assert first.json()["status"] == "accepted"
    assert ("lid:314159265358979", "Who am I?") in inbox_rows(container)
    fake.lids["314159265358979"] = "79161112233@c.us"
    second = signed_post(server, message_event(sender="314159265358979@lid", text="It is me",
                                               message_id="m-lid-2"))
    assert second.json()["dialog_id"] == first.json()["dialog_id"]  # the same conversation
    rows = inbox_rows(container)
    assert ("+79161112233", "Who am I?") in rows and ("+79161112233", "It is me") in rows
    with container.views.reader.connect() as conn:
        merged = conn.execute(sa.select(whatsapp_identities)).one()
    assert (merged.identity, merged.phone) == ("lid:314159265358979", "+79161112233")


def test_session_status_webhooks_drive_the_channel_and_a_repeat_changes_nothing(
    app: tuple[Container, LiveServer], fake: FakeWaha
) -> None:
    container, server = app
    link(container, fake)
    fake.drop()  # WAHA's own signed webhook says STARTING
    wait_for(lambda: container.whatsapp.service.tick().reconnecting)
    delivered = wait_for(lambda: [e for e, code in fake.hooks_sent
                                  if e["payload"].get("status") == "STARTING" and code == 200])
    after = head(container)
    assert signed_post(server, delivered[-1]).json()["status"] == "duplicate"
    assert head(container) == after
    fake.restore()
    wait_for(lambda: container.whatsapp.service.tick().status == ChannelStatus.WORKING)


def test_a_late_or_forged_status_webhook_cannot_unlink_a_working_session(
    app: tuple[Container, LiveServer], fake: FakeWaha
) -> None:
    container, server = app
    link(container, fake)
    late = envelope("session.status", "default", {"status": "SCAN_QR_CODE"})
    assert signed_post(server, late).json()["status"] == "recorded"
    state = container.whatsapp.service.tick()
    assert state.status == ChannelStatus.WORKING and state.phone == "+79990001122"


def test_a_message_ack_becomes_a_delivery_report(app: tuple[Container, LiveServer]) -> None:
    container, server = app
    ack = envelope("message.ack", "default", {
        "id": "true_79161234567@c.us_3EB0", "from": "79161234567@c.us", "fromMe": True,
        "ack": 3, "ackName": "READ"})
    assert signed_post(server, ack).json()["status"] == "recorded"
    reports = container.whatsapp.delivery_reports.received
    assert [(r.channel, r.external_id, r.status) for r in reports] == [
        ("waha", "true_79161234567@c.us_3EB0", "read")]


def test_the_simulator_and_cloud_routes_are_absent_when_waha_is_the_gateway(
    app: tuple[Container, LiveServer]
) -> None:
    _, server = app
    assert httpx.get(f"{server.url}/simulator/phone", timeout=5).status_code == 404
    assert httpx.post(f"{server.url}/simulator/phone/scan", json={}, timeout=5).status_code == 404
    assert httpx.get(f"{server.url}/webhooks/cloud", timeout=5).status_code == 404


def test_a_gateway_chosen_but_not_configured_refuses_to_start_naming_what_is_missing(
    tmp_path: Any
) -> None:
    with pytest.raises(ValueError, match="SWITCHBOARD_WAHA_URL, SWITCHBOARD_WAHA_API_KEY, "
                                         "SWITCHBOARD_WAHA_HMAC_KEY"):
        make_settings(f"sqlite:///{tmp_path}/x.db", gateway="waha")
    for env in ("development", "test", "production"):  # no webhook is accepted unsigned
        with pytest.raises(ValueError, match=r"needs SWITCHBOARD_WAHA_HMAC_KEY \(not set\)"):
            make_settings(f"sqlite:///{tmp_path}/x.db", gateway="waha", env=env,
                          secret_key="s" * 32, simulator_secret="t" * 32, waha_url="http://w",
                          waha_api_key="k")


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(
    st.binary(max_size=300),
    st.dictionaries(st.sampled_from(["id", "timestamp", "event", "session", "payload", "me"]),
                    st.one_of(st.none(), st.integers(), st.text(max_size=20),
                              st.dictionaries(st.text(max_size=6), st.text(max_size=6),
                                              max_size=3)),
                    max_size=6).map(lambda d: json.dumps(d).encode()),
    st.builds(lambda text, sender, kind: json.dumps(message_event(
        sender=sender, text=text, message_id=f"fuzz-{kind}")).encode(),
        st.text(max_size=30), st.sampled_from(["79161234567@c.us", "x@lid", "1@g.us", ""]),
        st.integers(0, 3))),
    signed=st.booleans())
def test_no_input_gives_a_server_error_or_writes_unless_signed_and_well_formed(
    app: tuple[Container, LiveServer], body: bytes, signed: bool
) -> None:
    container, server = app
    before = head(container)
    answer = post(server, body, sign(HMAC_KEY, body) if signed else {})
    assert answer.status_code < 500
    if not signed:
        assert head(container) == before
    elif answer.status_code >= 400 or answer.json().get("status") == "refused":
        assert set(written_since(container, before)) <= {REFUSAL}  # its refusal, at most


# -- freshness: WAHA's retries keep the event's time --------------------------------------------
class SimulatedClock:
    def __init__(self, at: float) -> None:
        self.at = at

    def now(self) -> float:
        return self.at


def stale_refusals() -> float:
    return REGISTRY.get_sample_value("switchboard_webhook_stale_total",
                                     {"channel": "waha"}) or 0.0


def test_a_message_waha_retries_through_a_20_minute_outage_arrives_exactly_once(
    database_url: str
) -> None:
    """Switchboard cannot be reached; WAHA retries on its own schedule (2**n * 2 s), the same
    signed timestamp every time. The outage ends, one answer is lost on the way back, WAHA
    tries once more: the message is in the inbox once."""
    start = time.time() - 20 * 60  # the simulated minutes end about now
    clock = SimulatedClock(start)
    fake = FakeWaha(clock=clock.now).start()
    try:
        with waha_app(database_url, fake) as (container, _):
            link(container, fake)
            hook = fake.sessions["default"]["config"]["webhooks"][0]
            assert hook["retries"]["attempts"] >= 8
            fake.unreachable = True  # from here on Switchboard is down
            fake.client_writes("79161234567@c.us", "Is anyone there?")
            event_id = wait_for(lambda: [e["id"] for e, _ in fake.hooks_sent
                                         if e["event"] == "message"])[0]
            while fake.waiting and clock.at < start + 25 * 60:
                clock.at = min(d.due for d in fake.waiting)
                if clock.at - start >= 500 and fake.unreachable:
                    # Switchboard is back; one answer gets lost on the way to WAHA
                    fake.unreachable, fake.lost_answers[event_id] = False, 1
                fake.retry_due()
            tries = [(at - start, status) for eid, at, status in fake.tries if eid == event_id]
            assert [round(at) for at, _ in tries] == [0, 4, 12, 28, 60, 124, 252, 508, 1020]
            assert [status for _, status in tries] == [0] * 8 + [200]
            assert tries[-1][0] > 17 * 60 - 1  # the last try, 17 minutes after the event
            rows = inbox_rows(container)
            assert rows.count(("+79161234567", "Is anyone there?")) == 1
    finally:
        fake.stop()


def test_a_delivery_signed_two_hours_ago_is_refused_counted_and_writes_nothing(
    app: tuple[Container, LiveServer], fake: FakeWaha
) -> None:
    container, server = app
    link(container, fake)
    two_hours_ago = int((time.time() - 2 * 3600) * 1000)
    event = message_event(message_id="false_79161234567@c.us_OLD")
    event["timestamp"] = two_hours_ago
    before, counted = head(container), stale_refusals()
    answer = signed_post(server, event, timestamp_ms=two_hours_ago)
    assert answer.status_code == 401 and "stale" in answer.json()["detail"]
    assert head(container) == before
    assert stale_refusals() == counted + 1
    metrics = httpx.get(f"{server.url}/metrics", timeout=10).text
    assert 'switchboard_webhook_stale_total{channel="waha"}' in metrics


def test_a_delivery_signed_40_minutes_ago_is_within_the_horizon_and_accepted(
    app: tuple[Container, LiveServer], fake: FakeWaha
) -> None:
    container, server = app
    link(container, fake)
    earlier = int((time.time() - 40 * 60) * 1000)
    event = message_event(text="Written during the outage",
                          message_id="false_79161234567@c.us_LATE")
    event["timestamp"] = earlier
    assert signed_post(server, event, timestamp_ms=earlier).json()["status"] == "accepted"
    assert ("+79161234567", "Written during the outage") in inbox_rows(container)


# -- small parse fixes ---------------------------------------------------------------------------
def test_an_ack_with_only_its_name_is_read_and_one_without_either_is_ignored(
    app: tuple[Container, LiveServer]
) -> None:
    container, server = app
    named = envelope("message.ack", "default", {
        "id": "true_79161234567@c.us_BAE5A1", "from": "79161234567@c.us", "fromMe": True,
        "ackName": "DEVICE"})
    bare = envelope("message.ack", "default", {
        "id": "true_79161234567@c.us_BAE5A2", "from": "79161234567@c.us", "fromMe": True})
    assert signed_post(server, named).json()["status"] == "recorded"
    answer = signed_post(server, bare)
    assert answer.status_code == 200 and answer.json()["status"] == "ignored"
    reports = container.whatsapp.delivery_reports.received
    assert [(r.external_id, r.status) for r in reports] == [
        ("true_79161234567@c.us_BAE5A1", "delivered")]


def test_a_noweb_ack_naming_the_chat_by_its_server_jid_is_reported_in_the_sent_form(
    app: tuple[Container, LiveServer]
) -> None:
    _, server = app
    ack = envelope("message.ack", "default", {
        "id": "true_79161234567@s.whatsapp.net_BAE5B1", "from": "79161234567@c.us",
        "fromMe": True, "ack": 3, "ackName": "READ"}, engine="NOWEB")
    assert signed_post(server, ack).json()["message_id"] == "true_79161234567@c.us_BAE5B1"


def test_a_gows_sender_is_named_by_its_push_name(
    database_url: str
) -> None:
    fake = FakeWaha(engine="GOWS").start()
    try:
        with waha_app(database_url, fake) as (container, _):
            link(container, fake)
            fake.client_writes("79161234567@c.us", "Hello from GOWS", name="Olga")
            wait_for(lambda: ("+79161234567", "Hello from GOWS") in inbox_rows(container))
            with container.views.reader.connect() as conn:
                names = conn.execute(sa.select(dialogs.c.client_name)).scalars().all()
            assert names == ["Olga"]
    finally:
        fake.stop()
