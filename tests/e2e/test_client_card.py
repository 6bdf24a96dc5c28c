"""The client card over real HTTP, on SQLite and PostgreSQL: the phonebook entry whose numbers
include the client's (with the position, comment and 1C reference its CSV gave) in the card and
beside the inbox row; operators name and note a client the phonebook does not know (events with
who acted, in the audit), bad input and strangers' dialogs refused with nothing changed; the
client's earlier dialogs listed in the card and read back; each field by role."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from application import commands as c
from application.routing import ConfigureDistribution
from domain.operators import Role
from infra.bootstrap import Container
from tests.conftest import (
    ADMIN_PASSWORD,
    GraphQLClient,
    LiveServer,
    caught_up,
    client_message,
    simulator_post,
    wait_for,
)
from tests.e2e.test_http_colleagues_media import dialog_of
from tests.e2e.test_http_inbox import add_operator, signed_in

KNOWN = "+79161230011"
STRANGER = "+79161230022"
PHONEBOOK = (
    "name;company;position;comment;Ссылка 1С;phone\n"
    "Anna Smirnova;Horns & Hooves;Chief accountant;Pays by the 5th;"
    "b5a1c2d3-0000-11ee-8c90-0242ac120002;+7 916 123-00-11\n"
)
IMPORT = """mutation($content: String!) { importPhonebook(format: CSV, content: $content) {
  __typename } }"""
CARD = """query($d: ID!) { clientCard(dialogId: $d) { dialogId phone displayName messengerName
  phonebookEntry { name organisation position comment reference source }
  givenName namedBy note notedBy
  earlierDialogs(first: 5) { hasMore nodes { id status messageCount
    lastMessage { text direction } } } } }"""
MARKS = """{ inbox(first: 10) { edges { node { client { phone }
  clientMark { displayName organisation inPhonebook hasNote } } } } }"""
NAME = """mutation($d: ID!, $n: String!) { nameClient(dialogId: $d, name: $n) { __typename
  ... on NameClientSuccess { changed card { displayName givenName namedBy } }
  ... on UserError { code field message } } }"""
NOTE = """mutation($d: ID!, $n: String!) { noteClient(dialogId: $d, note: $n) { __typename
  ... on NoteClientSuccess { changed card { note notedBy } }
  ... on UserError { code field message } } }"""
HISTORY = """{ setupHistory(section: "client_cards") { actor event summary } }"""
EPISODE = """query($d: ID!, $e: ID!) { clientCard(dialogId: $d) { earlierDialog(id: $e) {
  id status messages(last: 10) { hasEarlier messages { direction text } } } } }"""
PAGE = """query($d: ID!, $b: DateTime) { clientCard(dialogId: $d) {
  earlierDialogs(first: 1, before: $b) { hasMore nodes { id openedAt } } } }"""
RESOLVE = """mutation($d: ID!) { resolveDialog(dialogId: $d) { __typename } }"""


def writes(server: LiveServer, phone: str, text: str, name: str = "") -> None:
    answer = simulator_post(server.url, client_message(phone, text, name=name))
    assert answer.status_code == 200, answer.text


def add_auditor(container: Container) -> None:
    container.writer.execute_sync(c.RegisterOperator(
        login="audrey", display_name="Audrey", role=Role.AUDITOR,
        password_hash=container.hasher.hash("audrey-pass-1"), actor="test"))


def card(gql: GraphQLClient, dialog_id: str) -> dict[str, Any] | None:
    found: dict[str, Any] | None = gql(CARD, {"d": dialog_id})["clientCard"]
    return found


def test_a_client_in_the_phonebook_shows_its_entry_in_the_card_and_beside_the_inbox_row(
    live_server: LiveServer, container: Container
) -> None:
    add_operator(container, "olga", queue=True)
    admin = signed_in(live_server, "admin", ADMIN_PASSWORD)
    olga = signed_in(live_server, "olga", "olga-pass-1")
    assert admin(IMPORT, {"content": PHONEBOOK})["importPhonebook"]["__typename"] != "UserError"
    writes(live_server, KNOWN, "Is the invoice paid?", name="Anya")
    writes(live_server, STRANGER, "Hello")
    known, stranger = dialog_of(olga, KNOWN), dialog_of(olga, STRANGER)
    wait_for(lambda: (card(olga, known) or {}).get("phonebookEntry"))

    shown = card(olga, known)

    assert shown is not None
    assert shown["phone"] == KNOWN
    assert shown["displayName"] == "Anna Smirnova"
    assert shown["messengerName"] == "Anya"
    assert shown["phonebookEntry"] == {
        "name": "Anna Smirnova", "organisation": "Horns & Hooves",
        "position": "Chief accountant", "comment": "Pays by the 5th",
        "reference": "b5a1c2d3-0000-11ee-8c90-0242ac120002", "source": "csv"}
    unknown = card(olga, stranger)
    assert unknown is not None and unknown["phonebookEntry"] is None
    assert unknown["givenName"] is None and unknown["note"] is None
    marks = {e["node"]["client"]["phone"]: e["node"]["clientMark"]
             for e in olga(MARKS)["inbox"]["edges"]}
    assert marks == {
        KNOWN: {"displayName": "Anna Smirnova", "organisation": "Horns & Hooves",
                "inPhonebook": True, "hasNote": False},
        STRANGER: {"displayName": "", "organisation": "", "inPhonebook": False,
                   "hasNote": False}}


def test_an_operator_names_and_notes_a_client_and_the_audit_shows_who_did(
    live_server: LiveServer, container: Container
) -> None:
    add_operator(container, "olga", queue=True)
    add_auditor(container)
    writes(live_server, STRANGER, "Hello")
    olga = signed_in(live_server, "olga", "olga-pass-1")
    dialog_id = dialog_of(olga, STRANGER)

    named = olga(NAME, {"d": dialog_id, "n": "  Boris   from the warehouse "})["nameClient"]
    noted = olga(NOTE, {"d": dialog_id, "n": "Calls after 6 pm.\nPrefers Telegram."})["noteClient"]
    again = olga(NAME, {"d": dialog_id, "n": "Boris from the warehouse"})["nameClient"]

    assert named == {"__typename": "NameClientSuccess", "changed": True, "card": {
        "displayName": "Boris from the warehouse", "givenName": "Boris from the warehouse",
        "namedBy": "operator:olga"}}
    assert noted == {"__typename": "NoteClientSuccess", "changed": True, "card": {
        "note": "Calls after 6 pm.\nPrefers Telegram.", "notedBy": "operator:olga"}}
    assert again["__typename"] == "NameClientSuccess" and again["changed"] is False
    mark = olga(MARKS)["inbox"]["edges"][0]["node"]["clientMark"]
    assert mark == {"displayName": "Boris from the warehouse", "organisation": "",
                    "inPhonebook": False, "hasNote": True}
    audrey = signed_in(live_server, "audrey", "audrey-pass-1")
    wait_for(lambda: len(audrey(HISTORY)["setupHistory"]) == 2)
    assert audrey(HISTORY)["setupHistory"] == [
        {"actor": "operator:olga", "event": "Client.Noted",
         "summary": f"Note on client {STRANGER}: “Calls after 6 pm.\nPrefers Telegram.”"},
        {"actor": "operator:olga", "event": "Client.NamedByOperator",
         "summary": f"Client {STRANGER} named “Boris from the warehouse”"}]


def test_bad_names_and_notes_and_strangers_dialogs_are_refused_and_change_nothing(
    live_server: LiveServer, container: Container
) -> None:
    add_operator(container, "olga", queue=True)
    add_operator(container, "petr", queue=False)  # no dialog is delivered to him
    add_auditor(container)
    writes(live_server, STRANGER, "Hello")
    olga = signed_in(live_server, "olga", "olga-pass-1")
    petr = signed_in(live_server, "petr", "petr-pass-1")
    audrey = signed_in(live_server, "audrey", "audrey-pass-1")
    dialog_id = dialog_of(olga, STRANGER)
    assert olga(NAME, {"d": dialog_id, "n": "Boris"})["nameClient"]["changed"] is True

    refusals = [
        olga(NAME, {"d": dialog_id, "n": "   "})["nameClient"],
        olga(NAME, {"d": dialog_id, "n": "B" * 121})["nameClient"],
        olga(NOTE, {"d": dialog_id, "n": "\n \n"})["noteClient"],
        olga(NOTE, {"d": dialog_id, "n": "n" * 2001})["noteClient"],
        petr(NAME, {"d": dialog_id, "n": "Someone else"})["nameClient"],
        petr(NOTE, {"d": dialog_id, "n": "Not mine"})["noteClient"],
        olga(NAME, {"d": "not-an-id", "n": "Boris"})["nameClient"],
    ]

    assert [(r["__typename"], r["code"], r["field"]) for r in refusals] == [
        ("UserError", "INVALID_VALUE", "name"), ("UserError", "INVALID_VALUE", "name"),
        ("UserError", "INVALID_VALUE", "note"), ("UserError", "INVALID_VALUE", "note"),
        ("UserError", "NOT_FOUND", "dialogId"), ("UserError", "NOT_FOUND", "dialogId"),
        ("UserError", "NOT_FOUND", "dialogId")]
    forbidden = audrey.raw(NAME, {"d": dialog_id, "n": "Audrey's name"})
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    forbidden = audrey.raw(NOTE, {"d": dialog_id, "n": "Audrey's note"})
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert petr(CARD, {"d": dialog_id})["clientCard"] is None  # he may not read the dialog
    wait_for(lambda: caught_up(container))
    for reader in (olga, audrey):  # auditors read every dialog's card
        shown = card(reader, dialog_id)
        assert shown is not None
        assert (shown["givenName"], shown["note"]) == ("Boris", None)
    assert [e["event"] for e in audrey(HISTORY)["setupHistory"]] == ["Client.NamedByOperator"]


def test_the_card_lists_the_clients_earlier_dialogs_and_reads_one_back(
    live_server: LiveServer, container: Container
) -> None:
    add_operator(container, "olga", queue=True)
    container.writer.execute_sync(ConfigureDistribution(  # every message after resolving: anew
        mode="everybody", idle_timeout_seconds=60, capacity=0, reopen_window_hours=0,
        at=datetime.now(UTC), actor="test"))
    admin = signed_in(live_server, "admin", ADMIN_PASSWORD)
    olga = signed_in(live_server, "olga", "olga-pass-1")
    writes(live_server, KNOWN, "My order is late")
    first = dialog_of(olga, KNOWN)
    assert olga(RESOLVE, {"d": first})["resolveDialog"]["__typename"] == "DialogActionSuccess"
    wait_for(lambda: caught_up(container))
    writes(live_server, KNOWN, "Me again: now it is broken")
    second = wait_for(lambda: next((e["node"]["id"] for e in olga(MARKS.replace(
        "client { phone }", "id client { phone }"))["inbox"]["edges"]
        if e["node"]["client"]["phone"] == KNOWN and e["node"]["id"] != first), None))
    writes(live_server, STRANGER, "Someone else's dialog")
    other = dialog_of(olga, STRANGER)

    shown = card(olga, second)

    assert shown is not None
    assert shown["earlierDialogs"] == {"hasMore": False, "nodes": [
        {"id": first, "status": "RESOLVED", "messageCount": 1,
         "lastMessage": {"text": "My order is late", "direction": "IN"}}]}
    episode = olga(EPISODE, {"d": second, "e": first})["clientCard"]["earlierDialog"]
    assert episode == {"id": first, "status": "RESOLVED", "messages": {
        "hasEarlier": False, "messages": [{"direction": "IN", "text": "My order is late"}]}}
    assert card(olga, first)["earlierDialogs"]["nodes"] == []  # type: ignore[index]
    assert olga(RESOLVE, {"d": second})["resolveDialog"]["__typename"] == "DialogActionSuccess"
    wait_for(lambda: caught_up(container))
    writes(live_server, KNOWN, "A third time")
    third = wait_for(lambda: next((e["node"]["id"] for e in olga(MARKS.replace(
        "client { phone }", "id client { phone }"))["inbox"]["edges"]
        if e["node"]["client"]["phone"] == KNOWN and e["node"]["id"] not in (first, second)),
        None))
    newest = olga(PAGE, {"d": third, "b": None})["clientCard"]["earlierDialogs"]
    assert [n["id"] for n in newest["nodes"]] == [second] and newest["hasMore"] is True
    older = olga(PAGE, {"d": third, "b": newest["nodes"][0]["openedAt"]})["clientCard"]
    assert older["earlierDialogs"] == {"hasMore": False, "nodes": [
        {"id": first, "openedAt": older["earlierDialogs"]["nodes"][0]["openedAt"]}]}
    assert olga(EPISODE, {"d": second, "e": other})["clientCard"]["earlierDialog"] is None
    assert admin(EPISODE, {"d": second, "e": first})["clientCard"]["earlierDialog"]["id"] \
        == first  # admins read every dialog's card


def test_anonymous_callers_read_no_card_and_change_nothing(live_server: LiveServer) -> None:
    anonymous = GraphQLClient(live_server.url)
    for query, variables, code in (
            (CARD, {"d": "x"}, "UNAUTHENTICATED"),
            (NAME, {"d": "x", "n": "Boris"}, "FORBIDDEN"),  # as every mutation that writes
            (NOTE, {"d": "x", "n": "a note"}, "FORBIDDEN")):
        answer = anonymous.raw(query, variables)
        assert not any((answer["data"] or {}).values())
        assert answer["errors"][0]["extensions"]["code"] == code
