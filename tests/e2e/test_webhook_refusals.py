"""Every webhook item a channel trusts but cannot read gets a recorded, visible reason and never
fails its neighbours (issue 15): a Cloud batch keeps its good messages and records the bad one
once however often Meta delivers it; WAHA and Telegram get 200 "refused" for what they would
otherwise retry for nothing, recorded once; an unsigned request is refused and recorded nowhere;
admins and auditors read the records through GraphQL, operators may not."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY

from application import commands as c
from domain.operators import Role
from domain.webhook_refusals import EXCERPT_MAX
from infra.bootstrap import Container
from infra.channels.cloud.fake import FakeGraph, contact, notification, text_message
from infra.channels.telegram.fake import FakeBotApi, text_update
from infra.channels.waha.fake import FakeWaha, envelope, sign
from projections.webhook_refusals import refused_items
from tests.conftest import ADMIN_PASSWORD, LiveServer, caught_up, wait_for
from tests.e2e.test_http_inbox import signed_in
from tests.e2e.test_http_routing import add_operator
from tests.e2e.test_telegram import telegram_app
from tests.e2e.test_webhook_cloud import cloud_app, connect
from tests.e2e.test_webhook_cloud import deliver as cloud_deliver
from tests.e2e.test_webhook_cloud import inbox_rows as cloud_inbox
from tests.e2e.test_webhook_waha import HMAC_KEY, link, message_event, signed_post, waha_app
from tests.e2e.test_webhook_waha import inbox_rows as waha_inbox
from tests.e2e.test_webhook_waha import post as waha_post

RECORDED = "RefusedWebhookItem.Recorded"
REFUSED = """query($channel: String, $first: Int!, $after: String) {
  refusedWebhookItems(channel: $channel, first: $first, after: $after) {
    totalCount hasNextPage endCursor items { channel where itemId reason excerpt at } } }"""


def head(container: Container) -> int:
    return container.store.recorder.max_notification_id() or 0


def topics_since(container: Container, position: int) -> list[str]:
    """The events stored after `position`, by their topic's last part."""
    found = container.store.recorder.select_notifications(position, 1000,
                                                          inclusive_of_start=False)
    return [n.topic.rsplit(":", 1)[-1] for n in found]


def refusals(container: Container, channel: str | None = None) -> list[Any]:
    wait_for(lambda: caught_up(container))
    with container.views.reader.connect() as conn:
        return refused_items(conn, channel=channel, first=100).rows


def items_refused(channel: str, code: str) -> float:
    return REGISTRY.get_sample_value("switchboard_webhook_items_refused_total",
                                     {"channel": channel, "reason": code}) or 0.0


# -- the Cloud API: a batch never fails whole -----------------------------------------------------
@pytest.fixture
def graph() -> Iterator[FakeGraph]:
    fake = FakeGraph().start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def cloud(database_url: str, graph: FakeGraph) -> Iterator[tuple[Container, LiveServer]]:
    with cloud_app(database_url, graph) as built:
        yield built


def test_a_cloud_batch_keeps_its_good_message_and_records_the_bad_one_once_in_three_deliveries(
    cloud: tuple[Container, LiveServer]
) -> None:
    container, server = cloud
    connect(container)
    bad = {"from": "79161234567", "id": "wamid.NOTIME", "type": "text",
           "text": {"body": "sent without a time"}}
    payload = notification(contacts=[contact("79161234567", "Ivan")],
                           messages=[text_message("79161234567", "Good"), bad])
    answers = [cloud_deliver(server, payload) for _ in range(3)]  # Meta did not see our 200
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [[r["id"] for r in a.json()["refused"]] for a in answers] == [["wamid.NOTIME"]] * 3
    assert [text for _, _, text in cloud_inbox(container)] == ["Good"]
    [row] = refusals(container)
    assert (row.channel, row.location, row.item_id) == (
        "cloud", "entry[0].changes[0].messages[1]", "wamid.NOTIME")
    assert "timestamp" in row.reason
    assert json.loads(row.excerpt) == bad  # the item itself, to replay by hand
    everything = topics_since(container, 0)
    assert everything.count(RECORDED) == 1


