"""Over real HTTP: an admin links WhatsApp through the simulator by QR code or pairing code, the
phone drops and restores its connection, messages that arrive out of service are kept and
delivered later, and only admins change any of it."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime
from typing import Any

import httpx
import pytest
import websockets

from application import commands as c
from domain.operators import Role
from infra.bootstrap import Container
from tests.conftest import (
    ADMIN_PASSWORD,
    LOGIN,
    GraphQLClient,
    LiveServer,
    caught_up,
    cli,
    cli_env,
    free_port,
    make_settings,
    wait_for,
)

CHANNEL = """query { whatsappChannel(history: 50) {
  gateway linksDevices status reason phone device reconnecting reconnectAttempt inService
  employeesMayWriteFirst heldCount
  qrCode { value svg expiresAt sequence of }
  pairingCode { phone code }
  history { status event reason actor }
  heldMessages { phone text }
} }"""
RESULT = """__typename ... on UserError { code message }
  ... on WhatsAppChannelPayload { channel { status reason qrCode { sequence value expiresAt }
    pairingCode { code phone } inService employeesMayWriteFirst heldCount } }"""
START = f"mutation {{ startWhatsAppLinking {{ {RESULT} }} }}"
REFRESH = f"mutation {{ refreshWhatsAppCode {{ {RESULT} }} }}"
UNLINK = f"mutation {{ unlinkWhatsApp {{ {RESULT} }} }}"
PAIR = f"mutation($p: String!) {{ requestWhatsAppPairingCode(phoneNumber: $p) {{ {RESULT} }} }}"
SETTINGS = f"""mutation($s: Boolean!, $w: Boolean!) {{
  updateMessengerSettings(inService: $s, employeesMayWriteFirst: $w) {{ {RESULT} }} }}"""
INBOX = "query { inbox(first: 50) { edges { node { client { phone } lastMessage { text } } } } }"


def channel(gql: GraphQLClient) -> dict[str, Any]:
    result: dict[str, Any] = gql(CHANNEL)["whatsappChannel"]
    return result


def phone(server: LiveServer, action: str, body: dict[str, Any] | None = None) -> httpx.Response:
    return httpx.post(f"{server.url}/simulator/phone/{action}", json=body or {}, timeout=15)


def write(server: LiveServer, sender: str, text: str, **extra: Any) -> dict[str, Any]:
    answer = phone(server, "send", {"from": sender, "text": text, "name": "Ivan", **extra})
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def inbox_texts(gql: GraphQLClient) -> list[str]:
    return [e["node"]["lastMessage"]["text"] for e in gql(INBOX)["inbox"]["edges"]]


@pytest.fixture
def admin(graphql_client: GraphQLClient) -> GraphQLClient:
    wait_for(lambda: graphql_client.raw(LOGIN, {"login": "admin", "password": ADMIN_PASSWORD})
             ["data"]["login"]["__typename"] == "LoginSuccess")  # the read model caught up
    graphql_client.login("admin", ADMIN_PASSWORD)
    return graphql_client


def test_a_development_start_is_linked_and_in_service_so_a_first_message_arrives_at_once(
    live_server: LiveServer, admin: GraphQLClient
) -> None:
    state = channel(admin)
    assert (state["gateway"], state["status"], state["inService"]) == (
        "simulator", "WORKING", True)
    assert state["phone"] == "+15555550100"
    assert {h["actor"] for h in state["history"]} == {"system"}
    assert write(live_server, "+79161234567", "Hello there")["status"] == "accepted"
    wait_for(lambda: "Hello there" in inbox_texts(admin))


def test_an_admin_links_by_qr_code_through_the_simulator_then_a_message_arrives(
    live_server: LiveServer, admin: GraphQLClient
) -> None:
    assert admin(UNLINK)["unlinkWhatsApp"]["channel"]["status"] == "STOPPED"
    refused = phone(live_server, "send", {"from": "+79161234567", "text": "anyone?"})
    assert refused.status_code == 409 and refused.json()["detail"]["code"] == "NOT_LINKED"
    started = admin(START)["startWhatsAppLinking"]
    assert started["__typename"] == "WhatsAppChannelPayload"
    assert started["channel"]["status"] == "SCAN_QR_CODE"
    qr = channel(admin)["qrCode"]
    assert qr["sequence"] == 1 and qr["of"] == 6 and qr["svg"].startswith("<svg")
    lifetime = datetime.fromisoformat(qr["expiresAt"]).timestamp() - time.time()
    assert 50 < lifetime <= 60
    assert phone(live_server, "scan", {"value": "2@an-old-code"}).status_code == 409
    assert phone(live_server, "scan", {"value": qr["value"]}).status_code == 200
    linked = wait_for(lambda: (s := channel(admin))["status"] == "WORKING" and s)
    assert linked["qrCode"] is None and linked["phone"] == "+15555550100"
    events = [h["event"] for h in linked["history"]]
    assert events[:4] == ["Linked", "QrCodeIssued", "LinkingStarted", "Unlinked"]
    assert write(live_server, "+79161234568", "Linked and heard")["status"] == "accepted"
    wait_for(lambda: "Linked and heard" in inbox_texts(admin))


def test_refresh_code_starts_a_new_series_with_a_new_code(
    live_server: LiveServer, admin: GraphQLClient
) -> None:
    admin(UNLINK)
    first = admin(START)["startWhatsAppLinking"]["channel"]["qrCode"]
    again = admin(REFRESH)["refreshWhatsAppCode"]["channel"]["qrCode"]
    assert again["sequence"] == 1 and again["value"] != first["value"]
    assert admin(START)["startWhatsAppLinking"]["__typename"] == "UserError"


def test_linking_by_pairing_code_keeps_the_qr_code_as_fallback(
    live_server: LiveServer, admin: GraphQLClient
) -> None:
    admin(UNLINK)
    result = admin(PAIR, {"p": "+7 916 555-44-33"})["requestWhatsAppPairingCode"]
    assert result["channel"]["pairingCode"]["phone"] == "+79165554433"
    assert result["channel"]["qrCode"]["sequence"] == 1
    code = result["channel"]["pairingCode"]["code"]
    assert phone(live_server, "pair", {"code": code}).status_code == 200
    state = wait_for(lambda: (s := channel(admin))["status"] == "WORKING" and s)
    assert state["phone"] == "+79165554433"


def test_a_bad_pairing_number_is_refused_with_the_field(admin: GraphQLClient) -> None:
    admin(UNLINK)
    result = admin(PAIR, {"p": "not a number"})["requestWhatsAppPairingCode"]
    assert result == {"__typename": "UserError", "code": "INVALID_VALUE",
                      "message": result["message"]}


def test_unlinking_twice_is_refused_with_a_code(admin: GraphQLClient) -> None:
    admin(UNLINK)
    assert admin(UNLINK)["unlinkWhatsApp"]["code"] == "NOT_LINKED"


def test_a_dropped_connection_shows_as_reconnecting_and_what_waited_arrives_on_restore(
    live_server: LiveServer, admin: GraphQLClient
) -> None:
    assert phone(live_server, "drop").status_code == 200
    state = wait_for(lambda: (s := channel(admin))["reconnecting"] and s)
    assert state["status"] == "STARTING"
    assert "lost its connection" in state["reason"]
    assert write(live_server, "+79161234569", "While you were away")["status"] == "waiting"
    restored = phone(live_server, "restore")
    assert restored.json()["delivered"] == 1
    wait_for(lambda: channel(admin)["status"] == "WORKING")
    wait_for(lambda: "While you were away" in inbox_texts(admin))
    events = [h["event"] for h in channel(admin)["history"]]
    assert "ConnectionLost" in events and "Reconnected" in events


def test_what_arrives_out_of_service_is_kept_reported_and_delivered_when_back_in_service(
    live_server: LiveServer, admin: GraphQLClient
) -> None:
    off = admin(SETTINGS, {"s": False, "w": False})["updateMessengerSettings"]
    assert off["channel"]["inService"] is False
    kept = write(live_server, "+79161234570", "Anybody home?", id="wamid-kept-1")
    assert kept["status"] == "held" and kept["dialog_id"] is None
    assert write(live_server, "+79161234570", "Anybody home?", id="wamid-kept-1")["status"] \
        == "duplicate"
    state = wait_for(lambda: (s := channel(admin))["heldCount"] == 1 and s)
    assert state["heldMessages"] == [{"phone": "+79161234570", "text": "Anybody home?"}]
    time.sleep(0.3)
    assert "Anybody home?" not in inbox_texts(admin)
    on = admin(SETTINGS, {"s": True, "w": False})["updateMessengerSettings"]
    assert on["channel"]["heldCount"] == 0
    wait_for(lambda: "Anybody home?" in inbox_texts(admin))
    assert write(live_server, "+79161234570", "Anybody home?", id="wamid-kept-1")["status"] \
        == "duplicate"


def test_employees_may_write_first_is_off_by_default_and_admins_switch_it(
    admin: GraphQLClient
) -> None:
    assert channel(admin)["employeesMayWriteFirst"] is False
    result = admin(SETTINGS, {"s": True, "w": True})["updateMessengerSettings"]
    assert result["channel"]["employeesMayWriteFirst"] is True
    assert channel(admin)["history"][0]["reason"] == "In service; employees may write first."


def test_an_operator_sees_the_status_but_neither_the_code_nor_the_switches(
    live_server: LiveServer, container: Container, admin: GraphQLClient
) -> None:
    container.writer.execute_sync(c.RegisterOperator(
        login="olga", display_name="Olga", role=Role.OPERATOR,
        password_hash=container.hasher.hash("olga-pass-1"), actor="test"))
    admin(UNLINK)
    admin(START)
    olga = GraphQLClient(live_server.url)
    wait_for(lambda: olga.raw(
        'mutation { login(login: "olga", password: "olga-pass-1") { __typename } }')
        ["data"]["login"]["__typename"] == "LoginSuccess")
    olga.login("olga", "olga-pass-1")
    seen = channel(olga)
    assert seen["status"] == "SCAN_QR_CODE" and seen["qrCode"] is None
    for mutation in (START, UNLINK, REFRESH):
        body = olga.raw(mutation)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = olga.raw(SETTINGS, {"s": False, "w": True})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert channel(admin)["inService"] is True


def test_the_phone_reads_what_the_company_sent_and_reports_delivery_and_reading(
    live_server: LiveServer, container: Container
) -> None:
    gateway = container.whatsapp.gateway
    external = gateway.send_text("+79161234567", "Your order is ready", "outbox-1")
    sent = httpx.get(f"{live_server.url}/simulator/phone/+79161234567/messages", timeout=10)
    assert [(m["id"], m["text"]) for m in sent.json()] == [(external, "Your order is ready")]
    ack = phone(live_server, "ack", {"number": "+79161234567", "id": external, "status": "read"})
    assert ack.json()["status"] == "recorded"
    reports = container.whatsapp.delivery_reports.received
    assert [(r.external_id, r.status) for r in reports] == [(external, "read")]
    again = httpx.get(f"{live_server.url}/simulator/phone/+79161234567/messages", timeout=10)
    assert again.json()[0]["status"] == "read"
    unknown = phone(live_server, "ack", {"number": "+79161234567", "id": "nope", "status": "read"})
    assert unknown.status_code == 409


async def test_a_subscriber_hears_each_status_and_code_change_live(
    live_server: LiveServer, admin: GraphQLClient
) -> None:
    assert admin.token
    seen: list[dict[str, Any]] = []
    ws_url = live_server.url.replace("http://", "ws://") + "/graphql"
    async with websockets.connect(ws_url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init",
                                  "payload": {"authorization": f"Bearer {admin.token}"}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {
            "query": "subscription { whatsappChannelChanged { status qrCode { sequence } } }"}}))

        async def collect(until: str) -> None:
            while not any(s["status"] == until for s in seen):
                message = json.loads(await asyncio.wait_for(ws.recv(), 10))
                if message["type"] == "next":
                    seen.append(message["payload"]["data"]["whatsappChannelChanged"])

        await collect("WORKING")
        await asyncio.to_thread(admin, UNLINK)
        await collect("STOPPED")
        await asyncio.to_thread(admin, START)
        await collect("SCAN_QR_CODE")
        assert any(s["qrCode"] and s["qrCode"]["sequence"] == 1 for s in seen)
        await asyncio.to_thread(phone, live_server, "scan")
        seen.clear()
        await collect("WORKING")


def test_the_audit_keeps_the_messenger_settings_and_the_link_as_they_stood_at_any_instant(
    live_server: LiveServer, container: Container, admin: GraphQLClient
) -> None:
    from projections.audit import trail as audit

    wait_for(lambda: caught_up(container))
    with container.views.reader.connect() as conn:
        before = audit.current_configuration(conn).position
    admin(SETTINGS, {"s": False, "w": True})
    admin(UNLINK)
    wait_for(lambda: caught_up(container))
    with container.views.reader.connect() as conn:
        now = audit.current_configuration(conn).readable["whatsapp"]
        then = audit.sections().describe(audit.configuration_at_position(conn, before))
        entries = [e.summary for e in audit.history(conn, actor="operator:admin")]
    assert then["whatsapp"] == {"WhatsApp linked as": "+15555550100 (Switchboard simulator)",
                                "WhatsApp in service": "yes", "Employees may write first": "no"}
    assert now == {"WhatsApp linked as": "not linked", "WhatsApp in service": "no",
                   "Employees may write first": "yes"}
    assert "WhatsApp out of service; employees may write first" in entries
    assert any(e.startswith("WhatsApp unlinked: Unlinked by an admin") for e in entries)


def test_the_simulator_is_refused_in_production_before_anything_starts(tmp_path: Any) -> None:
    database = tmp_path / "sb.db"
    production = {"SWITCHBOARD_ENV": "production", "SWITCHBOARD_SECRET_KEY": "a-real-secret-1",
                  "SWITCHBOARD_SIMULATOR_SECRET": "a-real-secret-2"}
    done = cli("serve", "--port", str(free_port()),
               env=cli_env(f"sqlite:///{database}", **production))  # the default gateway
    said = " ".join((done.stdout + done.stderr).split())
    assert done.returncode == 2, said
    assert "SWITCHBOARD_GATEWAY=simulator (the default) is for trying Switchboard out" in said
    assert "In production set SWITCHBOARD_GATEWAY to waha or cloud." in said
    assert not database.exists()
    for env in ("development", "test"):  # where it is meant to be
        assert make_settings(f"sqlite:///{database}", env=env).gateway == "simulator"
