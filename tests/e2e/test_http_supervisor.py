"""The supervisor's view over real HTTP: the `supervisor` role reads every dialog and the queue's
state, reassigns and resolves any dialog, and changes no setup; `inbox(scope: ALL)` lists every
dialog with who holds it (admins, supervisors, auditors; refused to operators), filtered by
operator, state and channel; admins, supervisors and auditors open any dialog search finds."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from application import commands as c
from domain.dialogs import Dialog
from domain.operators import Role
from infra.bootstrap import Container
from tests.conftest import ADMIN_PASSWORD, GraphQLClient, LiveServer, caught_up, wait_for
from tests.e2e.test_http_inbox import DIALOG, MARK_READ, signed_in
from tests.e2e.test_http_routing import (
    ADD_RULE,
    CLAIM,
    MODE,
    RESOLVE,
    TRANSFER,
    add_operator,
    inbox,
    send,
)
from tests.e2e.test_http_search import dialogs as found_by_search

ALL = """query($operator: ID, $state: DialogStatus, $channel: Messenger,
               $filter: InboxFilter! = ALL) {
  inbox(scope: ALL, operator: $operator, state: $state, channel: $channel, filter: $filter,
        first: 50) {
    edges { node { id status unreadCount assignee { id displayName } lastMessage { text } } }
  } }"""
CLIENT_CARD = """query($id: ID!) { clientCard(dialogId: $id) { phone } }"""
SET_LABELS = """mutation($id: ID!) { setDialogLabels(dialogId: $id, labelIds: []) {
  __typename ... on UserError { code } } }"""


def register(container: Container, login: str, role: Role) -> str:
    return str(container.writer.execute_sync(c.RegisterOperator(
        login=login, display_name=login.title(), role=role,
        password_hash=container.hasher.hash(f"{login}-pass-1"), actor="test")))


def every_dialog(gql: GraphQLClient, **variables: Any) -> list[dict[str, Any]]:
    return [e["node"] for e in gql(ALL, variables)["inbox"]["edges"]]


def holders(gql: GraphQLClient, **variables: Any) -> dict[str, str | None]:
    return {n["id"]: (n["assignee"] or {}).get("displayName")
            for n in every_dialog(gql, **variables)}


def test_supervisors_see_every_dialog_with_its_holder_and_operators_only_their_own(
    live_server: LiveServer, container: Container
) -> None:
    olga_id = add_operator(container, "olga")
    add_operator(container, "petr", queue=False)  # in the access group, sent nothing
    register(container, "sue", Role.SUPERVISOR)  # not in the access group
    register(container, "audrey", Role.AUDITOR)
    olga = signed_in(live_server, "olga", "olga-pass-1")
    held = send(live_server, "Где мой заказ?", phone="+79161110001")
    waiting = send(live_server, "Здравствуйте", phone="+79161110002")
    wait_for(lambda: len(inbox(olga)) == 2)
    assert olga(CLAIM, {"id": held})["claimDialog"]["dialog"]["status"] == "ASSIGNED"
    wait_for(lambda: caught_up(container))
    sue = signed_in(live_server, "sue", "sue-pass-1")
    petr = signed_in(live_server, "petr", "petr-pass-1")
    audrey = signed_in(live_server, "audrey", "audrey-pass-1")
    admin = signed_in(live_server, "admin", ADMIN_PASSWORD)

    assert holders(sue) == {held: "Olga", waiting: None}
    assert holders(admin) == {held: "Olga", waiting: None}
    assert holders(audrey) == {held: "Olga", waiting: None}
    assert inbox(sue) == [] and inbox(petr) == []  # their own scope: nothing delivered
    assert holders(sue, operator=olga_id) == {held: "Olga"}
    assert holders(sue, state="OPEN") == {waiting: None}
    assert holders(sue, state="ASSIGNED") == {held: "Olga"}
    assert holders(sue, state="RESOLVED") == {}
    assert holders(sue, channel="WHATSAPP") == {held: "Olga", waiting: None}
    assert holders(sue, channel="TELEGRAM") == {}
    assert holders(sue, filter="UNASSIGNED") == {waiting: None}
    assert [n["unreadCount"] for n in every_dialog(sue)] == [0, 0]  # nothing is theirs to read

    for operator in (olga, petr):
        refused = operator.raw(ALL)
        assert refused["data"] is None
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    for bad in ({"operator": "not an id"},):
        assert sue.raw(ALL, bad)["errors"], bad
    own_with_filter = sue.raw("{ inbox(state: OPEN) { edges { cursor } } }")
    assert own_with_filter["data"] is None  # state and operator filter the scope ALL only


def test_a_supervisor_reassigns_and_resolves_any_dialog_and_changes_no_setup(
    live_server: LiveServer, container: Container
) -> None:
    add_operator(container, "olga")
    petr_id = add_operator(container, "petr", queue=False)
    register(container, "sue", Role.SUPERVISOR)
    audrey_id = register(container, "audrey", Role.AUDITOR)
    olga = signed_in(live_server, "olga", "olga-pass-1")
    petr = signed_in(live_server, "petr", "petr-pass-1")
    sue = signed_in(live_server, "sue", "sue-pass-1")
    audrey = signed_in(live_server, "audrey", "audrey-pass-1")
    dialog_id = send(live_server, "Где мой заказ?")
    wait_for(lambda: inbox(olga))
    olga(CLAIM, {"id": dialog_id})

    assert petr(TRANSFER, {"id": dialog_id, "to": petr_id})["transferDialog"]["code"] \
        == "NOT_FOUND"  # an operator acts only on dialogs delivered to them
    refused = audrey(TRANSFER, {"id": dialog_id, "to": petr_id})["transferDialog"]
    assert refused["__typename"] == "UserError"  # auditors change nothing
    assert audrey(RESOLVE, {"id": dialog_id})["resolveDialog"]["__typename"] == "UserError"
    assert sue(TRANSFER, {"id": dialog_id, "to": audrey_id})["transferDialog"]["code"] \
        == "TARGET_NOT_ELIGIBLE"  # only to a colleague in the access group
    wait_for(lambda: caught_up(container))
    assert holders(sue) == {dialog_id: "Olga"}

    moved = sue(TRANSFER, {"id": dialog_id, "to": petr_id})["transferDialog"]
    assert moved == {"__typename": "DialogActionSuccess",
                     "dialog": {"status": "ASSIGNED", "assignee": {"displayName": "Petr"}}}
    wait_for(lambda: [e for e in inbox(petr, "MINE") if e["id"] == dialog_id])
    events = [container.store.mapper.to_domain_event(stored)
              for stored in container.store.recorder.select_events(UUID(dialog_id))]
    [transfer] = [e for e in events if isinstance(e, Dialog.Transferred)]
    assert (transfer.actor, str(transfer.to_operator)) == ("operator:sue", petr_id)

    resolved = sue(RESOLVE, {"id": dialog_id})["resolveDialog"]
    assert resolved == {"__typename": "DialogActionSuccess", "dialog": {"status": "RESOLVED"}}
    assert sue(SET_LABELS, {"id": dialog_id})["setDialogLabels"]["__typename"] != "UserError"

    # the queue's state: read; setup: refused
    assert sue("{ routingOperators { login } }")["routingOperators"]
    assert sue("{ employeeQueue { members { login } } }")["employeeQueue"]["members"]
    for query, variables in (
        (MODE, {"mode": "EVENLY"}),
        (ADD_RULE, {"rule": {"name": "Billing", "keywords": ["оплата"], "match": "ANY",
                             "targetIds": [petr_id]}}),
        ("""mutation($id: ID!) { removeAccessGroupMember(operatorId: $id) { __typename } }""",
         {"id": petr_id}),
        ("""mutation { createLabel(name: "VIP", color: "red") { __typename } }""", {}),
        ("{ routingRules { id } }", {}), ("{ accessGroup { name } }", {}),
        ("{ distributionSettings { mode } }", {}),
    ):
        body = sue.raw(query, variables)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", query


def test_admins_supervisors_and_auditors_open_any_dialog_search_finds(
    live_server: LiveServer, container: Container
) -> None:
    olga_id = add_operator(container, "olga")
    add_operator(container, "petr", queue=False)
    register(container, "sue", Role.SUPERVISOR)
    register(container, "audrey", Role.AUDITOR)
    admin = signed_in(live_server, "admin", ADMIN_PASSWORD)
    admin(ADD_RULE, {"rule": {"name": "Billing", "keywords": ["счёт"], "match": "ANY",
                              "targetIds": [olga_id]}})
    dialog_id = send(live_server, "Как оплатить счёт?")  # reaches olga only
    olga = signed_in(live_server, "olga", "olga-pass-1")
    wait_for(lambda: inbox(olga))
    wait_for(lambda: caught_up(container))
    sue = signed_in(live_server, "sue", "sue-pass-1")
    audrey = signed_in(live_server, "audrey", "audrey-pass-1")
    petr = signed_in(live_server, "petr", "petr-pass-1")
    assert inbox(admin) == []  # not delivered to the admin

    for reader in (admin, sue, audrey):
        assert found_by_search(reader, "счета") == [dialog_id]
        opened = reader(DIALOG, {"id": dialog_id})["dialog"]
        assert opened["id"] == dialog_id
        assert [m["text"] for m in opened["messages"]] == ["Как оплатить счёт?"]
        card = reader(CLIENT_CARD, {"id": dialog_id})["clientCard"]
        assert card["phone"] == "+79161234567"
    assert found_by_search(petr, "счета") == []
    assert petr(DIALOG, {"id": dialog_id})["dialog"] is None
    assert petr(CLIENT_CARD, {"id": dialog_id})["clientCard"] is None
    # opening is reading: the supervisor's glance marks nothing read for the client
    assert sue(MARK_READ, {"id": dialog_id})["markRead"]["code"] == "NOT_FOUND"
