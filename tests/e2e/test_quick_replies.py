"""Quick replies over real HTTP: operators keep personal ones and see the shared ones admins
manage; shortcuts are unique among what each operator sees; bad input is refused with a code
and changes nothing; nobody touches a shared one but an admin, nor someone else's personal one;
auditors read and change nothing; each text comes filled in for a dialog of yours."""

from __future__ import annotations

from typing import Any

import pytest

from application import commands as c
from domain.operators import Role
from infra.bootstrap import Container
from tests.conftest import (
    ADMIN_PASSWORD,
    GraphQLClient,
    LiveServer,
    client_message,
    simulator_post,
)
from tests.e2e.test_http_colleagues_media import dialog_of
from tests.e2e.test_http_inbox import add_operator, signed_in

REPLIES = """query($s: String!, $d: ID) { quickReplies(search: $s, dialogId: $d) {
  id shortcut text shared canEdit filledText } }"""
CREATE = """mutation($s: String!, $t: String!, $shared: Boolean!) {
  createQuickReply(shortcut: $s, text: $t, shared: $shared) { __typename
  ... on QuickReplySuccess { quickReply { id shortcut text shared canEdit } }
  ... on UserError { code field message } } }"""
UPDATE = """mutation($id: ID!, $s: String, $t: String) {
  updateQuickReply(id: $id, shortcut: $s, text: $t) { __typename
  ... on QuickReplySuccess { quickReply { id shortcut text } }
  ... on UserError { code field message } } }"""
DELETE = """mutation($id: ID!) { deleteQuickReply(id: $id) { __typename
  ... on Done { ok } ... on UserError { code field } } }"""


def replies(gql: GraphQLClient, search: str = "", dialog_id: str | None = None
            ) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = gql(REPLIES, {"s": search, "d": dialog_id})["quickReplies"]
    return found


def shortcuts(gql: GraphQLClient, search: str = "") -> list[str]:
    return [r["shortcut"] for r in replies(gql, search)]


def create(gql: GraphQLClient, shortcut: str, text: str, *, shared: bool = False
           ) -> dict[str, Any]:
    result: dict[str, Any] = gql(CREATE, {"s": shortcut, "t": text, "shared": shared})[
        "createQuickReply"]
    return result


def created(gql: GraphQLClient, shortcut: str, text: str, *, shared: bool = False) -> str:
    result = create(gql, shortcut, text, shared=shared)
    assert result["__typename"] == "QuickReplySuccess", result
    return str(result["quickReply"]["id"])


def update(gql: GraphQLClient, reply_id: str, shortcut: str | None = None,
           text: str | None = None) -> dict[str, Any]:
    result: dict[str, Any] = gql(UPDATE, {"id": reply_id, "s": shortcut, "t": text})[
        "updateQuickReply"]
    return result


def delete(gql: GraphQLClient, reply_id: str) -> dict[str, Any]:
    result: dict[str, Any] = gql(DELETE, {"id": reply_id})["deleteQuickReply"]
    return result


def add_auditor(container: Container, login: str) -> None:
    container.writer.execute_sync(c.RegisterOperator(
        login=login, display_name=login.title(), role=Role.AUDITOR,
        password_hash=container.hasher.hash(f"{login}-pass-1"), actor="test"))


@pytest.fixture
def people(live_server: LiveServer, container: Container) -> dict[str, GraphQLClient]:
    add_operator(container, "olga", queue=True)
    add_operator(container, "petr", queue=False)
    add_auditor(container, "audrey")
    return {"admin": signed_in(live_server, "admin", ADMIN_PASSWORD),
            "olga": signed_in(live_server, "olga", "olga-pass-1"),
            "petr": signed_in(live_server, "petr", "petr-pass-1"),
            "audrey": signed_in(live_server, "audrey", "audrey-pass-1")}


