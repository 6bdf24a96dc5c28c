"""Routing over real HTTP: admins manage the access group, the queue, rules and distribution;
operators claim, transfer and resolve; every field that reads or sends messages refuses an
operator outside the access group; what-if and preview answer without changing anything."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import websockets

from application import commands as c
from domain.operators import Role
from infra.bootstrap import Container
from tests.conftest import (
    ADMIN_PASSWORD,
    GraphQLClient,
    LiveServer,
    client_message,
    simulator_post,
    wait_for,
)
from tests.e2e.test_http_inbox import DIALOG, MARK_READ, signed_in

INBOX = """query($filter: InboxFilter!) { inbox(first: 50, filter: $filter) {
  edges { node { id status assignee { displayName } offerExpiresAt lastMessage { text } } } } }"""

OPERATORS = "{ routingOperators { id login inAccessGroup inQueue queuePosition presence } }"
ADD_RULE = """mutation($rule: RoutingRuleInput!) { addRoutingRule(rule: $rule) { __typename
  ... on RoutingRulesPayload { ruleId rules { id name position activeTargets
        targets { login } } }
  ... on UserError { code message field } } }"""
MOVE_RULE = """mutation($id: ID!, $p: Int!) { moveRoutingRule(id: $id, position: $p) {
  __typename ... on RoutingRulesPayload { rules { name position } } } }"""
PREVIEW = """query($text: String!) { routePreview(text: $text) { rule { name } fallback toQueue
  matchedKeywords recipients { login } mode wouldAssign { login } } }"""
WHAT_IF = """query($rules: [RoutingRuleInput!]!, $since: DateTime!, $until: DateTime!) {
  routingWhatIf(rules: $rules, since: $since, until: $until) { messages changed truncated
    byOperator { operator { login } live proposed delta } byRule { name live proposed }
    samples { text liveRule proposedRule } } }"""
CLAIM = """mutation($id: ID!) { claimDialog(dialogId: $id) { __typename
  ... on DialogActionSuccess { dialog { status assignee { displayName } } }
  ... on UserError { code field } } }"""
TRANSFER = """mutation($id: ID!, $to: ID!) { transferDialog(dialogId: $id, operatorId: $to,
  note: "please") { __typename ... on DialogActionSuccess { dialog { status assignee {
  displayName } } } ... on UserError { code field } } }"""
RESOLVE = """mutation($id: ID!) { resolveDialog(dialogId: $id) { __typename
  ... on DialogActionSuccess { dialog { status } } ... on UserError { code field } } }"""
NOTIFICATIONS = """{ notifications { unreadCount latestSeq items { kind clientName text count
  detail read } } }"""
GROUP = """mutation($id: ID!) { removeAccessGroupMember(operatorId: $id) { __typename
  ... on AccessGroup { members { login } } ... on UserError { code } } }"""
QUEUE_ADD = """mutation($id: ID!, $grant: Boolean!) { addQueueMember(operatorId: $id,
  grantAccess: $grant) { __typename ... on EmployeeQueue { members { login } }
  ... on UserError { code message } } }"""
MODE = """mutation($mode: DistributionMode!) { updateDistributionSettings(mode: $mode,
  idleTimeoutSeconds: 45, capacity: 3) { __typename ... on DistributionSettings { mode
  idleTimeoutSeconds capacity reopenWindowHours } ... on UserError { code field } } }"""


def add_operator(container: Container, login: str, *, queue: bool = True,
                 group: bool = True) -> str:
    oid = container.writer.execute_sync(c.RegisterOperator(
        login=login, display_name=login.title(), role=Role.OPERATOR,
        password_hash=container.hasher.hash(f"{login}-pass-1"), actor="test"))
    if queue:
        container.writer.execute_sync(c.AddQueueMember(operator_id=oid, actor="test"))
    elif group:
        from application.routing import AddAccessMember
        container.writer.execute_sync(AddAccessMember(operator_id=oid, actor="test"))
    return str(oid)


def inbox(gql: GraphQLClient, filter: str = "ALL") -> list[dict[str, Any]]:
    edges = gql(INBOX, {"filter": filter})["inbox"]["edges"]
    return [e["node"] for e in edges]


def send(server: LiveServer, text: str, phone: str = "+79161234567") -> str:
    answer = simulator_post(server.url, client_message(phone=phone, text=text))
    assert answer.status_code == 200, answer.text
    return str(answer.json()["dialog_id"])


def test_a_message_matching_a_rule_reaches_only_its_target(
    live_server: LiveServer, container: Container
) -> None:
    olga = add_operator(container, "olga")
    add_operator(container, "petr")
    outsider = add_operator(container, "ivan", queue=False, group=False)
    admin = signed_in(live_server, "admin", ADMIN_PASSWORD)
    petr = signed_in(live_server, "petr", "petr-pass-1")
    refused = admin(ADD_RULE, {"rule": {"name": "Billing", "keywords": ["оплата"],
                                        "match": "ANY", "targetIds": [outsider]}})
    assert refused["addRoutingRule"]["code"] == "TARGET_NOT_ELIGIBLE"
    assert refused["addRoutingRule"]["field"] == "targets"
    saved = admin(ADD_RULE, {"rule": {"name": "Billing", "keywords": ["оплата", "счёт"],
                                      "match": "ANY", "targetIds": [olga]}})["addRoutingRule"]
    assert [r["name"] for r in saved["rules"]] == ["Billing"]
    assert saved["rules"][0]["targets"] == [{"login": "olga"}]
    olga_client = signed_in(live_server, "olga", "olga-pass-1")

    preview = admin(PREVIEW, {"text": "Не могу оплатить СЧЕТА!"})["routePreview"]
    assert preview["rule"] == {"name": "Billing"}
    assert preview["recipients"] == [{"login": "olga"}]
    assert preview["matchedKeywords"] == ["оплата", "счёт"]

    dialog_id = send(live_server, "Как оплатить счёт?")
    wait_for(lambda: [e for e in inbox(olga_client) if e["id"] == dialog_id])
    assert inbox(petr) == []
    assert [e["id"] for e in inbox(admin)] == []


def test_rules_move_and_preview_shows_the_first_match(
    live_server: LiveServer, container: Container
) -> None:
    olga, petr = add_operator(container, "olga"), add_operator(container, "petr")
    admin = signed_in(live_server, "admin", ADMIN_PASSWORD)
    for name, target in (("Billing", olga), ("Everything paid", petr)):
        admin(ADD_RULE, {"rule": {"name": name, "keywords": ["оплата"], "match": "ANY",
                                  "targetIds": [target]}})
    assert admin(PREVIEW, {"text": "оплатой"})["routePreview"]["rule"] == {"name": "Billing"}
    rules = admin("{ routingRules { id name } }")["routingRules"]
    moved = admin(MOVE_RULE, {"id": rules[1]["id"], "p": 0})["moveRoutingRule"]
    assert [r["name"] for r in moved["rules"]] == ["Everything paid", "Billing"]
    preview = admin(PREVIEW, {"text": "оплатой"})["routePreview"]
    assert preview["rule"] == {"name": "Everything paid"}
    assert preview["recipients"] == [{"login": "petr"}]


RULE_RESULT = """__typename ... on RoutingRulesPayload { ruleId rules { name enabled } }
  ... on UserError { code field }"""
UPDATE_RULE = f"""mutation($id: ID!, $rule: RoutingRuleInput!) {{
  updateRoutingRule(id: $id, rule: $rule) {{ {RULE_RESULT} }} }}"""
SWITCH_RULE = f"""mutation($id: ID!, $on: Boolean!) {{
  switchRoutingRule(id: $id, enabled: $on) {{ {RULE_RESULT} }} }}"""
REMOVE_RULE = f"""mutation($id: ID!) {{ removeRoutingRule(id: $id) {{ {RULE_RESULT} }} }}"""


def test_a_rule_is_changed_switched_and_removed_by_its_id_and_an_unknown_id_is_refused(
    live_server: LiveServer, container: Container
) -> None:
    olga = add_operator(container, "olga")
    admin = signed_in(live_server, "admin", ADMIN_PASSWORD)
    billing = {"name": "Billing", "keywords": ["оплата"], "match": "ANY", "targetIds": [olga]}
    rule_id = admin(ADD_RULE, {"rule": billing})["addRoutingRule"]["ruleId"]

    for mutation, variables in ((UPDATE_RULE, {"rule": billing}), (SWITCH_RULE, {"on": False}),
                                (REMOVE_RULE, {})):
        refused = next(iter(admin(mutation, {"id": "not-a-rule", **variables}).values()))
        assert (refused["code"], refused["field"]) == ("NOT_FOUND", "id")
    bad_target = {**billing, "targetIds": ["not-an-operator"]}
    refused = admin(UPDATE_RULE, {"id": rule_id, "rule": bad_target})["updateRoutingRule"]
    assert (refused["code"], refused["field"]) == ("NOT_FOUND", "targetIds")

    renamed = admin(UPDATE_RULE, {"id": rule_id, "rule": {**billing, "name": "Payments"}})
    assert renamed["updateRoutingRule"]["ruleId"] == rule_id
    assert renamed["updateRoutingRule"]["rules"] == [{"name": "Payments", "enabled": True}]
    switched = admin(SWITCH_RULE, {"id": rule_id, "on": False})["switchRoutingRule"]
    assert switched["rules"] == [{"name": "Payments", "enabled": False}]
    removed = admin(REMOVE_RULE, {"id": rule_id})["removeRoutingRule"]
    assert removed == {"__typename": "RoutingRulesPayload", "ruleId": None, "rules": []}


def test_to_everybody_the_first_claim_takes_it_and_the_other_is_refused(
    live_server: LiveServer, container: Container
) -> None:
    add_operator(container, "olga")
    add_operator(container, "petr")
    olga = signed_in(live_server, "olga", "olga-pass-1")
    petr = signed_in(live_server, "petr", "petr-pass-1")
    dialog_id = send(live_server, "Здравствуйте")
    wait_for(lambda: inbox(olga) and inbox(petr))
    assert inbox(olga, "UNASSIGNED")[0]["status"] == "OPEN"
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda who: who(CLAIM, {"id": dialog_id})["claimDialog"],
                                (olga, petr)))
    kinds = sorted(a["__typename"] for a in answers)
    assert kinds == ["DialogActionSuccess", "UserError"]
    assert [a["code"] for a in answers if a["__typename"] == "UserError"] == ["ALREADY_TAKEN"]
    winner, loser = (olga, petr) if answers[0]["__typename"] == "DialogActionSuccess" \
        else (petr, olga)
    wait_for(lambda: inbox(winner, "MINE"))
    assert inbox(loser, "MINE") == []
    assert inbox(loser, "UNASSIGNED") == []
    assert inbox(loser)[0]["assignee"]["displayName"] in ("Olga", "Petr")


def test_transfer_resolve_and_the_lifecycle_filters(
    live_server: LiveServer, container: Container
) -> None:
    add_operator(container, "olga")
    petr_id = add_operator(container, "petr")
    olga = signed_in(live_server, "olga", "olga-pass-1")
    petr = signed_in(live_server, "petr", "petr-pass-1")
    dialog_id = send(live_server, "Где мой заказ?")
    wait_for(lambda: inbox(olga, "UNANSWERED"))
    assert olga(CLAIM, {"id": dialog_id})["claimDialog"]["dialog"]["status"] == "ASSIGNED"
    moved = olga(TRANSFER, {"id": dialog_id, "to": petr_id})["transferDialog"]
    assert moved["dialog"]["assignee"] == {"displayName": "Petr"}
    wait_for(lambda: petr(NOTIFICATIONS)["notifications"]["unreadCount"] >= 1)
    notes = petr(NOTIFICATIONS)["notifications"]["items"]
    assert notes[0]["kind"] == "TRANSFERRED" and notes[0]["detail"] == "please"
    assert petr(RESOLVE, {"id": dialog_id})["resolveDialog"]["dialog"]["status"] == "RESOLVED"
    wait_for(lambda: inbox(petr, "RESOLVED"))
    assert inbox(petr, "UNANSWERED") == [] and inbox(petr, "MINE") == []
    send(live_server, "Ещё вопрос")  # reopens, back to petr who held it
    wait_for(lambda: inbox(petr, "MINE"))
    read = petr("mutation { markNotificationsRead { __typename "
                "... on NotificationList { unreadCount } } }")["markNotificationsRead"]
    assert read == {"__typename": "NotificationList", "unreadCount": 0}


def test_an_operator_outside_the_access_group_sees_nothing_and_can_do_nothing(
    live_server: LiveServer, container: Container
) -> None:
    olga_id = add_operator(container, "olga")
    admin = signed_in(live_server, "admin", ADMIN_PASSWORD)
    olga = signed_in(live_server, "olga", "olga-pass-1")
    dialog_id = send(live_server, "Здравствуйте")
    wait_for(lambda: inbox(olga))
    wait_for(lambda: olga(NOTIFICATIONS)["notifications"]["unreadCount"] == 1)
    removed = admin(GROUP, {"id": olga_id})["removeAccessGroupMember"]
    assert {"login": "olga"} not in removed["members"]
    wait_for(lambda: inbox(olga) == [])
    for name in ("ALL", "UNREAD", "MINE", "UNASSIGNED", "UNANSWERED", "RESOLVED"):
        assert inbox(olga, name) == []
    assert olga(DIALOG, {"id": dialog_id})["dialog"] is None
    assert olga(MARK_READ, {"id": dialog_id})["markRead"]["code"] == "NOT_FOUND"
    assert olga(CLAIM, {"id": dialog_id})["claimDialog"]["code"] == "NOT_IN_ACCESS_GROUP"
    assert olga(RESOLVE, {"id": dialog_id})["resolveDialog"]["code"] == "NOT_IN_ACCESS_GROUP"
    assert olga(TRANSFER, {"id": dialog_id, "to": olga_id})["transferDialog"]["code"] \
        == "NOT_IN_ACCESS_GROUP"
    assert olga(NOTIFICATIONS)["notifications"] == {"unreadCount": 0, "latestSeq": 0,
                                                    "items": []}
    assert olga("{ transferTargets { id } }")["transferTargets"] == []
    me = olga("{ myPresence { inAccessGroup inQueue } }")["myPresence"]
    assert me == {"inAccessGroup": False, "inQueue": False}
    assert inbox(admin)  # the admin still sees it


def test_the_queue_refuses_an_outsider_unless_access_is_granted(
    live_server: LiveServer, container: Container
) -> None:
    ivan = add_operator(container, "ivan", queue=False, group=False)
    admin = signed_in(live_server, "admin", ADMIN_PASSWORD)
    refused = admin(QUEUE_ADD, {"id": ivan, "grant": False})["addQueueMember"]
    assert refused["code"] == "NOT_IN_ACCESS_GROUP"
    added = admin(QUEUE_ADD, {"id": ivan, "grant": True})["addQueueMember"]
    assert [m["login"] for m in added["members"]] == ["admin", "ivan"]
    roster = {o["login"]: o for o in admin(OPERATORS)["routingOperators"]}
    assert roster["ivan"]["inAccessGroup"] and roster["ivan"]["queuePosition"] == 1


def test_admin_fields_are_refused_to_operators(live_server: LiveServer,
                                               container: Container) -> None:
    add_operator(container, "olga")
    olga = signed_in(live_server, "olga", "olga-pass-1")
    now = datetime.now(UTC).isoformat()
    for query, variables in (
        (OPERATORS, {}), ("{ accessGroup { name } }", {}),
        ("{ employeeQueue { members { id } } }", {}),
        ("{ routingRules { id } }", {}), ("{ distributionSettings { mode } }", {}),
        (PREVIEW, {"text": "x"}), (WHAT_IF, {"rules": [], "since": now, "until": now}),
        (MODE, {"mode": "EVENLY"}),
    ):
        body = olga.raw(query, variables)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", query


def test_distribution_settings_change_and_evenly_notifies_the_assignee(
    live_server: LiveServer, container: Container
) -> None:
    add_operator(container, "olga")
    admin = signed_in(live_server, "admin", ADMIN_PASSWORD)
    olga = signed_in(live_server, "olga", "olga-pass-1")
    settings = admin(MODE, {"mode": "EVENLY"})["updateDistributionSettings"]
    assert settings == {"__typename": "DistributionSettings", "mode": "EVENLY",
                        "idleTimeoutSeconds": 45, "capacity": 3, "reopenWindowHours": 72}
    dialog_id = send(live_server, "Здравствуйте")  # nobody is online: it waits, unassigned
    wait_for(lambda: inbox(olga, "UNASSIGNED"))
    assert olga("mutation { setPresence(status: AWAY) { __typename ... on MyPresence { chosen"
                " status } } }")["setPresence"] == {"__typename": "MyPresence",
                                                   "chosen": "AWAY", "status": "OFFLINE"}
    received: list[dict[str, Any]] = []
    asyncio.run(online_while(live_server, olga.token or "", received, lambda: wait_for(
        lambda: olga("mutation { setPresence(status: ONLINE) { __typename } }") and
        inbox(olga, "MINE"), timeout=10)))
    assert inbox(olga, "MINE")[0]["id"] == dialog_id
    assert any(n["kind"] == "ASSIGNED" for change in received
               for n in change["notifications"])


async def online_while(server: LiveServer, token: str, received: list[dict[str, Any]],
                       action: Any) -> None:
    """Keeps a panel socket open (inboxChanged: online) with notificationsChanged, runs
    `action` in a thread, and collects the notification changes pushed meanwhile."""
    url = server.url.replace("http://", "ws://") + "/graphql"
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init",
                                  "payload": {"authorization": f"Bearer {token}"}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {
            "query": "subscription { inboxChanged { dialog { id } } }"}}))
        await ws.send(json.dumps({"id": "2", "type": "subscribe", "payload": {
            "query": "subscription { notificationsChanged { unreadCount notifications { kind "
                     "text } } }"}}))
        await asyncio.sleep(0.3)
        task = asyncio.create_task(asyncio.to_thread(action))
        while not task.done() or not received:
            try:
                message = json.loads(await asyncio.wait_for(ws.recv(), 0.2))
            except TimeoutError:
                if task.done() and task.exception():
                    break
                continue
            if message["type"] == "next" and message["id"] == "2":
                received.append(message["payload"]["data"]["notificationsChanged"])
        await task


def test_what_if_reports_how_a_proposal_would_have_routed_past_traffic(
    live_server: LiveServer, container: Container
) -> None:
    olga, petr = add_operator(container, "olga"), add_operator(container, "petr")
    admin = signed_in(live_server, "admin", ADMIN_PASSWORD)
    since = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    for i, text in enumerate(("оплата", "доставка", "привет", "оплатой")):
        send(live_server, text, phone=f"+7916555000{i}")
    until = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
    rules = [{"name": "Billing", "keywords": ["оплата"], "match": "ANY", "targetIds": [olga]},
             {"name": "Delivery", "keywords": ["доставка"], "match": "ANY",
              "targetIds": [petr]}]
    wait_for(lambda: admin(WHAT_IF, {"rules": [], "since": since, "until": until})
             ["routingWhatIf"]["messages"] == 4)
    report = admin(WHAT_IF, {"rules": rules, "since": since, "until": until})["routingWhatIf"]
    assert report["messages"] == 4 and report["changed"] == 3 and not report["truncated"]
    rows = {r["operator"]["login"]: r for r in report["byOperator"]}
    # Billing's two, and the greeting that still goes to the whole queue.
    assert rows["olga"] == {"operator": {"login": "olga"}, "live": 4, "proposed": 3,
                            "delta": -1}
    assert rows["petr"]["proposed"] == 2 and rows["admin"]["proposed"] == 1
    by_rule = {r["name"]: (r["live"], r["proposed"]) for r in report["byRule"]}
    assert by_rule == {"Billing": (0, 2), "Delivery": (0, 1), "Employee queue": (4, 1)}
    assert admin("{ routingRules { id } }")["routingRules"] == []  # nothing was saved
    bad = admin.raw(WHAT_IF, {"rules": [{"name": "", "keywords": ["x"], "targetIds": []}],
                              "since": since, "until": until})
    assert "rules[0]" in bad["errors"][0]["message"]


@pytest.mark.parametrize("operation", [
    'mutation { claimDialog(dialogId: "x") { __typename } }',
    'mutation { resolveDialog(dialogId: "x") { __typename } }',
    'mutation { transferDialog(dialogId: "x", operatorId: "y") { __typename } }',
    "mutation { markNotificationsRead { __typename } }",
    "mutation { setPresence(status: AWAY) { __typename } }",
    "{ notifications { unreadCount } }", "{ myPresence { status } }",
    "{ transferTargets { id } }",
])
def test_routing_fields_need_a_signed_in_caller(live_server: LiveServer, operation: str) -> None:
    body = GraphQLClient(live_server.url).raw(operation)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
