"""Meta's WhatsApp Cloud API end to end: the subscription check, signed notifications with several
messages and statuses, error 131047 reported from a failed status, and refusals that write
nothing: unsigned, badly signed, not JSON, not WhatsApp's, for another number, or too big.
Inside a trusted notification each item stands alone: an unreadable one is refused and recorded,
the others are stored. Clients known only by a business-scoped user id, merged once a message
names their number too; button and list replies, reactions, kinds WhatsApp does not pass on;
and error 131056 (the pair rate limit) retried with a growing pause."""

from __future__ import annotations

import contextlib
import json
import logging
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
    bsuid_message,
    button_reply,
    contact,
    list_reply,
    notification,
    quick_reply,
    reaction,
    signed,
    status,
    text_message,
    unsupported,
)
from infra.metrics import WEBHOOK_ITEMS_REFUSED
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


def refused_count(reason: str) -> float:
    return WEBHOOK_ITEMS_REFUSED.labels("cloud", reason)._value.get()


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
                             "reactions": 0, "ignored": 0, "refused": []}
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


def test_a_client_known_only_by_a_user_id_is_stored_and_answered_at_that_id(
    app: tuple[Container, LiveServer], graph: FakeGraph
) -> None:
    container, server = app
    connect(container)
    user_id = "US.ENT.11815799212886844830"  # a parent id: longer than any phone number
    answer = deliver(server, notification(
        contacts=[contact("", "Anna", user_id=user_id, username="anna.k")],
        messages=[bsuid_message(user_id, text={"body": "Hello, no number here"})]))
    assert answer.status_code == 200 and answer.json()["accepted"] == 1
    assert (f"bsuid:{user_id}", "Anna", "Hello, no number here") in inbox_rows(container)
    sent = container.whatsapp.gateway.send_text(f"bsuid:{user_id}", "Hello Anna", "k1")
    assert sent.startswith("wamid.")
    [request] = graph.sent
    assert request["recipient"] == user_id and "to" not in request


def test_a_message_naming_number_and_user_id_merges_the_user_ids_client_into_the_numbers(
    app: tuple[Container, LiveServer]
) -> None:
    container, server = app
    connect(container)
    user_id = "US.13491208655302741918"
    deliver(server, notification(contacts=[contact("", "Anna", user_id=user_id)],
                                 messages=[bsuid_message(user_id, text={"body": "First"})]))
    assert [p for p, _, _ in inbox_rows(container)] == [f"bsuid:{user_id}"]
    deliver(server, notification(
        contacts=[contact("15551234567", "Anna", user_id=user_id)],
        messages=[bsuid_message(user_id, phone="15551234567", text={"body": "Second"})]))
    deliver(server, notification(contacts=[contact("", "Anna", user_id=user_id)],
                                 messages=[bsuid_message(user_id, text={"body": "Third"})]))
    wait_for(lambda: caught_up(container))
    with container.views.reader.connect() as conn:
        rows = conn.execute(
            sa.select(dialogs.c.id, dialogs.c.phone, messages.c.text)
            .select_from(messages.join(dialogs, dialogs.c.id == messages.c.dialog_id))
            .order_by(messages.c.recorded_at)).all()
    assert [r.text for r in rows] == ["First", "Second", "Third"]
    assert len({r.id for r in rows}) == 1  # one conversation, handed to the number
    assert {r.phone for r in rows[1:]} == {"+15551234567"}


def test_button_and_list_replies_read_as_the_titles_chosen(
    app: tuple[Container, LiveServer]
) -> None:
    container, server = app
    connect(container)
    answer = deliver(server, notification(messages=[
        button_reply("79161234567", "confirm-yes", "Yes, confirm"),
        list_reply("79161234567", "priority_express", "Priority Mail Express",
                   "Next Day to 2 Days"),
        quick_reply("79161234567", "STOP_PROMOS", "Stop promotions"),
        unsupported("79161234567")]))
    assert answer.json()["accepted"] == 4 and answer.json()["refused"] == []
    assert [text for _, _, text in inbox_rows(container)] == [
        "Yes, confirm", "Priority Mail Express", "Stop promotions",
        "[a kind of message WhatsApp does not pass on to businesses]"]


