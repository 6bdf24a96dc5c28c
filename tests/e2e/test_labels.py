"""Labels over real HTTP and WebSockets: admins create, rename and delete labels, everyone signed
in reads them; operators put labels on the dialogs delivered to them and the inbox shows them on
its rows and in the dialog, filters by them, and tells an open inbox at once; the analysts'
tables count dialogs per label. Every refusal is a code and changes nothing: operators and
auditors managing labels, auditors labelling, a dialog not delivered to the operator, an empty
or taken name (ignoring case), a colour off the palette, unknown label ids."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import sqlalchemy as sa
import websockets

from application import commands as c
from application.routing import AddAccessMember
from domain.ids import operator_id
from domain.operators import Role
from infra.bootstrap import Container
from projections.analytics.dialogs import dialog_facts
from projections.analytics.labels import dialog_label_facts, label_facts
from tests.conftest import (
    ADMIN_PASSWORD,
    GraphQLClient,
    LiveServer,
    caught_up,
    client_message,
    simulator_post,
    wait_for,
)
from tests.e2e.test_http_inbox import add_operator, signed_in
from tests.integration.test_projections import snapshot
from tests.integration.test_swap import drift

LABELS = "{ labels { id name color } }"
CREATE = """mutation($n: String!, $c: String!) { createLabel(name: $n, color: $c) { __typename
  ... on LabelSuccess { label { id name color } } ... on UserError { code field } } }"""
RENAME = """mutation($id: ID!, $n: String!, $c: String) { renameLabel(id: $id, name: $n,
  color: $c) { __typename ... on LabelSuccess { label { id name color } }
  ... on UserError { code field } } }"""
DELETE = """mutation($id: ID!) { deleteLabel(id: $id) { __typename
  ... on DeleteLabelSuccess { id } ... on UserError { code field } } }"""
SET = """mutation($d: ID!, $l: [ID!]!) { setDialogLabels(dialogId: $d, labelIds: $l) {
  __typename ... on SetDialogLabelsSuccess { dialogId labels { name } }
  ... on UserError { code field } } }"""
INBOX = """query($label: ID) { inbox(label: $label) { edges { node { id client { phone }
  labels { name color } } } } }"""
DIALOG = "query($id: ID!) { dialog(id: $id) { labels { name } entry { labels { name } } } }"
PHONES = ("+79161230001", "+79161230002")


def create(admin: GraphQLClient, name: str, color: str = "blue") -> str:
    answer = admin(CREATE, {"n": name, "c": color})["createLabel"]
    assert answer["__typename"] == "LabelSuccess", answer
    return str(answer["label"]["id"])


def names(gql: GraphQLClient) -> list[str]:
    return [label["name"] for label in gql(LABELS)["labels"]]


def add_auditor(container: Container) -> None:
    container.writer.execute_sync(c.RegisterOperator(
        login="alla", display_name="Alla", role=Role.AUDITOR,
        password_hash=container.hasher.hash("alla-pass-1"), actor="test"))


def labels_in_inbox(gql: GraphQLClient, label: str | None = None) -> dict[str, list[str]]:
    edges = gql(INBOX, {"label": label})["inbox"]["edges"]
    return {e["node"]["client"]["phone"]: [lb["name"] for lb in e["node"]["labels"]]
            for e in edges}


def two_dialogs(server: LiveServer, admin: GraphQLClient) -> list[str]:
    ids = []
    for phone in PHONES:
        answer = simulator_post(server.url, client_message(phone=phone, text="Hello"))
        assert answer.status_code == 200, answer.text
        ids.append(str(answer.json()["dialog_id"]))
    wait_for(lambda: len(labels_in_inbox(admin)) == 2)
    return ids


def test_an_admin_manages_labels_and_everyone_signed_in_reads_them(
    live_server: LiveServer, container: Container
) -> None:
    add_operator(container, "olga", queue=True)
    add_auditor(container)
    admin = signed_in(live_server, "admin", ADMIN_PASSWORD)
    olga = signed_in(live_server, "olga", "olga-pass-1")
    alla = signed_in(live_server, "alla", "alla-pass-1")

    vip = create(admin, "VIP", "purple")
    create(admin, "refund", "#A1B2C3")
    assert admin(LABELS)["labels"][0] == {"id": admin(LABELS)["labels"][0]["id"],
                                          "name": "refund", "color": "#a1b2c3"}
    renamed = admin(RENAME, {"id": vip, "n": "Very important", "c": "red"})["renameLabel"]
    assert renamed["label"] == {"id": vip, "name": "Very important", "color": "red"}
    assert names(olga) == names(alla) == ["refund", "Very important"]

    deleted = admin(DELETE, {"id": vip})["deleteLabel"]
    assert deleted == {"__typename": "DeleteLabelSuccess", "id": vip}
    assert names(admin) == ["refund"]


def test_bad_labels_are_refused_with_a_code_and_change_nothing(
    live_server: LiveServer, container: Container
) -> None:
    admin = signed_in(live_server, "admin", ADMIN_PASSWORD)
    refund = create(admin, "Refund", "red")
    refusals = [
        (CREATE, {"n": "  ", "c": "red"}, "createLabel", ("LABEL_NAME", "name")),
        (CREATE, {"n": "REFUND", "c": "red"}, "createLabel", ("LABEL_NAME_TAKEN", "name")),
        (CREATE, {"n": "Other", "c": "crimson"}, "createLabel", ("LABEL_COLOR", "color")),
        (CREATE, {"n": "Other", "c": "#12345"}, "createLabel", ("LABEL_COLOR", "color")),
        (RENAME, {"id": refund, "n": ""}, "renameLabel", ("LABEL_NAME", "name")),
        (RENAME, {"id": refund, "n": "x", "c": "nope"}, "renameLabel", ("LABEL_COLOR", "color")),
        (RENAME, {"id": "nonsense", "n": "x"}, "renameLabel", ("LABEL_NOT_FOUND", "id")),
        (RENAME, {"id": admin_id(admin), "n": "x"}, "renameLabel", ("LABEL_NOT_FOUND", "id")),
        (DELETE, {"id": admin_id(admin)}, "deleteLabel", ("LABEL_NOT_FOUND", "id")),
    ]
    for query, variables, field, (code, at) in refusals:
        answer = admin(query, variables)[field]
        assert answer == {"__typename": "UserError", "code": code, "field": at}, variables
    assert admin(LABELS)["labels"] == [{"id": refund, "name": "Refund", "color": "red"}]


def admin_id(admin: GraphQLClient) -> str:
    """An id that is a well-formed UUID but no label's."""
    return str(admin("{ me { id } }")["me"]["id"])


