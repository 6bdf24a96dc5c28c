"""People over real HTTP and WebSockets: admins list, create, rename, re-role, give one-time
passwords to, deactivate and reactivate operators; everyone changes their own password. Bad input
is refused with a code and changes nothing; only admins manage people; deactivation closes the
person's session at once (the next call and the open socket), takes them out of the access group
and the queue; each change is in the audit with its actor."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import websockets

from infra.bootstrap import Container
from tests.conftest import (
    ADMIN_PASSWORD,
    LOGIN,
    GraphQLClient,
    LiveServer,
    make_settings,
    running_container,
)
from tests.e2e.test_http_inbox import add_operator, signed_in
from tests.e2e.test_quick_replies import add_auditor
from tests.setup_helpers import SmtpSink

PERSON = """id login displayName role email active inAccessGroup inQueue presence
  lastSignInAt createdAt"""
OPERATORS = f"{{ operators {{ {PERSON} }} }}"
CREATE = f"""mutation($l: String!, $n: String!, $r: OperatorRole!, $e: String! = "") {{
  createOperator(login: $l, displayName: $n, role: $r, email: $e) {{ __typename
  ... on OneTimePasswordPayload {{ oneTimePassword mailedTo operator {{ {PERSON} }} }}
  ... on UserError {{ code field message }} }} }}"""
UPDATE = f"""mutation($id: ID!, $n: String, $r: OperatorRole, $e: String) {{
  updateOperator(id: $id, displayName: $n, role: $r, email: $e) {{ __typename
  ... on PersonPayload {{ operator {{ {PERSON} }} }} ... on UserError {{ code field }} }} }}"""
RESET = """mutation($id: ID!) { resetOperatorPassword(id: $id) { __typename
  ... on OneTimePasswordPayload { oneTimePassword mailedTo operator { login } }
  ... on UserError { code field } } }"""
DEACTIVATE = """mutation($id: ID!) { deactivateOperator(id: $id) { __typename
  ... on PersonPayload { operator { login active inAccessGroup inQueue } }
  ... on UserError { code field message } } }"""
REACTIVATE = """mutation($id: ID!) { reactivateOperator(id: $id) { __typename
  ... on PersonPayload { operator { login active } } ... on UserError { code field } } }"""
CHANGE_MINE = """mutation($c: String!, $n: String!) {
  changeMyPassword(currentPassword: $c, newPassword: $n) { __typename
  ... on Done { ok } ... on UserError { code field } } }"""
HISTORY = """{ setupHistory(section: "operators") { actor event summary } }"""


def people(admin: GraphQLClient) -> dict[str, dict[str, Any]]:
    return {p["login"]: p for p in admin(OPERATORS)["operators"]}


def signs_in(server: LiveServer, login: str, password: str) -> bool:
    answer = GraphQLClient(server.url).raw(LOGIN, {"login": login, "password": password})
    return bool(answer["data"]["login"]["__typename"] == "LoginSuccess")


def create(admin: GraphQLClient, login: str, name: str = "", role: str = "OPERATOR",
           email: str = "") -> dict[str, Any]:
    result: dict[str, Any] = admin(CREATE, {"l": login, "n": name, "r": role, "e": email})[
        "createOperator"]
    return result


def test_admins_list_everyone_with_role_membership_presence_and_last_sign_in(
        live_server: LiveServer, container: Container) -> None:
    add_operator(container, "olga", queue=True)
    add_auditor(container, "audrey")
    admin = signed_in(live_server, "admin", ADMIN_PASSWORD)

    listed = people(admin)

    assert sorted(listed) == ["admin", "audrey", "olga"]
    assert (listed["olga"]["role"], listed["olga"]["inAccessGroup"], listed["olga"]["inQueue"],
            listed["olga"]["active"], listed["olga"]["lastSignInAt"]) == (
        "OPERATOR", True, True, True, None)
    assert listed["audrey"]["role"] == "AUDITOR" and listed["audrey"]["inQueue"] is False
    assert listed["admin"]["lastSignInAt"] is not None  # the admin just signed in
    assert listed["olga"]["presence"] == "OFFLINE"


def test_a_created_operator_signs_in_with_the_one_time_password_shown_once(
        live_server: LiveServer) -> None:
    admin = signed_in(live_server, "admin", ADMIN_PASSWORD)

    created = create(admin, " Maria ", "Maria Ivanova", "OPERATOR")

    assert created["__typename"] == "OneTimePasswordPayload", created
    password = created["oneTimePassword"]
    assert len(password) >= 12 and created["mailedTo"] is None  # no SMTP server: shown
    assert (created["operator"]["login"], created["operator"]["displayName"],
            created["operator"]["role"]) == ("maria", "Maria Ivanova", "OPERATOR")
    assert password not in json.dumps(admin(OPERATORS))  # nowhere else, ever
    assert signs_in(live_server, "maria", password)


def test_an_empty_or_taken_login_is_refused_with_a_code_and_changes_nothing(
        live_server: LiveServer, container: Container) -> None:
    add_operator(container, "olga", queue=False)
    admin = signed_in(live_server, "admin", ADMIN_PASSWORD)
    before = people(admin)
    history = admin(HISTORY)["setupHistory"]

    empty = create(admin, "  ", "Nobody")
    taken = create(admin, "OLGA", "Another Olga", "ADMIN")
    bad_mail = create(admin, "petr", "Petr", email="not an address")

    assert (empty["code"], empty["field"]) == ("INVALID_VALUE", "login")
    assert (taken["code"], taken["field"]) == ("LOGIN_TAKEN", "login")
    assert (bad_mail["code"], bad_mail["field"]) == ("INVALID_VALUE", "email")
    assert people(admin) == before
    assert admin(HISTORY)["setupHistory"] == history


def test_the_name_role_and_address_change_and_the_last_admin_stays_an_admin(
        live_server: LiveServer, container: Container) -> None:
    add_operator(container, "olga", queue=False)
    admin = signed_in(live_server, "admin", ADMIN_PASSWORD)
    listed = people(admin)

    changed = admin(UPDATE, {"id": listed["olga"]["id"], "n": "Olga Petrova", "r": "AUDITOR",
                             "e": "olga@example.com"})["updateOperator"]
    demoted = admin(UPDATE, {"id": listed["admin"]["id"], "r": "OPERATOR"})["updateOperator"]
    nameless = admin(UPDATE, {"id": listed["olga"]["id"], "n": "  "})["updateOperator"]

    assert {k: changed["operator"][k] for k in ("displayName", "role", "email")} == {
        "displayName": "Olga Petrova", "role": "AUDITOR", "email": "olga@example.com"}
    assert (demoted["code"], demoted["field"]) == ("LAST_ADMIN", "operatorId")
    assert nameless["code"] == "INVALID_VALUE"
    assert people(admin)["admin"]["role"] == "ADMIN"
    assert people(admin)["olga"]["displayName"] == "Olga Petrova"
    promoted = admin(UPDATE, {"id": listed["olga"]["id"], "r": "ADMIN"})["updateOperator"]
    assert promoted["operator"]["role"] == "ADMIN"  # now there are two admins: one may go
    assert admin(UPDATE, {"id": listed["admin"]["id"], "r": "OPERATOR"})["updateOperator"][
        "operator"]["role"] == "OPERATOR"


def test_a_reset_gives_a_new_one_time_password_and_the_old_one_stops_working(
        live_server: LiveServer, container: Container) -> None:
    add_operator(container, "olga", queue=False)
    admin = signed_in(live_server, "admin", ADMIN_PASSWORD)

    reset = admin(RESET, {"id": people(admin)["olga"]["id"]})["resetOperatorPassword"]

    assert reset["__typename"] == "OneTimePasswordPayload" and reset["mailedTo"] is None
    assert not signs_in(live_server, "olga", "olga-pass-1")
    assert signs_in(live_server, "olga", reset["oneTimePassword"])
    unknown = admin(RESET, {"id": "00000000-0000-0000-0000-000000000000"})
    assert unknown["resetOperatorPassword"]["code"] == "OPERATOR_NOT_FOUND"


def test_a_one_time_password_is_mailed_when_the_operator_has_an_address_and_smtp_is_set(
        database_url: str) -> None:
    with SmtpSink() as sink:
        settings = make_settings(database_url, smtp_host="127.0.0.1", smtp_port=sink.port)
        with running_container(settings) as container, LiveServer(container) as server:
            admin = signed_in(server, "admin", ADMIN_PASSWORD)
            mailed = create(admin, "maria", "Maria", email="maria@example.com")
            shown = create(admin, "petr", "Petr")  # no address: shown instead

            assert (mailed["oneTimePassword"], mailed["mailedTo"]) == (None, "maria@example.com")
            assert shown["oneTimePassword"] and shown["mailedTo"] is None
            [message] = sink.messages
            assert message["To"] == "maria@example.com"
            body = message.get_payload()
            password = body.split("one-time password: ")[1].split()[0]
            assert signs_in(server, "maria", password)


async def test_deactivation_closes_the_session_at_once_and_reactivation_lets_them_back(
        live_server: LiveServer, container: Container) -> None:
    add_operator(container, "olga", queue=True)
    admin = await asyncio.to_thread(signed_in, live_server, "admin", ADMIN_PASSWORD)
    olga = await asyncio.to_thread(signed_in, live_server, "olga", "olga-pass-1")
    olga_id = (await asyncio.to_thread(people, admin))["olga"]["id"]
    url = live_server.url.replace("http://", "ws://") + "/graphql"
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init",
                                  "payload": {"authorization": f"Bearer {olga.token}"}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"

        gone = (await asyncio.to_thread(admin, DEACTIVATE, {"id": olga_id}))["deactivateOperator"]

        assert gone["operator"] == {"login": "olga", "active": False, "inAccessGroup": False,
                                    "inQueue": False}
        refused = await asyncio.to_thread(olga.raw, "{ me { login } }")
        assert refused["data"] is None  # the very next call, no waiting
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
    assert not await asyncio.to_thread(signs_in, live_server, "olga", "olga-pass-1")

    back = (await asyncio.to_thread(admin, REACTIVATE, {"id": olga_id}))["reactivateOperator"]
    assert back["operator"] == {"login": "olga", "active": True}
    assert await asyncio.to_thread(signs_in, live_server, "olga", "olga-pass-1")
    again = (await asyncio.to_thread(admin, REACTIVATE, {"id": olga_id}))["reactivateOperator"]
    assert again["code"] == "NOT_ALLOWED"


def test_the_last_admin_and_yourself_cannot_be_deactivated(
        live_server: LiveServer, container: Container) -> None:
    add_operator(container, "olga", queue=False)
    admin = signed_in(live_server, "admin", ADMIN_PASSWORD)
    listed = people(admin)
    created = create(admin, "boss", "Second admin", "ADMIN")
    boss = signed_in(live_server, "boss", created["oneTimePassword"])

    myself = admin(DEACTIVATE, {"id": listed["admin"]["id"]})["deactivateOperator"]
    assert (myself["code"], myself["field"]) == ("NOT_YOURSELF", "id")
    assert boss(DEACTIVATE, {"id": listed["admin"]["id"]})["deactivateOperator"][
        "operator"]["active"] is False
    admin_again = GraphQLClient(live_server.url)
    assert admin_again.raw(LOGIN, {"login": "admin", "password": ADMIN_PASSWORD})["data"][
        "login"]["__typename"] == "LoginError"
    # boss is the last active admin now: demoting them is refused, and nothing changes
    before = people(boss)
    demoted = boss(UPDATE, {"id": before["boss"]["id"], "r": "OPERATOR"})["updateOperator"]
    assert demoted["code"] == "LAST_ADMIN"
    assert people(boss) == before


def test_everyone_changes_their_own_password_and_a_weak_or_wrong_one_changes_nothing(
        live_server: LiveServer, container: Container) -> None:
    add_operator(container, "olga", queue=False)
    olga = signed_in(live_server, "olga", "olga-pass-1")

    wrong = olga(CHANGE_MINE, {"c": "not-my-password", "n": "a-much-better-one"})
    short = olga(CHANGE_MINE, {"c": "olga-pass-1", "n": "short"})
    with_login = olga(CHANGE_MINE, {"c": "olga-pass-1", "n": "olga-olga-olga"})

    assert wrong["changeMyPassword"]["code"] == "WRONG_PASSWORD"
    assert (short["changeMyPassword"]["code"], short["changeMyPassword"]["field"]) == (
        "WEAK_PASSWORD", "password")
    assert with_login["changeMyPassword"]["code"] == "WEAK_PASSWORD"
    assert signs_in(live_server, "olga", "olga-pass-1")

    done = olga(CHANGE_MINE, {"c": "olga-pass-1", "n": "Rainy-Tuesday-42"})
    assert done["changeMyPassword"] == {"__typename": "Done", "ok": True}
    assert signs_in(live_server, "olga", "Rainy-Tuesday-42")
    assert not signs_in(live_server, "olga", "olga-pass-1")


def test_only_admins_manage_people(live_server: LiveServer, container: Container) -> None:
    add_operator(container, "olga", queue=False)
    add_auditor(container, "audrey")
    admin = signed_in(live_server, "admin", ADMIN_PASSWORD)
    olga_id = people(admin)["olga"]["id"]
    others = {login: signed_in(live_server, login, f"{login}-pass-1")
              for login in ("olga", "audrey")}
    before = people(admin)
    for login, someone in others.items():
        for query, variables in (
                (OPERATORS, {}),
                (CREATE, {"l": "mallory", "n": "M", "r": "ADMIN"}),
                (UPDATE, {"id": olga_id, "r": "ADMIN"}),
                (RESET, {"id": olga_id}),
                (DEACTIVATE, {"id": olga_id}),
                (REACTIVATE, {"id": olga_id})):
            answer = someone.raw(query, variables)
            assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN", (login, query)
    assert people(admin) == before


def test_every_change_is_in_the_audit_with_its_actor(
        live_server: LiveServer, container: Container) -> None:
    admin = signed_in(live_server, "admin", ADMIN_PASSWORD)
    created = create(admin, "maria", "Maria")
    oid = created["operator"]["id"]
    admin(UPDATE, {"id": oid, "n": "Maria I.", "r": "AUDITOR"})
    admin(RESET, {"id": oid})
    admin(DEACTIVATE, {"id": oid})
    admin(REACTIVATE, {"id": oid})
    maria_password = admin(RESET, {"id": oid})["resetOperatorPassword"]["oneTimePassword"]
    maria = signed_in(live_server, "maria", maria_password)
    maria(CHANGE_MINE, {"c": "", "n": "x"})  # refused: not recorded
    maria(CHANGE_MINE, {"c": "wrong", "n": "Rainy-Tuesday-42"})  # refused: not recorded
    history = admin(HISTORY)["setupHistory"]
    mine = maria(CHANGE_MINE, {"c": maria_password, "n": "Rainy-Tuesday-42"})
    assert mine["changeMyPassword"]["__typename"] == "Done"

    events = [(e["actor"], e["event"].removeprefix("Operator."))
              for e in reversed(admin(HISTORY)["setupHistory"]) if e["actor"] != "system"]
    assert events == [
        ("operator:admin", "Registered"), ("operator:admin", "Renamed"),
        ("operator:admin", "RoleChanged"), ("operator:admin", "PasswordReset"),
        ("operator:admin", "Deactivated"), ("operator:admin", "Reactivated"),
        ("operator:admin", "PasswordReset"), ("operator:maria", "PasswordChanged")]
    assert len(history) == len(events)  # the first admin (system) and seven by admin: no refusal
    assert "auditor" in next(e["summary"] for e in history
                             if e["event"].endswith("RoleChanged"))
