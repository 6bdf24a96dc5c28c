"""Meta's WhatsApp Cloud API end to end: the subscription check, signed notifications with several
messages and statuses, error 131047 reported from a failed status, and refusals that write
nothing: unsigned, badly signed, malformed, for another number, or too big."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from application.channel import UpdateMessengerSettings
from application.ports import GatewayError
from domain.channel import ChannelStatus
from infra.bootstrap import Container
from infra.channels.cloud.fake import (
    APP_SECRET,
    PHONE_NUMBER_ID,
    TOKEN,
    VERIFY_TOKEN,
    FakeGraph,
    contact,
    notification,
    signed,
    status,
    text_message,
)
from projections.inbox import dialogs, messages
from tests.conftest import (
    LiveServer,
    caught_up,
    cli,
    cli_env,
    free_port,
    make_settings,
    running_container,
    wait_for,
)

ADMIN = "operator:admin"


@contextlib.contextmanager
def cloud_app(database_url: str, graph: FakeGraph) -> Iterator[tuple[Container, LiveServer]]:
    with running_container(make_settings(
        database_url, gateway="cloud", cloud_graph_url=graph.url, cloud_access_token=TOKEN,
        cloud_phone_number_id=PHONE_NUMBER_ID, cloud_app_secret=APP_SECRET,
        cloud_verify_token=VERIFY_TOKEN,
    )) as container, LiveServer(container) as server:
        yield container, server


@pytest.fixture
def graph() -> Iterator[FakeGraph]:
    fake = FakeGraph().start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def app(database_url: str, graph: FakeGraph) -> Iterator[tuple[Container, LiveServer]]:
    with cloud_app(database_url, graph) as built:
        yield built


def head(container: Container) -> int:
    return container.store.recorder.max_notification_id() or 0


def post(server: LiveServer, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(f"{server.url}/webhooks/cloud", content=body, timeout=15,
                      headers={"content-type": "application/json", **headers})


def deliver(server: LiveServer, payload: dict[str, Any]) -> httpx.Response:
    body, headers = signed(payload)
    return post(server, body, headers)


def connect(container: Container) -> None:
    state = container.whatsapp.service.start_linking(ADMIN)
    assert state.status == ChannelStatus.WORKING
    container.writer.execute_sync(UpdateMessengerSettings(
        in_service=True, employees_may_write_first=False, actor=ADMIN))


def inbox_rows(container: Container) -> list[tuple[str, str, str]]:
    wait_for(lambda: caught_up(container))
    with container.views.reader.connect() as conn:
        return [(r.phone, r.client_name, r.text) for r in conn.execute(
            sa.select(dialogs.c.phone, dialogs.c.client_name, messages.c.text)
            .select_from(messages.join(dialogs, dialogs.c.id == messages.c.dialog_id))
            .order_by(messages.c.recorded_at))]


def test_the_subscription_check_echoes_the_challenge_for_the_right_token_only(
    app: tuple[Container, LiveServer]
) -> None:
    _, server = app
    ok = httpx.get(f"{server.url}/webhooks/cloud", params={
        "hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"})
    assert (ok.status_code, ok.text) == (200, "1158201444")
    for params in ({"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"},
                   {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN,
                    "hub.challenge": "1"}, {}):
        assert httpx.get(f"{server.url}/webhooks/cloud", params=params).status_code == 403


def test_connecting_checks_the_number_and_links_it_without_a_qr_code(
    app: tuple[Container, LiveServer]
) -> None:
    container, _ = app
    state = container.whatsapp.service.start_linking(ADMIN)
    assert state.status == ChannelStatus.WORKING and state.phone == "+15555550199"
    assert state.device == "Cloud API (Acme)"


def test_several_messages_in_one_notification_all_reach_the_inbox_with_names(
    app: tuple[Container, LiveServer]
) -> None:
    container, server = app
    connect(container)
    answer = deliver(server, notification(
        contacts=[contact("79161234567", "Ivan"), contact("79167654321", "Olga")],
        messages=[text_message("79161234567", "First"), text_message("79167654321", "Second"),
                  {**text_message("79161234567", ""), "type": "image", "text": None}]))
    assert answer.status_code == 200
    assert answer.json() == {"accepted": 3, "duplicates": 0, "held": 0, "statuses": 0,
                             "ignored": 0}
    rows = inbox_rows(container)
    assert ("+79161234567", "Ivan", "First") in rows
    assert ("+79167654321", "Olga", "Second") in rows
    assert ("+79161234567", "Ivan", "[image]") in rows


def test_a_repeated_notification_changes_nothing(app: tuple[Container, LiveServer]) -> None:
    container, server = app
    connect(container)
    payload = notification(messages=[text_message("79161234567", "Once", wamid="wamid.ONCE")])
    assert deliver(server, payload).json()["accepted"] == 1
    after = head(container)
    assert deliver(server, payload).json()["duplicates"] == 1
    assert head(container) == after


def test_statuses_out_of_order_become_reports_and_131047_names_the_24_hour_rule(
    app: tuple[Container, LiveServer]
) -> None:
    container, server = app
    answer = deliver(server, notification(statuses=[
        status("wamid.A", "read", "79161234567"), status("wamid.A", "delivered", "79161234567"),
        status("wamid.B", "failed", "79161234567", error_code=131047)]))
    assert answer.json()["statuses"] == 3
    reports = container.whatsapp.delivery_reports.received
    assert [(r.external_id, r.status) for r in reports] == [
        ("wamid.A", "read"), ("wamid.A", "delivered"), ("wamid.B", "failed")]
    assert (reports[2].error_code, reports[2].error) == ("131047", "OUTSIDE_REPLY_WINDOW")


def test_sending_respects_the_24_hours_since_the_clients_last_message(
    app: tuple[Container, LiveServer], graph: FakeGraph
) -> None:
    container, server = app
    connect(container)
    gateway = container.whatsapp.gateway
    with pytest.raises(GatewayError) as refused:
        gateway.send_text("+79161234567", "Hello first", "k1")
    assert refused.value.code == "OUTSIDE_REPLY_WINDOW" and graph.sent == []
    deliver(server, notification(messages=[text_message("79161234567", "Hi")]))
    wait_for(lambda: caught_up(container))
    assert gateway.send_text("+79161234567", "Hello back", "k2").startswith("wamid.")
    assert graph.sent[0]["to"] == "79161234567"


def test_a_notification_for_another_number_is_ignored(app: tuple[Container, LiveServer]) -> None:
    container, server = app
    before = head(container)
    answer = deliver(server, notification(messages=[text_message("79161234567", "Not ours")],
                                          phone_number_id="999"))
    assert answer.json()["ignored"] == 1
    assert head(container) == before


def test_a_business_scoped_sender_is_kept_under_its_id(app: tuple[Container, LiveServer]) -> None:
    container, server = app
    connect(container)
    deliver(server, notification(messages=[text_message("US.13491208655302741918", "Hi")],
                                 contacts=[contact("US.13491208655302741918", "Anna")]))
    assert ("bsuid:US.13491208655302741918", "Anna", "Hi") in inbox_rows(container)


@pytest.mark.parametrize(("case", "expected"), [
    ("unsigned", "not signed"), ("wrong secret", "does not match"),
    ("tampered body", "does not match"), ("sha1", "does not match"),
])
def test_a_request_not_validly_signed_gets_401_and_writes_nothing(
    app: tuple[Container, LiveServer], case: str, expected: str
) -> None:
    container, server = app
    body, headers = signed(notification(messages=[text_message("79161234567", "Hello")]))
    headers = {
        "unsigned": {},
        "wrong secret": signed(body, secret="guess")[1],
        "tampered body": signed(body.replace(b"Hello", b"Hallo"))[1],
        "sha1": {"x-hub-signature-256": headers["x-hub-signature-256"].replace("sha256=",
                                                                                "sha1=")},
    }[case]
    before = head(container)
    answer = post(server, body, headers)
    assert answer.status_code == 401 and expected in answer.json()["detail"]
    assert head(container) == before


@pytest.mark.parametrize("payload", [
    {"object": "page", "entry": []},
    {"object": "whatsapp_business_account"},
    notification(messages=[{"from": "79161234567", "id": "w", "type": "text"}]),
    notification(messages=[text_message("not a number!", "x")]),
    [1, 2],
])
def test_a_malformed_notification_gets_422_and_writes_nothing_at_all(
    app: tuple[Container, LiveServer], payload: Any
) -> None:
    container, server = app
    payload = json.loads(json.dumps(payload))
    if isinstance(payload, dict) and payload.get("entry"):
        payload["entry"][0]["changes"][0]["value"]["messages"].insert(
            0, text_message("79161234567", "valid, but its neighbour is not"))
    before = head(container)
    answer = deliver(server, payload)
    assert answer.status_code == 422
    assert head(container) == before


def test_a_body_over_the_limit_is_refused_before_it_is_read_whole(
    app: tuple[Container, LiveServer]
) -> None:
    container, server = app
    before = head(container)
    body, headers = signed(b"{" + b" " * (2 * 1024 * 1024) + b"}")
    assert post(server, body, headers).status_code == 413
    assert head(container) == before


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(
    st.binary(max_size=300),
    st.builds(lambda obj, entry: json.dumps({"object": obj, "entry": entry}).encode(),
              st.sampled_from(["whatsapp_business_account", "page", ""]),
              st.lists(st.dictionaries(st.sampled_from(["id", "changes"]),
                                       st.one_of(st.text(max_size=5), st.lists(
                                           st.dictionaries(st.sampled_from(["field", "value"]),
                                                           st.text(max_size=5), max_size=2),
                                           max_size=2)), max_size=2), max_size=2)),
    st.builds(lambda sender, text: json.dumps(notification(
        messages=[text_message(sender, text)])).encode(),
        st.sampled_from(["79161234567", "x", "", "1" * 30]), st.text(max_size=30))),
    signed_=st.booleans())
def test_no_input_gives_a_server_error_or_writes_unless_signed_and_well_formed(
    app: tuple[Container, LiveServer], body: bytes, signed_: bool
) -> None:
    container, server = app
    before = head(container)
    answer = post(server, body, signed(body)[1] if signed_ else {})
    assert answer.status_code < 500
    if answer.status_code >= 400 or not signed_:
        assert head(container) == before


def test_the_window_counts_from_the_clients_last_message(app: tuple[Container, LiveServer],
                                                        graph: FakeGraph) -> None:
    container, server = app
    connect(container)
    deliver(server, notification(messages=[text_message("79161234567", "Hi")]))
    wait_for(lambda: caught_up(container))
    gateway = container.whatsapp.gateway
    later = container.clock.now() + timedelta(hours=24, minutes=5)
    gateway._clock = type("Later", (), {"now": staticmethod(lambda: later)})()
    with pytest.raises(GatewayError) as refused:
        gateway.send_text("+79161234567", "Too late", "k")
    assert refused.value.code == "OUTSIDE_REPLY_WINDOW"


def test_the_cloud_api_chosen_but_not_configured_refuses_to_start_naming_what_is_missing(
    tmp_path: Any
) -> None:
    database = tmp_path / "sb.db"
    env = cli_env(f"sqlite:///{database}", SWITCHBOARD_GATEWAY="cloud",
                  SWITCHBOARD_CLOUD_ACCESS_TOKEN=TOKEN)
    done = cli("serve", "--port", str(free_port()), env=env)
    said = " ".join((done.stdout + done.stderr).split())  # the terminal may wrap it
    assert done.returncode == 2, said
    assert ("SWITCHBOARD_GATEWAY=cloud needs SWITCHBOARD_CLOUD_PHONE_NUMBER_ID, "
            "SWITCHBOARD_CLOUD_APP_SECRET, SWITCHBOARD_CLOUD_VERIFY_TOKEN (not set)") in said
    assert "SWITCHBOARD_CLOUD_ACCESS_TOKEN" not in said  # what is set is not named
    assert not database.exists()  # refused before anything was created