@pytest.mark.parametrize("who", ["olga", "alla"])
def test_only_admins_create_rename_and_delete_labels(
    live_server: LiveServer, container: Container, who: str
) -> None:
    add_operator(container, "olga", queue=True)
    add_auditor(container)
    admin = signed_in(live_server, "admin", ADMIN_PASSWORD)
    refund = create(admin, "Refund", "red")
    caller = signed_in(live_server, who, f"{who}-pass-1")
    for query, variables in ((CREATE, {"n": "Mine", "c": "red"}),
                             (RENAME, {"id": refund, "n": "Mine"}),
                             (DELETE, {"id": refund})):
        answer = caller.raw(query, variables)
        assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN", answer
    assert admin(LABELS)["labels"] == [{"id": refund, "name": "Refund", "color": "red"}]


def test_an_operator_labels_a_dialog_and_the_inbox_shows_and_filters_by_it(
    live_server: LiveServer, container: Container
) -> None:
    add_operator(container, "olga", queue=True)
    admin = signed_in(live_server, "admin", ADMIN_PASSWORD)
    olga = signed_in(live_server, "olga", "olga-pass-1")
    vip, refund = create(admin, "VIP", "purple"), create(admin, "Refund", "red")
    first, second = two_dialogs(live_server, olga)

    answer = olga(SET, {"d": first, "l": [refund, vip, refund]})["setDialogLabels"]
    assert answer == {"__typename": "SetDialogLabelsSuccess", "dialogId": first,
                      "labels": [{"name": "Refund"}, {"name": "VIP"}]}
    assert olga(SET, {"d": second, "l": [vip]})["setDialogLabels"]["labels"] == [{"name": "VIP"}]

    assert labels_in_inbox(olga) == {PHONES[0]: ["Refund", "VIP"], PHONES[1]: ["VIP"]}
    assert labels_in_inbox(admin) == labels_in_inbox(olga)  # the same dialogs, anyone's inbox
    assert labels_in_inbox(olga, refund) == {PHONES[0]: ["Refund", "VIP"]}
    assert set(labels_in_inbox(olga, vip)) == set(PHONES)
    assert olga(DIALOG, {"id": first})["dialog"] == {
        "labels": [{"name": "Refund"}, {"name": "VIP"}],
        "entry": {"labels": [{"name": "Refund"}, {"name": "VIP"}]}}

    admin(RENAME, {"id": vip, "n": "V.I.P."})
    assert labels_in_inbox(olga)[PHONES[1]] == ["V.I.P."]
    assert olga(SET, {"d": first, "l": []})["setDialogLabels"]["labels"] == []
    assert labels_in_inbox(olga, refund) == {}
    admin(DELETE, {"id": vip})
    assert labels_in_inbox(olga) == {PHONES[0]: [], PHONES[1]: []}
    assert labels_in_inbox(olga, vip) == {}