def test_operators_see_the_shared_quick_replies_and_their_own_and_nobody_elses(
        people: dict[str, GraphQLClient]) -> None:
    admin, olga, petr, audrey = (people[k] for k in ("admin", "olga", "petr", "audrey"))
    created(admin, "/hello", "Hello {client_name}!", shared=True)
    created(olga, "thanks", "Thank you, {client_name}.")
    created(petr, "thanks", "Thanks a lot!")  # someone else's shortcut is free for petr

    assert [(r["shortcut"], r["shared"], r["canEdit"]) for r in replies(olga)] == [
        ("hello", True, False), ("thanks", False, True)]
    assert [r["text"] for r in replies(petr)] == ["Hello {client_name}!", "Thanks a lot!"]
    assert [(r["shortcut"], r["canEdit"]) for r in replies(admin)] == [("hello", True)]
    assert [(r["shortcut"], r["canEdit"]) for r in replies(audrey)] == [("hello", False)]


def test_the_search_filters_by_shortcut_and_text_regardless_of_case_shortcuts_first(
        people: dict[str, GraphQLClient]) -> None:
    olga = people["olga"]
    for shortcut, text in (("thanks", "Thank you!"), ("bye", "Goodbye, thanks for writing"),
                           ("Привет", "Здравствуйте!"), ("price", "100% off")):
        created(olga, shortcut, text)

    assert shortcuts(olga, "/TH") == ["thanks", "bye"]
    assert shortcuts(olga, "прив") == ["Привет"]
    assert shortcuts(olga, "%") == ["price"]  # a wildcard of SQL is a character like any other
    assert shortcuts(olga, "nothing like it") == []
    assert shortcuts(olga) == ["bye", "price", "thanks", "Привет"]


def test_a_shortcut_taken_among_what_the_operator_sees_is_refused_and_changes_nothing(
        people: dict[str, GraphQLClient]) -> None:
    admin, olga = people["admin"], people["olga"]
    created(admin, "hello", "Hello!", shared=True)
    mine = created(olga, "thanks", "Thank you.")
    before = replies(olga)

    assert (create(olga, "HELLO", "Hi")["code"], create(olga, "/thanks", "Thx")["code"]) == (
        "QUICK_REPLY_SHORTCUT_TAKEN", "QUICK_REPLY_SHORTCUT_TAKEN")
    assert update(olga, mine, shortcut="Hello")["code"] == "QUICK_REPLY_SHORTCUT_TAKEN"
    refused = create(admin, "Thanks", "Thanks from all of us", shared=True)
    assert (refused["code"], refused["field"]) == ("QUICK_REPLY_SHORTCUT_TAKEN_PERSONAL",
                                                   "shortcut")
    assert replies(olga) == before
    assert shortcuts(admin) == ["hello"]


@pytest.mark.parametrize(("shortcut", "text", "code", "field"), [
    ("", "Hello", "QUICK_REPLY_SHORTCUT_EMPTY", "shortcut"),
    ("/ ", "Hello", "QUICK_REPLY_SHORTCUT_EMPTY", "shortcut"),
    ("x" * 33, "Hello", "QUICK_REPLY_SHORTCUT_TOO_LONG", "shortcut"),
    ("good day", "Hello", "QUICK_REPLY_SHORTCUT_INVALID", "shortcut"),
    ("hello", "  \n ", "QUICK_REPLY_TEXT_EMPTY", "text"),
    ("hello", "x" * 4097, "QUICK_REPLY_TEXT_TOO_LONG", "text"),
    ("hello", "Dear {client}", "QUICK_REPLY_UNKNOWN_PLACEHOLDER", "text"),
    ("hello", "Order {{1}}", "QUICK_REPLY_UNKNOWN_PLACEHOLDER", "text"),
])
def test_bad_input_is_refused_with_a_clear_code_and_changes_nothing(
        people: dict[str, GraphQLClient], shortcut: str, text: str, code: str,
        field: str) -> None:
    olga = people["olga"]
    mine = created(olga, "mine", "Mine {operator_name} {company} {client_name}")

    refused = create(olga, shortcut, text)
    assert (refused["__typename"], refused["code"], refused["field"]) == ("UserError", code,
                                                                          field)
    changed = update(olga, mine, shortcut=shortcut) if field == "shortcut" else \
        update(olga, mine, text=text)
    assert (changed["code"], changed["field"]) == (code, field)
    assert [(r["shortcut"], r["text"]) for r in replies(olga)] == [
        ("mine", "Mine {operator_name} {company} {client_name}")]