def test_a_reaction_goes_to_the_message_it_names_and_an_unknown_target_is_ignored(
    app: tuple[Container, LiveServer]
) -> None:
    container, server = app
    connect(container)
    deliver(server, notification(messages=[text_message("79161234567", "Hi",
                                                         wamid="wamid.TARGET")]))
    wait_for(lambda: caught_up(container))
    before = head(container)
    answer = deliver(server, notification(messages=[
        reaction("79161234567", "wamid.TARGET", "\U0001F44D"),
        reaction("79161234567", "wamid.NEVER_SEEN", "\U0001F44D")]))
    body = answer.json()
    assert answer.status_code == 200
    assert (body["accepted"], body["reactions"], body["ignored"]) == (0, 1, 1)
    assert head(container) > before  # the reaction was stored, and no message was made of it
    assert [text for _, _, text in inbox_rows(container)] == ["Hi"]


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
    {"object": "whatsapp_business_account", "entry": "not a list"},
    [1, 2],
])
def test_a_notification_not_whatsapps_gets_422_and_writes_nothing_at_all(
    app: tuple[Container, LiveServer], payload: Any
) -> None:
    container, server = app
    before = head(container)
    answer = deliver(server, payload)
    assert answer.status_code == 422
    assert head(container) == before


def test_a_body_that_is_not_json_gets_422_and_writes_nothing(
    app: tuple[Container, LiveServer]
) -> None:
    container, server = app
    before = head(container)
    body, headers = signed(b'{"object": "whatsapp_business_account", "entry": [')
    answer = post(server, body, headers)
    assert answer.status_code == 422 and "not JSON" in answer.json()["detail"]
    assert head(container) == before


@pytest.mark.parametrize(("bad", "where", "reason"), [
    ({"from": "79161234567", "id": "wamid.NOTIME", "type": "text", "text": {"body": "x"}},
     "messages[1]", "timestamp"),
    (text_message("not a number!", "x", wamid="wamid.BADSENDER"), "messages[1]",
     "Malformed sender"),
    ({"id": "wamid.NOBODY", "timestamp": "1700000000", "type": "text", "text": {"body": "x"}},
     "messages[1]", "names no sender"),
    (text_message("79161234567", "x" * 70000, wamid="wamid.TOOLONG"), "messages[1]",
     "at most 65536 characters"),
])
def test_one_unreadable_message_is_refused_and_recorded_while_the_others_are_stored(
    app: tuple[Container, LiveServer], bad: dict[str, Any], where: str, reason: str
) -> None:
    container, server = app
    connect(container)
    refused_before = refused_count("malformed_message") + refused_count(
        "malformed_sender") + refused_count("refused")
    answer = deliver(server, notification(
        contacts=[contact("79161234567", "Ivan")],
        messages=[text_message("79161234567", "Before"), bad,
                  text_message("79167654321", "After")],
        statuses=[status("wamid.A", "delivered", "79161234567")]))
    assert answer.status_code == 200  # Meta would otherwise deliver the whole batch again
    body = answer.json()
    assert (body["accepted"], body["statuses"]) == (2, 1)
    [refused] = body["refused"]
    assert refused["where"] == f"entry[0].changes[0].{where}"
    assert refused["id"] == bad["id"] and reason in refused["reason"]
    texts = [text for _, _, text in inbox_rows(container)]
    assert texts == ["Before", "After"]
    assert refused_count("malformed_message") + refused_count("malformed_sender") + \
        refused_count("refused") == refused_before + 1


def test_an_unreadable_status_or_change_spoils_only_itself(
    app: tuple[Container, LiveServer]
) -> None:
    container, server = app
    connect(container)
    payload = notification(messages=[text_message("79161234567", "Kept")],
                           statuses=[{"id": "wamid.X", "status": "read"},
                                     status("wamid.B", "read", "79161234567"),
                                     status("wamid.C", "something new", "79161234567")])
    payload["entry"][0]["changes"].append({"field": "messages", "value": {"no": "metadata"}})
    answer = deliver(server, payload)
    assert answer.status_code == 200
    body = answer.json()
    assert (body["accepted"], body["statuses"], body["ignored"]) == (1, 1, 1)
    assert [r["where"] for r in body["refused"]] == [
        "entry[0].changes[0].statuses[0]", "entry[0].changes[1]"]
    assert [text for _, _, text in inbox_rows(container)] == ["Kept"]


def test_a_refused_item_is_logged_with_its_reason_and_itself(
    app: tuple[Container, LiveServer], caplog: pytest.LogCaptureFixture
) -> None:
    container, server = app
    connect(container)
    with caplog.at_level(logging.WARNING, logger="infra.channels.cloud.webhook"):
        deliver(server, notification(messages=[
            {"from": "79161234567", "id": "wamid.LOGGED", "type": "text",
             "text": {"body": "keep me"}}]))
    [record] = [r for r in caplog.records if getattr(r, "item_id", "") == "wamid.LOGGED"]
    assert "timestamp" in record.reason  # type: ignore[attr-defined]
    assert "keep me" in record.item  # type: ignore[attr-defined]


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
