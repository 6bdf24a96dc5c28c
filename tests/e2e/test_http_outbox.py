"""Outgoing messages over real HTTP: an operator replies, the simulated phone receives it once
and reads it, the ticks follow; the rules refuse what may not be sent; employees write first where
allowed; admins set the schedule, send now and read the health (also in /readyz and /metrics);
a subscriber hears each change of a reply."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import websockets

from application import commands as c
from application import routing as r
from domain.ids import operator_id
from domain.operators import Role
from domain.sync import SYNC_SCHEDULE_ID
from infra.bootstrap import Container
from infra.settings import Settings
from tests.conftest import (
    ADMIN_PASSWORD,
    GraphQLClient,
    LiveServer,
    caught_up,
    client_message,
    make_settings,
    simulator_post,
    wait_for,
)
from tests.e2e.test_http_inbox import signed_in

PHONE = "+79161234567"
SEND = """mutation($d: ID!, $t: String!, $k: String) { sendMessage(dialogId: $d, text: $t,
  idempotencyKey: $k) { __typename
  ... on SendMessageSuccess { duplicate outgoing { id status dialogId text } }
  ... on UserError { code message field } } }"""
START = """mutation($p: String, $t: String!) { startDialog(phone: $p, text: $t) { __typename
  ... on StartDialogSuccess { dialogId newDialog outgoing { id status } }
  ... on UserError { code field } } }"""
RETRY = """mutation($id: ID!) { retryMessage(messageId: $id) { __typename
  ... on RetryMessageSuccess { outgoing { status text } } ... on UserError { code } } }"""
DIALOG = """query($id: ID!) { dialog(id: $id) { entry { lastMessage { text direction } }
  messages { id seq direction text status failureCode failureReason attempts } } }"""
SETTINGS = """{ syncSettings { enabled mode intervalSeconds cron isDefault waiting failed
  nextRunAt changedBy } }"""
UPDATE = """mutation($e: Boolean!, $m: SyncMode!, $i: Int!, $c: String!) {
  updateSyncSettings(enabled: $e, mode: $m, intervalSeconds: $i, cron: $c) { __typename
  ... on UpdateSyncSettingsSuccess { settings { enabled mode intervalSeconds cron isDefault } }
  ... on UserError { code field } } }"""
RUN_NOW = """mutation { runSyncNow { __typename ... on RunSyncNowSuccess { finished
  report { claimed sent failed } } ... on UserError { code } } }"""
HEALTH = """{ health { ok replica schedulerRunning syncEnabled queued
  warnings { code message since } } }"""
MESSENGER = """mutation($w: Boolean!) { updateMessengerSettings(inService: true,
  employeesMayWriteFirst: $w) { __typename } }"""


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Quick retries, so that giving up takes a moment, not minutes."""
    return make_settings(database_url, outbox_max_attempts=2, outbox_retry_first_seconds=0.2)


@pytest.fixture
def admin(live_server: LiveServer) -> GraphQLClient:
    return signed_in(live_server, "admin", ADMIN_PASSWORD)  # once the operators view has it


def write(server: LiveServer, text: str = "Where is my order?", phone: str = PHONE) -> str:
    answer = simulator_post(server.url, client_message(phone, text))
    assert answer.status_code == 200, answer.text
    return str(answer.json()["dialog_id"])


def send(gql: GraphQLClient, dialog_id: str, text: str, key: str | None = None) -> dict[str, Any]:
    result: dict[str, Any] = gql(SEND, {"d": dialog_id, "t": text, "k": key})["sendMessage"]
    return result


def phone_messages(server: LiveServer, phone: str = PHONE) -> list[dict[str, Any]]:
    answer = httpx.get(f"{server.url}/simulator/phone/{phone}/messages", timeout=10)
    assert answer.status_code == 200
    messages: list[dict[str, Any]] = answer.json()
    return messages