def test_an_unsigned_cloud_batch_is_refused_and_recorded_nowhere(
    cloud: tuple[Container, LiveServer]
) -> None:
    container, server = cloud
    before = head(container)
    answer = httpx.post(f"{server.url}/webhooks/cloud", content=json.dumps(notification(
        messages=[{"id": "wamid.FORGED", "type": "text"}])).encode(),
        headers={"content-type": "application/json"}, timeout=15)
    assert answer.status_code == 401
    assert head(container) == before and refusals(container) == []


# -- WAHA: what can never be read is not retried --------------------------------------------------
@pytest.fixture
def waha() -> Iterator[FakeWaha]:
    fake = FakeWaha().start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def waha_server(database_url: str, waha: FakeWaha) -> Iterator[tuple[Container, LiveServer]]:
    with waha_app(database_url, waha) as built:
        yield built


def test_a_waha_event_with_an_unreadable_payload_is_answered_200_and_recorded_once(
    waha_server: tuple[Container, LiveServer]
) -> None:
    container, server = waha_server
    event = message_event(message_id="false_79161234567@c.us_NOTIME")
    del event["payload"]["timestamp"]
    counted = items_refused("waha", "malformed_payload")
    before = head(container)

    first = signed_post(server, event)
    assert first.status_code == 200
    assert first.json()["status"] == "refused" and "timestamp" in first.json()["reason"]
    assert topics_since(container, before) == [RECORDED]  # nothing else changed
    after_first = head(container)

    again = signed_post(server, event)  # a second delivery of the same event
    assert (again.status_code, again.json()["status"]) == (200, "refused")
    assert head(container) == after_first  # recorded nothing new
    [row] = refusals(container, "waha")
    assert (row.location, row.item_id) == ("payload (message)", event["id"])
    assert "timestamp" in row.reason and "NOTIME" in row.excerpt
    assert items_refused("waha", "malformed_payload") == counted + 2
    assert waha_inbox(container) == []


def test_a_waha_sender_that_is_no_number_is_recorded_and_the_next_message_still_arrives(
    waha_server: tuple[Container, LiveServer], waha: FakeWaha
) -> None:
    container, server = waha_server
    link(container, waha)
    event = message_event(sender="not-a-number@c.us", message_id="false_x@c.us_BAD")
    bad = signed_post(server, event)
    good = signed_post(server, message_event(message_id="false_79161234567@c.us_GOOD"))
    assert (bad.json()["status"], good.json()["status"]) == ("refused", "accepted")
    assert "not-a-number" in bad.json()["reason"]
    assert waha_inbox(container) == [("+79161234567", "Hello")]
    [row] = refusals(container, "waha")
    assert row.item_id == event["id"] and row.reason == bad.json()["reason"]


def test_waha_does_not_retry_an_event_that_was_recorded_as_refused(
    waha_server: tuple[Container, LiveServer], waha: FakeWaha
) -> None:
    container, _ = waha_server
    link(container, waha)
    waha.hook("default", "message", {"id": "false_79161234567@c.us_X", "from": "79161234567@c.us",
                                     "fromMe": False, "body": "no time"})
    wait_for(lambda: any(body["event"] == "message" for body, _ in waha.hooks_sent))
    [(body, status)] = [(b, s) for b, s in waha.hooks_sent if b["event"] == "message"]
    assert status == 200 and waha.waiting == []  # nothing left for WAHA to try again
    [row] = refusals(container, "waha")
    assert row.item_id == body["id"]


def test_a_signed_body_that_is_no_waha_envelope_stays_422_and_is_recorded_once(
    waha_server: tuple[Container, LiveServer]
) -> None:
    container, server = waha_server
    body = b'{"event": "message", "session": "default", "payload": '
    for _ in range(2):
        answer = waha_post(server, body, sign(HMAC_KEY, body))
        assert answer.status_code == 422 and "not JSON" in answer.json()["detail"]
    [row] = refusals(container, "waha")
    assert (row.location, row.item_id, row.excerpt) == ("body", "", body.decode())