def test_labelling_refusals_change_nothing(live_server: LiveServer, container: Container) -> None:
    add_operator(container, "olga", queue=True)
    add_operator(container, "petr", queue=False)
    add_auditor(container)
    admin = signed_in(live_server, "admin", ADMIN_PASSWORD)
    olga = signed_in(live_server, "olga", "olga-pass-1")
    petr = signed_in(live_server, "petr", "petr-pass-1")
    alla = signed_in(live_server, "alla", "alla-pass-1")
    vip = create(admin, "VIP")
    gone = create(admin, "Gone")
    admin(DELETE, {"id": gone})
    first, _ = two_dialogs(live_server, olga)
    olga(SET, {"d": first, "l": [vip]})

    def refused(gql: GraphQLClient, variables: dict[str, Any]) -> tuple[str, str]:
        answer = gql(SET, variables)["setDialogLabels"]
        assert answer["__typename"] == "UserError", answer
        return answer["code"], answer["field"]

    # Petr may read dialogs (the access group) but is no member of the queue: this one was not
    # delivered to him.
    container.writer.execute_sync(AddAccessMember(operator_id=operator_id("petr"),
                                                  actor="test"))
    assert refused(petr, {"d": first, "l": []}) == ("NOT_FOUND", "dialogId")
    assert refused(olga, {"d": "nonsense", "l": []}) == ("NOT_FOUND", "dialogId")
    assert refused(olga, {"d": first, "l": [gone]}) == ("LABEL_NOT_FOUND", "labelIds")
    assert refused(olga, {"d": first, "l": [vip, "nonsense"]}) == ("LABEL_NOT_FOUND", "labelIds")
    assert refused(olga, {"d": first, "l": [admin_id(admin)]}) == ("LABEL_NOT_FOUND",
                                                                   "labelIds")
    forbidden = alla.raw(SET, {"d": first, "l": []})
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert labels_in_inbox(olga)[PHONES[0]] == ["VIP"]


