"""`search` over real HTTP: each role finds what it may read — an operator the dialogs of their
inbox (nothing once out of the access group), admins and auditors every dialog; a search that
is empty or too long is refused with a code; pages follow each other by cursor."""

from __future__ import annotations

from typing import Any

from application import commands as c
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
from tests.e2e.test_http_inbox import signed_in
from tests.e2e.test_http_routing import GROUP, add_operator

SEARCH = """query($text: String!, $first: Int! = 20, $after: String) {
  search(text: $text, first: $first, after: $after) { __typename
    ... on SearchConnection { pageInfo { hasNextPage endCursor }
      edges { cursor node { dialogId clientName phone channel matchCount
        matches { messageId seq direction revoked fragments { field parts { text marked } } }
      } } }
    ... on UserError { code field message } } }"""


def search(gql: GraphQLClient, text: str, **variables: Any) -> dict[str, Any]:
    answer: dict[str, Any] = gql(SEARCH, {"text": text, **variables})["search"]
    return answer


def dialogs(gql: GraphQLClient, text: str) -> list[str]:
    answer = search(gql, text)
    assert answer["__typename"] == "SearchConnection", answer
    return [edge["node"]["dialogId"] for edge in answer["edges"]]


def write(server: LiveServer, phone: str, text: str, name: str = "Ivan") -> str:
    answer = simulator_post(server.url, client_message(phone=phone, text=text, name=name))
    assert answer.status_code == 200, answer.text
    return str(answer.json()["dialog_id"])


def test_each_role_finds_what_it_may_read(live_server: LiveServer, container: Container) -> None:
    olga_id = add_operator(container, "olga")  # in the queue: every dialog reaches her
    add_operator(container, "petr", queue=False)  # in the access group, but sent nothing
    container.writer.execute_sync(c.RegisterOperator(
        login="audrey", display_name="Audrey", role=Role.AUDITOR,
        password_hash=container.hasher.hash("audrey-pass-1"), actor="test"))
    dialog = write(live_server, "+79161234567", "Оформите возврат, пожалуйста", "Анна")
    wait_for(lambda: caught_up(container))
    admin = signed_in(live_server, "admin", ADMIN_PASSWORD)
    olga = signed_in(live_server, "olga", "olga-pass-1")
    petr = signed_in(live_server, "petr", "petr-pass-1")
    audrey = signed_in(live_server, "audrey", "audrey-pass-1")

    answer = search(olga, "возвратом")
    [edge] = answer["edges"]
    node = edge["node"]
    assert (node["dialogId"], node["clientName"], node["phone"], node["channel"]) == (
        dialog, "Анна", "+79161234567", "WHATSAPP")
    [match] = node["matches"]
    assert (match["seq"], match["direction"], match["revoked"]) == (1, "IN", False)
    assert match["fragments"] == [{"field": "TEXT", "parts": [
        {"text": "Оформите ", "marked": False}, {"text": "возврат", "marked": True},
        {"text": ", пожалуйста", "marked": False}]}]
    assert dialogs(olga, "8 (916) 123-45-67") == [dialog]
    assert dialogs(petr, "возврат") == []
    assert dialogs(admin, "возврат") == [dialog]
    assert dialogs(audrey, "возврат") == [dialog]

    admin(GROUP, {"id": olga_id})
    wait_for(lambda: caught_up(container))
    assert dialogs(olga, "возврат") == []

    anonymous = GraphQLClient(live_server.url).raw(SEARCH, {"text": "возврат"})
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_an_empty_or_overlong_search_is_refused_with_a_code(live_server: LiveServer) -> None:
    admin = signed_in(live_server, "admin", ADMIN_PASSWORD)
    for text, code in (("", "SEARCH_EMPTY"), ("  ?! ", "SEARCH_EMPTY"),
                       ("возврат " * 250, "SEARCH_TOO_LONG")):
        answer = search(admin, text)
        assert (answer["__typename"], answer["code"], answer["field"]) == (
            "UserError", code, "text")
    for variables in ({"first": 0}, {"first": 51}, {"after": "not a cursor"}):
        refused = admin.raw(SEARCH, {"text": "возврат", **variables})
        assert refused["data"] is None and refused["errors"], variables


def test_pages_follow_each_other_newest_first(live_server: LiveServer,
                                              container: Container) -> None:
    written = [write(live_server, f"+7916555000{i}", f"Где моя доставка №{i}?")
               for i in range(3)]
    wait_for(lambda: caught_up(container))
    admin = signed_in(live_server, "admin", ADMIN_PASSWORD)
    first = search(admin, "доставку", first=2)
    assert first["pageInfo"]["hasNextPage"]
    rest = search(admin, "доставку", first=2, after=first["pageInfo"]["endCursor"])
    assert not rest["pageInfo"]["hasNextPage"]
    found = [e["node"]["dialogId"] for e in first["edges"] + rest["edges"]]
    assert found == list(reversed(written))