def test_an_unsigned_or_stale_waha_event_is_refused_401_and_recorded_nowhere(
    waha_server: tuple[Container, LiveServer]
) -> None:
    container, server = waha_server
    before = head(container)
    event = message_event()
    del event["payload"]["timestamp"]
    data = json.dumps(event).encode()
    assert waha_post(server, data, {}).status_code == 401
    two_hours_ago = int((time.time() - 7200) * 1000)
    stale = envelope("message", "default", {"id": "y"}, timestamp_ms=two_hours_ago)
    data = json.dumps(stale).encode()
    assert waha_post(server, data, sign(HMAC_KEY, data, two_hours_ago)).status_code == 401
    assert head(container) == before


def test_an_excerpt_is_capped_so_a_huge_item_cannot_fill_the_page(
    waha_server: tuple[Container, LiveServer]
) -> None:
    container, server = waha_server
    event = message_event(message_id="false_79161234567@c.us_HUGE", text="x" * 70000)
    assert signed_post(server, event).json()["status"] == "refused"  # over 65,536 characters
    [row] = refusals(container, "waha")
    assert len(row.excerpt) == EXCERPT_MAX and row.excerpt.endswith("…")


# -- Telegram: an update it cannot read is not repeated -----------------------------------------
@pytest.fixture
def tg(database_url: str, telegram: FakeBotApi) -> Iterator[tuple[Container, LiveServer]]:
    with telegram_app(database_url, telegram) as (container, server):
        channel = container.channels.named("telegram")
        assert channel is not None
        wait_for(lambda: channel.status().ok, timeout=15)
        yield container, server


def test_a_telegram_update_it_cannot_read_is_answered_200_and_recorded_once(
    tg: tuple[Container, LiveServer], telegram: FakeBotApi
) -> None:
    container, _ = tg
    unreadable = {"update_id": 9001, "message": {"message_id": 1, "text": "no chat, no date"}}
    first = telegram.deliver_answered(unreadable)
    after_first = head(container)
    again = telegram.deliver_answered(unreadable)  # as Telegram repeats what is not 2xx
    assert [first[0], again[0]] == [200, 200]
    assert first[1]["status"] == "refused" and first[1]["update_id"] == 9001
    assert head(container) == after_first
    [row] = refusals(container, "telegram")
    assert (row.location, row.item_id) == ("update", "9001")
    assert "message" in row.reason and "no chat, no date" in row.excerpt
    assert telegram.deliver(text_update(9002, 4242, "Readable")) == 200  # the next one arrives


# -- GraphQL: admins and auditors read them; operators may not ------------------------------------
def test_admins_and_auditors_list_refused_items_newest_first_and_operators_are_refused(
    tg: tuple[Container, LiveServer], telegram: FakeBotApi
) -> None:
    container, server = tg
    for update_id in (1, 2, 3):
        telegram.deliver({"update_id": update_id, "message": {"text": f"bad {update_id}"}})
    wait_for(lambda: len(refusals(container)) == 3)
    add_operator(container, "olga")
    container.writer.execute_sync(c.RegisterOperator(
        login="audrey", display_name="Audrey", role=Role.AUDITOR,
        password_hash=container.hasher.hash("audrey-pass-1"), actor="test"))
    admin = signed_in(server, "admin", ADMIN_PASSWORD)

    page = admin(REFUSED, {"channel": "telegram", "first": 2})["refusedWebhookItems"]
    assert page["totalCount"] == 3 and page["hasNextPage"] is True
    assert [i["itemId"] for i in page["items"]] == ["3", "2"]
    assert {i["channel"] for i in page["items"]} == {"telegram"}
    assert "bad 3" in page["items"][0]["excerpt"] and page["items"][0]["reason"]
    rest = admin(REFUSED, {"channel": "telegram", "first": 2, "after": page["endCursor"]})
    assert [i["itemId"] for i in rest["refusedWebhookItems"]["items"]] == ["1"]
    assert admin(REFUSED, {"channel": "waha", "first": 5})["refusedWebhookItems"] == {
        "totalCount": 0, "hasNextPage": False, "endCursor": None, "items": []}

    audrey = signed_in(server, "audrey", "audrey-pass-1")
    assert audrey(REFUSED, {"first": 5})["refusedWebhookItems"]["totalCount"] == 3
    olga = signed_in(server, "olga", "olga-pass-1")
    denied = olga.raw(REFUSED, {"first": 5})
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert denied["data"] is None
    assert admin.raw(REFUSED, {"first": 500})["errors"][0]["message"] == \
        "`first` is between 1 and 100."