async def changes_heard(server: LiveServer, token: str, act: Any) -> list[dict[str, Any]]:
    """The inbox changes an open inbox hears (with their labels) while `act` runs."""
    heard: list[dict[str, Any]] = []
    url = server.url.replace("http://", "ws://") + "/graphql"
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init",
                                  "payload": {"authorization": f"Bearer {token}"}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {
            "query": "subscription { inboxChanged { dialog { id labels { name } } } }"}}))
        await asyncio.sleep(0)  # the subscription is registered once the server reads it
        await asyncio.to_thread(act)
        async with asyncio.timeout(10):
            while not any(h["dialog"]["labels"] == [{"name": "VIP"}] for h in heard):
                message = json.loads(await ws.recv())
                if message["type"] == "next":
                    heard.append(message["payload"]["data"]["inboxChanged"])
    return heard


async def test_an_open_inbox_hears_a_dialogs_labels_change(
    live_server: LiveServer, container: Container
) -> None:
    add_operator(container, "olga", queue=True)
    admin = signed_in(live_server, "admin", ADMIN_PASSWORD)
    olga = signed_in(live_server, "olga", "olga-pass-1")
    vip = create(admin, "VIP")
    first, _ = two_dialogs(live_server, olga)
    assert olga.token is not None

    heard = await changes_heard(live_server, olga.token,
                                lambda: admin(SET, {"d": first, "l": [vip]}))

    assert {"id": first, "labels": [{"name": "VIP"}]} in [h["dialog"] for h in heard]


def test_the_analysts_tables_count_dialogs_per_label(
    live_server: LiveServer, container: Container
) -> None:
    admin = signed_in(live_server, "admin", ADMIN_PASSWORD)
    vip, refund, gone = create(admin, "VIP"), create(admin, "Refund"), create(admin, "Gone")
    first, second = two_dialogs(live_server, admin)
    admin(SET, {"d": first, "l": [vip, refund, gone]})
    admin(SET, {"d": second, "l": [vip]})
    admin(SET, {"d": first, "l": [refund, gone]})  # VIP taken off the first
    admin(DELETE, {"id": gone})
    admin(RENAME, {"id": refund, "n": "Refunds"})
    wait_for(lambda: caught_up(container))

    facts = dialog_label_facts.c
    per_label = (sa.select(label_facts.c.name, sa.func.count().label("dialogs"))
                 .select_from(dialog_label_facts
                              .join(label_facts, label_facts.c.id == facts.label_id)
                              .join(dialog_facts, dialog_facts.c.id == facts.dialog_id))
                 .group_by(label_facts.c.name).order_by(label_facts.c.name))
    with container.views.reader.connect() as conn:
        counted = [tuple(row) for row in conn.execute(per_label)]
        labels = conn.execute(sa.select(sa.func.count()).select_from(label_facts)).scalar_one()
    assert counted == [("Refunds", 1), ("VIP", 1)]
    assert labels == 2


def test_the_labels_read_models_rebuild_to_the_same_rows_and_match_their_migration(
    live_server: LiveServer, container: Container
) -> None:
    admin = signed_in(live_server, "admin", ADMIN_PASSWORD)
    vip, gone = create(admin, "VIP", "#123abc"), create(admin, "Gone")
    first, second = two_dialogs(live_server, admin)
    admin(SET, {"d": first, "l": [gone, vip]})
    admin(SET, {"d": second, "l": [gone]})
    admin(DELETE, {"id": gone})
    admin(RENAME, {"id": vip, "n": "V.I.P.", "c": "teal"})
    wait_for(lambda: caught_up(container))
    container.projector.stop()
    for name in ("labels", "analytics_labels"):
        runner = next(r for r in container.projector.runners if r.name == name)
        before = snapshot(container, runner.projection)
        assert all(before.values()), before  # something to rebuild
        runner.reset()
        runner.run_until_caught_up()
        assert snapshot(container, runner.projection) == before, name
    if container.views.is_sqlite:
        return
    tables = {t.name for name in ("labels", "analytics_labels")
              for r in container.projector.runners if r.name == name
              for t in r.projection.tables}
    assert drift(container.views, tables) == []