def test_only_admins_manage_shared_ones_and_each_operator_only_their_own(
        people: dict[str, GraphQLClient]) -> None:
    admin, olga, petr = people["admin"], people["olga"], people["petr"]
    shared = created(admin, "hello", "Hello!", shared=True)
    petrs = created(petr, "bye", "Bye!")

    assert create(olga, "all", "For everyone", shared=True)["code"] == \
        "QUICK_REPLY_SHARED_ADMINS_ONLY"
    assert update(olga, shared, text="Hi!")["code"] == "QUICK_REPLY_SHARED_ADMINS_ONLY"
    assert delete(olga, shared)["code"] == "QUICK_REPLY_SHARED_ADMINS_ONLY"
    assert update(olga, petrs, text="Mine now")["code"] == "QUICK_REPLY_NOT_FOUND"
    assert delete(olga, petrs)["code"] == "QUICK_REPLY_NOT_FOUND"
    assert update(admin, petrs, text="Admins neither")["code"] == "QUICK_REPLY_NOT_FOUND"
    assert delete(olga, "not-an-id")["code"] == "QUICK_REPLY_NOT_FOUND"
    assert [(r["shortcut"], r["text"]) for r in replies(petr)] == [("bye", "Bye!"),
                                                                   ("hello", "Hello!")]

    assert update(admin, shared, shortcut="hi", text="Hi there!")["quickReply"] == {
        "id": shared, "shortcut": "hi", "text": "Hi there!"}
    assert update(petr, petrs, text="Goodbye!")["quickReply"]["text"] == "Goodbye!"
    assert delete(admin, shared) == {"__typename": "Done", "ok": True}
    assert delete(admin, shared)["code"] == "QUICK_REPLY_NOT_FOUND"  # gone once, not twice
    assert delete(petr, petrs)["__typename"] == "Done"
    assert replies(olga) == [] and replies(petr) == []


def test_auditors_read_the_shared_ones_and_change_nothing(
        people: dict[str, GraphQLClient]) -> None:
    admin, audrey = people["admin"], people["audrey"]
    shared = created(admin, "hello", "Hello!", shared=True)

    for query, variables in ((CREATE, {"s": "mine", "t": "Mine", "shared": False}),
                             (UPDATE, {"id": shared, "t": "Hi"}), (DELETE, {"id": shared})):
        body = audrey.raw(query, variables)
        assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert [(r["shortcut"], r["text"]) for r in replies(audrey)] == [("hello", "Hello!")]
    signed_out = GraphQLClient(audrey.url.removesuffix("/graphql")).raw(REPLIES, {"s": ""})
    assert signed_out["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_each_text_comes_filled_in_for_a_dialog_of_yours(
        live_server: LiveServer, container: Container, people: dict[str, GraphQLClient],
        monkeypatch: pytest.MonkeyPatch) -> None:
    admin, olga, petr = people["admin"], people["olga"], people["petr"]
    monkeypatch.setattr(container.settings, "company_name", "Acme")
    created(admin, "hello", "Hello {client_name}, this is {operator_name} of {company}.",
            shared=True)
    created(olga, "plain", "No placeholders here")
    for phone, name in (("+79160000001", "Ivan"), ("+79160000002", "")):
        assert simulator_post(live_server.url, client_message(phone=phone, name=name,
                                                              text="Hi")).status_code == 200
    known, unknown = dialog_of(olga, "+79160000001"), dialog_of(olga, "+79160000002")

    assert [r["filledText"] for r in replies(olga, dialog_id=known)] == [
        "Hello Ivan, this is Olga of Acme.", "No placeholders here"]  # the dialog's name
    assert replies(olga, "hello", unknown)[0]["filledText"] == \
        "Hello +79160000002, this is Olga of Acme."
    monkeypatch.setattr(container.settings, "company_name", "")  # not set: left for the operator
    assert replies(olga, "hello", known)[0]["filledText"] == \
        "Hello Ivan, this is Olga of {company}."
    assert replies(olga)[0]["filledText"] is None  # no dialog asked about
    assert replies(petr, dialog_id=known)[0]["filledText"] is None  # not petr's dialog
    assert replies(olga, dialog_id="not-an-id")[0]["filledText"] is None