def reply_status(gql: GraphQLClient, dialog_id: str, message_id: str) -> dict[str, Any]:
    for message in gql(DIALOG, {"id": dialog_id})["dialog"]["messages"]:
        if message["id"] == message_id:
            return dict(message)
    return {}


def test_a_reply_reaches_the_phone_once_and_its_ticks_follow_the_phone(
        live_server: LiveServer, admin: GraphQLClient) -> None:
    dialog_id = write(live_server)
    key = uuid.uuid4().hex
    first = send(admin, dialog_id, "It leaves today.", key)
    assert first["__typename"] == "SendMessageSuccess" and first["outgoing"]["status"] == "QUEUED"
    again = send(admin, dialog_id, "It leaves today!!", key)  # a retried request, re-typed
    assert again["duplicate"] and again["outgoing"]["id"] == first["outgoing"]["id"]
    assert again["outgoing"]["text"] == "It leaves today."  # what was queued, not the retry
    message_id = first["outgoing"]["id"]
    received = wait_for(lambda: phone_messages(live_server))  # sync runs every second here
    assert [m["text"] for m in received] == ["It leaves today."]
    wait_for(lambda: reply_status(admin, dialog_id, message_id).get("status") == "SENT")
    for status in ("delivered", "read"):
        ack = httpx.post(f"{live_server.url}/simulator/phone/ack", timeout=10, json={
            "number": PHONE, "id": received[0]["id"], "status": status})
        assert ack.status_code == 200, ack.text
        wait_for(lambda s=status: reply_status(admin, dialog_id, message_id)["status"]
                 == s.upper())
    shown = admin(DIALOG, {"id": dialog_id})["dialog"]
    assert [(m["direction"], m["seq"]) for m in shown["messages"]] == [("IN", 1), ("OUT", 2)]
    assert shown["entry"]["lastMessage"] == {"text": "It leaves today.", "direction": "OUT"}


def test_what_may_not_be_sent_is_refused_with_a_code(
        live_server: LiveServer, container: Container, admin: GraphQLClient) -> None:
    dialog_id = write(live_server)
    assert send(admin, dialog_id, "   ")["code"] == "TEXT_EMPTY"
    assert send(admin, dialog_id, "x" * 4097)["code"] == "TEXT_TOO_LONG"
    assert send(admin, str(uuid.uuid4()), "Hi")["code"] == "NOT_FOUND"
    olga = operator_id("olga")
    container.writer.execute_sync(c.RegisterOperator(
        login="olga", display_name="Olga", role=Role.OPERATOR,
        password_hash=container.hasher.hash("olga-pass-1"), actor="test"))
    container.writer.execute_sync(c.AddQueueMember(operator_id=olga, actor="test"))
    their = write(live_server, "To everybody", phone="+79161230000")
    container.writer.execute_sync(r.RemoveAccessMember(operator_id=olga, at=container.clock.now(),
                                                       actor="test"))
    wait_for(lambda: caught_up(container))
    assert send(signed_in(live_server, "olga", "olga-pass-1"), their, "Hi")["code"] == (
        "NOT_IN_ACCESS_GROUP")
    admin(MESSENGER.replace("inService: true", "inService: false"), {"w": False})
    assert send(admin, dialog_id, "Hi")["code"] == "CHANNEL_NOT_READY"


def test_employees_write_first_only_where_allowed(live_server: LiveServer,
                                                  admin: GraphQLClient) -> None:
    refused = admin(START, {"p": "+7 916 555-00-11", "t": "Hello from Acme"})["startDialog"]
    assert refused["code"] == "EMPLOYEES_MAY_NOT_WRITE_FIRST"
    admin(MESSENGER, {"w": True})
    assert admin(START, {"p": "not a phone", "t": "Hi"})["startDialog"]["field"] == "phone"
    started = admin(START, {"p": "+7 916 555-00-11", "t": "Hello from Acme"})["startDialog"]
    assert started["__typename"] == "StartDialogSuccess" and started["newDialog"]
    wait_for(lambda: phone_messages(live_server, "+79165550011"))
    entry = admin(DIALOG, {"id": started["dialogId"]})["dialog"]
    assert entry["entry"]["lastMessage"]["direction"] == "OUT"
    again = admin(START, {"p": "+79165550011", "t": "And again"})["startDialog"]
    assert again["dialogId"] == started["dialogId"] and not again["newDialog"]


