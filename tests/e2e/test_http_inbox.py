"""Over real HTTP and WebSockets: a client's message reaches every queue member's inbox, live;
who may see what; sign-in, sign-out and throttling."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

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
    cli,
    cli_env,
    client_message,
    simulator_post,
    subscribe_inbox,
    wait_for,
)

INBOX = """query($first: Int!, $after: String, $filter: InboxFilter!) {
  inbox(first: $first, after: $after, filter: $filter) {
    unreadDialogs
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id unreadCount messageCount client { phone name }
                          lastMessage { text direction } } }
  }
}"""
DIALOG = """query($id: ID!) { dialog(id: $id) { id hasEarlier entry { unreadCount }
  messages { seq text direction } } }"""
MARK_READ = """mutation($id: ID!) { markRead(dialogId: $id) { __typename
  ... on MarkReadSuccess { dialog { unreadCount } } ... on UserError { code field } } }"""
BY_MESSENGER = """query($channel: Messenger) {
  inbox(channel: $channel) { edges { node { id channel } } } }"""
DIALOG_CHANNEL = """query($id: ID!) { dialog(id: $id) { channel entry { channel } } }"""


def add_operator(container: Container, login: str, *, queue: bool) -> None:
    oid = container.writer.execute_sync(c.RegisterOperator(
        login=login, display_name=login.title(), role=Role.OPERATOR,
        password_hash=container.hasher.hash(f"{login}-pass-1"), actor="test"))
    if queue:
        container.writer.execute_sync(c.AddQueueMember(operator_id=oid, actor="test"))


def inbox(gql: GraphQLClient, first: int = 30, after: str | None = None,
          filter: str = "ALL") -> dict[str, Any]:
    result: dict[str, Any] = gql(INBOX, {"first": first, "after": after, "filter": filter})["inbox"]
    return result


def signed_in(server: LiveServer, login: str, password: str) -> GraphQLClient:
    client = GraphQLClient(server.url)
    wait_for(lambda: client.raw(LOGIN, {"login": login, "password": password})
             ["data"]["login"]["__typename"] == "LoginSuccess", timeout=10)
    client.login(login, password)
    return client


def test_a_client_message_reaches_every_queue_member_and_nobody_else(
    live_server: LiveServer, container: Container
) -> None:
    add_operator(container, "olga", queue=True)
    add_operator(container, "petr", queue=False)
    admin = signed_in(live_server, "admin", ADMIN_PASSWORD)
    olga = signed_in(live_server, "olga", "olga-pass-1")
    petr = signed_in(live_server, "petr", "petr-pass-1")

    answer = simulator_post(live_server.url, client_message(text="Where is my order?"))
    assert answer.status_code == 200 and answer.json()["status"] == "accepted"

    for operator in (admin, olga):
        entry = wait_for(lambda o=operator: inbox(o)["edges"], timeout=10)[0]["node"]
        assert entry["client"] == {"phone": "+79161234567", "name": "Ivan"}
        assert entry["lastMessage"] == {"text": "Where is my order?", "direction": "IN"}
        assert entry["unreadCount"] == 1
    assert inbox(petr)["edges"] == []
    dialog_id = answer.json()["dialog_id"]
    assert petr(DIALOG, {"id": dialog_id})["dialog"] is None
    refused = petr(MARK_READ, {"id": dialog_id})["markRead"]
    assert refused == {"__typename": "UserError", "code": "NOT_FOUND", "field": "dialogId"}


def test_marking_read_clears_the_unread_count_for_that_operator_only(
    live_server: LiveServer, container: Container
) -> None:
    add_operator(container, "olga", queue=True)
    admin = signed_in(live_server, "admin", ADMIN_PASSWORD)
    olga = signed_in(live_server, "olga", "olga-pass-1")
    for text in ("one", "two"):
        simulator_post(live_server.url, client_message(text=text))
    entry = wait_for(lambda: [e for e in inbox(admin)["edges"]
                              if e["node"]["unreadCount"] == 2])[0]["node"]
    marked = admin(MARK_READ, {"id": entry["id"]})["markRead"]
    assert marked == {"__typename": "MarkReadSuccess", "dialog": {"unreadCount": 0}}
    wait_for(lambda: inbox(admin)["unreadDialogs"] == 0)
    assert inbox(olga, filter="UNREAD")["edges"][0]["node"]["unreadCount"] == 2
    assert inbox(admin, filter="UNREAD")["edges"] == []
    dialog = admin(DIALOG, {"id": entry["id"]})["dialog"]
    assert [m["text"] for m in dialog["messages"]] == ["one", "two"]
    assert [m["seq"] for m in dialog["messages"]] == [1, 2]


def test_the_inbox_pages_newest_first_with_cursors(live_server: LiveServer) -> None:
    admin = signed_in(live_server, "admin", ADMIN_PASSWORD)
    for i in range(7):
        simulator_post(live_server.url, client_message(phone=f"+7916000000{i}", text=f"#{i}"))
    wait_for(lambda: len(inbox(admin, first=50)["edges"]) == 7)
    seen: list[str] = []
    after = None
    while True:
        page = inbox(admin, first=3, after=after)
        seen += [e["node"]["lastMessage"]["text"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [f"#{i}" for i in reversed(range(7))]
    bad = admin.raw(INBOX, {"first": 3, "after": "nonsense", "filter": "ALL"})
    assert "cursor" in bad["errors"][0]["message"]


def test_anonymous_callers_get_nothing_but_login(live_server: LiveServer) -> None:
    anonymous = GraphQLClient(live_server.url)
    for query in ("{ me { login } }", "{ inbox { unreadDialogs } }",
                  'mutation { markRead(dialogId: "x") { __typename } }',
                  "mutation { logout { ok } }"):
        body = anonymous.raw(query)
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_a_wrong_password_is_refused_and_repeated_failures_are_throttled(
    live_server: LiveServer,
) -> None:
    anonymous = GraphQLClient(live_server.url)
    codes = [anonymous(LOGIN, {"login": "admin", "password": "nope"})["login"]["code"]
             for _ in range(6)]
    assert codes[:5] == ["INVALID_CREDENTIALS"] * 5
    assert codes[5] == "TOO_MANY_ATTEMPTS"
    throttled = anonymous(LOGIN, {"login": "admin", "password": ADMIN_PASSWORD})["login"]
    assert throttled["__typename"] == "LoginError"
    assert throttled["retryAfterSeconds"] > 0


def test_signing_out_revokes_the_token(live_server: LiveServer) -> None:
    admin = signed_in(live_server, "admin", ADMIN_PASSWORD)
    assert admin("{ me { login role } }")["me"] == {"login": "admin", "role": "ADMIN"}
    assert admin("mutation { logout { ok } }")["logout"] == {"ok": True}
    wait_for(lambda: admin.raw("{ me { login } }")["data"] is None, timeout=10)


def test_a_query_too_deep_or_too_aliased_is_refused(live_server: LiveServer) -> None:
    admin = signed_in(live_server, "admin", ADMIN_PASSWORD)
    aliases = " ".join(f"a{i}: me {{ login }}" for i in range(20))
    assert admin.raw(f"{{ {aliases} }}")["errors"]


async def test_a_subscriber_sees_a_new_message_live(live_server: LiveServer) -> None:
    admin = await asyncio.to_thread(signed_in, live_server, "admin", ADMIN_PASSWORD)
    received: list[dict[str, Any]] = []
    ready, stop = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(subscribe_inbox(live_server.url, admin.token or "", received,
                                               ready, stop))
    await asyncio.wait_for(ready.wait(), 10)
    await asyncio.sleep(0.2)
    await asyncio.to_thread(simulator_post, live_server.url, client_message(text="live!"))
    for _ in range(200):
        if received:
            break
        await asyncio.sleep(0.05)
    stop.set()
    await task
    assert received, "no inboxChanged arrived"
    assert received[0]["dialog"]["lastMessage"]["text"] == "live!"
    assert received[0]["unreadDialogs"] == 1


async def test_a_socket_with_a_bad_token_is_refused_with_4403(live_server: LiveServer) -> None:
    url = live_server.url.replace("http://", "ws://") + "/graphql"
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init",
                                  "payload": {"authorization": "Bearer v1.forged.token"}}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


def test_switchboard_phone_send_delivers_to_the_inbox(
    live_server: LiveServer, container: Container
) -> None:
    admin = signed_in(live_server, "admin", ADMIN_PASSWORD)
    env = cli_env(container.settings.database_url)
    sent = cli("phone", "send", "--from", "+7 916 765-43-21", "--name", "Anna",
               "--url", live_server.url, "Здравствуйте!", env=env)
    assert sent.returncode == 0, sent.stdout + sent.stderr
    assert "Delivered (accepted)" in sent.stdout
    entry = wait_for(lambda: inbox(admin)["edges"])[0]["node"]
    assert entry["client"] == {"phone": "+79167654321", "name": "Anna"}
    assert entry["lastMessage"]["text"] == "Здравствуйте!"


def test_instants_leave_the_api_in_utc_with_their_offset(live_server: LiveServer) -> None:
    admin = signed_in(live_server, "admin", ADMIN_PASSWORD)
    simulator_post(live_server.url, client_message(text="when?"))
    entry = wait_for(lambda: admin("{ inbox { edges { node { id openedAt "
                                   "lastMessage { at } } } } }")["inbox"]["edges"])[0]["node"]
    messages = admin("query($id: ID!) { dialog(id: $id) { messages { sentAt recordedAt } } }",
                     {"id": entry["id"]})["dialog"]["messages"]
    for instant in (entry["openedAt"], entry["lastMessage"]["at"], messages[0]["sentAt"],
                    messages[0]["recordedAt"]):
        assert instant.endswith("+00:00"), instant


def test_each_dialog_says_its_messenger_and_the_inbox_narrows_to_one(
    live_server: LiveServer, container: Container
) -> None:
    admin = signed_in(live_server, "admin", ADMIN_PASSWORD)
    answer = simulator_post(live_server.url, client_message(text="Through WhatsApp"))
    whatsapp = answer.json()["dialog_id"]
    telegram = str(container.writer.execute_sync(c.ReceiveClientMessage(
        channel="telegram", external_id="42:1", phone="tg:42", name="Ann", text="hi",
        sent_at=datetime.now(UTC))).dialog_id)

    def listed(channel: str | None) -> dict[str, str]:
        edges = admin(BY_MESSENGER, {"channel": channel})["inbox"]["edges"]
        return {e["node"]["id"]: e["node"]["channel"] for e in edges}

    wait_for(lambda: len(listed(None)) == 2, timeout=10)
    assert listed(None) == {whatsapp: "WHATSAPP", telegram: "TELEGRAM"}
    assert listed("WHATSAPP") == {whatsapp: "WHATSAPP"}
    assert listed("TELEGRAM") == {telegram: "TELEGRAM"}
    for dialog_id, messenger in ((whatsapp, "WHATSAPP"), (telegram, "TELEGRAM")):
        assert admin(DIALOG_CHANNEL, {"id": dialog_id})["dialog"] == {
            "channel": messenger, "entry": {"channel": messenger}}