def test_admins_set_the_schedule_send_now_and_read_the_health(
        live_server: LiveServer, container: Container, admin: GraphQLClient) -> None:
    olga = operator_id("olga")
    container.writer.execute_sync(c.RegisterOperator(
        login="olga", display_name="Olga", role=Role.OPERATOR,
        password_hash=container.hasher.hash("olga-pass-1"), actor="test"))
    operator = signed_in(live_server, "olga", "olga-pass-1")
    assert operator(SETTINGS)["syncSettings"]["isDefault"] is True
    variables = {"e": False, "m": "INTERVAL", "i": 30, "c": ""}
    assert operator.raw(UPDATE, variables)["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert operator.raw(HEALTH)["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert operator.raw(RUN_NOW)["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    bad = admin(UPDATE, {**variables, "m": "CRON", "c": "every minute"})["updateSyncSettings"]
    assert (bad["code"], bad["field"]) == ("INVALID_VALUE", "cron")
    off = admin(UPDATE, variables)["updateSyncSettings"]
    assert off["settings"] == {"enabled": False, "mode": "INTERVAL", "intervalSeconds": 30,
                               "cron": "", "isDefault": False}
    wait_for(lambda: container.sync.scheduler.get_job("sync") is None)  # type: ignore[union-attr]
    dialog_id = write(live_server)
    message_id = send(admin, dialog_id, "Waits for the job")["outgoing"]["id"]
    wait_for(lambda: caught_up(container))
    settings = operator(SETTINGS)["syncSettings"]
    assert (settings["enabled"], settings["waiting"], settings["nextRunAt"]) == (False, 1, None)
    health = admin(HEALTH)["health"]
    assert not health["ok"] and health["schedulerRunning"] and health["queued"] == 1
    assert [w["code"] for w in health["warnings"]] == ["SYNC_OFF_WHILE_QUEUED"]
    ready = httpx.get(f"{live_server.url}/readyz", timeout=10)
    assert ready.status_code == 200  # a global warning does not take the replica out
    assert ready.json()["outbox"]["warnings"][0]["code"] == "SYNC_OFF_WHILE_QUEUED"
    metrics = httpx.get(f"{live_server.url}/metrics", timeout=10).text
    assert 'switchboard_sync_health_warning{code="SYNC_OFF_WHILE_QUEUED"} 1.0' in metrics
    assert "switchboard_outbox_waiting 1.0" in metrics
    assert phone_messages(live_server) == []
    ran = admin(RUN_NOW)["runSyncNow"]
    assert ran["finished"] and ran["report"]["sent"] == 1
    assert [m["text"] for m in phone_messages(live_server)] == ["Waits for the job"]
    wait_for(lambda: reply_status(admin, dialog_id, message_id)["status"] == "SENT")
    wait_for(lambda: admin(HEALTH)["health"]["ok"])
    cron = admin(UPDATE, {"e": True, "m": "CRON", "i": 30, "c": "*/5 * * * *"})
    assert cron["updateSyncSettings"]["settings"]["cron"] == "*/5 * * * *"
    assert operator(SETTINGS)["syncSettings"]["changedBy"] == "operator:admin"
    assert olga


def test_a_cron_schedule_means_standard_cron_and_one_the_scheduler_cannot_follow_is_refused(
        live_server: LiveServer, container: Container, admin: GraphQLClient) -> None:
    for bad in ("0 9 * * 8", "0 0 31 2 *", "0 9 * * sat-sun"):
        refused = admin(UPDATE, {"e": True, "m": "CRON", "i": 30, "c": bad})["updateSyncSettings"]
        assert (refused["__typename"], refused["code"], refused["field"]) == (
            "UserError", "INVALID_VALUE", "cron")
    assert list(container.store.recorder.select_events(SYNC_SCHEDULE_ID)) == []
    assert admin(SETTINGS)["syncSettings"]["isDefault"] is True
    sundays = admin(UPDATE, {"e": True, "m": "CRON", "i": 30, "c": "0 9 * * 7"})
    assert sundays["updateSyncSettings"]["settings"]["cron"] == "0 9 * * 7"
    job = container.sync.scheduler.get_job("sync")  # type: ignore[union-attr]
    assert job.next_run_time.strftime("%a %H:%M") == "Sun 09:00"
    weekdays = admin(UPDATE, {"e": True, "m": "CRON", "i": 30, "c": "0 9 * * 1-5"})
    assert weekdays["updateSyncSettings"]["__typename"] == "UpdateSyncSettingsSuccess"
    job = container.sync.scheduler.get_job("sync")  # type: ignore[union-attr]
    fires = [job.trigger.get_next_fire_time(None, datetime(2030, 1, 5, tzinfo=UTC))]  # a Saturday
    for _ in range(5):
        fires.append(job.trigger.get_next_fire_time(fires[-1], fires[-1]))
    assert [f.strftime("%a") for f in fires] == ["Mon", "Tue", "Wed", "Thu", "Fri", "Mon"]


def test_a_reply_that_cannot_go_out_fails_with_its_reason_then_a_retry_sends_it(
        live_server: LiveServer, admin: GraphQLClient) -> None:
    dialog_id = write(live_server)
    assert httpx.post(f"{live_server.url}/simulator/phone/drop", timeout=10).status_code == 200
    message_id = send(admin, dialog_id, "Are you there?")["outgoing"]["id"]
    failed = wait_for(lambda: (m := reply_status(admin, dialog_id, message_id))
                      .get("status") == "FAILED" and m)
    assert failed["failureCode"] == "NOT_CONNECTED" and failed["attempts"] == 2
    assert "gave up after 2 attempts" in failed["failureReason"]
    assert httpx.post(f"{live_server.url}/simulator/phone/restore", timeout=10).status_code == 200
    retried = admin(RETRY, {"id": message_id})["retryMessage"]["outgoing"]
    assert retried == {"status": "QUEUED", "text": "Are you there?"}
    assert admin(RETRY, {"id": str(uuid.uuid4())})["retryMessage"]["code"] == "NOT_FOUND"
    wait_for(lambda: reply_status(admin, dialog_id, message_id)["status"] == "SENT")
    assert [m["text"] for m in phone_messages(live_server)] == ["Are you there?"]


async def test_a_subscriber_hears_each_change_of_a_reply(
        live_server: LiveServer, admin: GraphQLClient) -> None:
    dialog_id = await asyncio.to_thread(write, live_server)
    await asyncio.to_thread(wait_for, lambda: admin(DIALOG, {"id": dialog_id})["dialog"])
    ws_url = live_server.url.replace("http://", "ws://") + "/graphql"
    heard: list[list[str]] = []
    async with websockets.connect(ws_url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init",
                                  "payload": {"authorization": f"Bearer {admin.token}"}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {
            "query": "subscription($d: ID!) { outgoingChanged(dialogId: $d) { messageIds } }",
            "variables": {"d": dialog_id}}}))
        await asyncio.sleep(0.3)
        sent = await asyncio.to_thread(send, admin, dialog_id, "Live")
        deadline = asyncio.get_running_loop().time() + 15
        while asyncio.get_running_loop().time() < deadline:
            message = json.loads(await asyncio.wait_for(ws.recv(), 15))
            if message["type"] == "next":
                heard.append(message["payload"]["data"]["outgoingChanged"]["messageIds"])
                status = await asyncio.to_thread(reply_status, admin, dialog_id,
                                                 sent["outgoing"]["id"])
                if status.get("status") == "SENT":
                    break
    assert heard and all(ids == [sent["outgoing"]["id"]] for ids in heard)
