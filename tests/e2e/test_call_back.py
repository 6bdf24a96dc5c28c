"""Call back over real HTTP, with the PBX played by the fake manager interface on loopback: an
operator with an extension calls a client back; the PBX is asked to ring their extension and
dial the client's number; the dialog's messages show the call ringing, then its outcome.
Refused with nothing recorded or dialled: no extension, no PBX set up, a dialog that is not
theirs; auditors may not call. A wrong secret and a PBX that never tells the outcome end the
call as failed, with their reasons."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest

from application import commands as c
from application.setup import SetEmployeePhones
from domain.ids import operator_id
from domain.operators import Role
from infra.bootstrap import Container
from infra.pbx_ami_fake import SECRET, USER, FakeAmi
from tests.conftest import (
    ADMIN_PASSWORD,
    GraphQLClient,
    LiveServer,
    client_message,
    make_settings,
    running_container,
    simulator_post,
    wait_for,
)
from tests.e2e.test_http_colleagues_media import dialog_of
from tests.e2e.test_http_inbox import add_operator, signed_in

PHONE = "+79161234567"
CALL_BACK = """mutation($d: ID!) { callBack(dialogId: $d) { __typename
  ... on CallBackSuccess { callId dialogId extension number status }
  ... on UserError { code field message } } }"""
AVAILABILITY = "{ callBackAvailability { available refusal extension } }"
DIALOG = """query($id: ID!) { dialog(id: $id) { entry { messageCount lastMessage { text } }
  messages { id seq direction text call { status extension number reason detail
  finishedAt } } } }"""


@contextlib.contextmanager
def pbx_server(database_url: str, fake: FakeAmi | None, **settings: Any
               ) -> Iterator[tuple[Container, LiveServer]]:
    ami = {"pbx_ami_host": "127.0.0.1", "pbx_ami_port": fake.port, "pbx_ami_user": USER,
           "pbx_ami_secret": SECRET} if fake else {}
    with running_container(make_settings(database_url, **{**ami, **settings})) as container, \
            LiveServer(container) as server:
        yield container, server


def with_extension(container: Container, login: str, extension: str) -> None:
    container.writer.execute_sync(SetEmployeePhones(
        operator_id=operator_id(login), extension=extension, mobile="", actor="test"))


def a_client_writes(server: LiveServer, gql: GraphQLClient) -> str:
    answer = simulator_post(server.url, client_message(phone=PHONE, text="Call me, please"))
    assert answer.status_code == 200
    return dialog_of(gql, PHONE)


def calls_of(gql: GraphQLClient, dialog_id: str) -> list[dict[str, Any]]:
    return [m["call"] for m in gql(DIALOG, {"id": dialog_id})["dialog"]["messages"]
            if m["call"]]


def call_ended(gql: GraphQLClient, dialog_id: str) -> dict[str, Any]:
    def ended() -> dict[str, Any] | None:
        calls = calls_of(gql, dialog_id)
        return calls[-1] if calls and calls[-1]["status"] != "RINGING" else None

    found: dict[str, Any] = wait_for(ended)
    return found


@pytest.fixture
def fake() -> Iterator[FakeAmi]:
    with FakeAmi(hold=True) as server:
        yield server


def test_an_operator_calls_a_client_back_and_the_dialog_shows_the_call_and_its_outcome(
    database_url: str, fake: FakeAmi
) -> None:
    with pbx_server(database_url, fake) as (container, server):
        add_operator(container, "olga", queue=True)
        with_extension(container, "olga", "201")
        olga = signed_in(server, "olga", "olga-pass-1")
        dialog_id = a_client_writes(server, olga)
        assert olga(AVAILABILITY)["callBackAvailability"] == {
            "available": True, "refusal": None, "extension": "201"}

        started = olga(CALL_BACK, {"d": dialog_id})["callBack"]
        assert started["__typename"] == "CallBackSuccess"
        assert (started["extension"], started["number"], started["status"]) == (
            "201", PHONE, "RINGING")
        ringing = wait_for(lambda: calls_of(olga, dialog_id))
        assert ringing == [{"status": "RINGING", "extension": "201", "number": PHONE,
                            "reason": None, "detail": None, "finishedAt": None}]
        originate = wait_for(fake.originates)[0]
        assert (originate["channel"], originate["exten"], originate["context"],
                originate["actionid"]) == ("Local/201@internal-originate", "89161234567",
                                           "all_peers", started["callId"].replace("-", ""))

        fake.release()
        assert call_ended(olga, dialog_id)["status"] == "ANSWERED"
        dialog = olga(DIALOG, {"id": dialog_id})["dialog"]
        entry = next(m for m in dialog["messages"] if m["call"])
        assert (entry["id"], entry["direction"], entry["text"]) == (
            started["callId"], "OUT", "")
        assert [m["seq"] for m in dialog["messages"]] == [1, 2]
        assert dialog["entry"] == {"messageCount": 1,
                                   "lastMessage": {"text": "Call me, please"}}


def test_call_back_is_refused_with_a_clear_code_and_nothing_is_dialled(
    database_url: str, fake: FakeAmi
) -> None:
    with pbx_server(database_url, fake) as (container, server):
        add_operator(container, "olga", queue=True)
        add_operator(container, "petr", queue=False)
        with_extension(container, "petr", "202")
        container.writer.execute_sync(c.RegisterOperator(
            login="audrey", display_name="Audrey", role=Role.AUDITOR,
            password_hash=container.hasher.hash("audrey-pass-1"), actor="test"))
        olga = signed_in(server, "olga", "olga-pass-1")
        petr = signed_in(server, "petr", "petr-pass-1")
        audrey = signed_in(server, "audrey", "audrey-pass-1")
        admin = signed_in(server, "admin", ADMIN_PASSWORD)
        dialog_id = a_client_writes(server, olga)
        before = olga(DIALOG, {"id": dialog_id})["dialog"]["messages"]

        assert olga(AVAILABILITY)["callBackAvailability"] == {
            "available": False, "refusal": "NO_EXTENSION", "extension": ""}
        refused = olga(CALL_BACK, {"d": dialog_id})["callBack"]
        assert (refused["__typename"], refused["code"]) == ("UserError", "NO_EXTENSION")
        assert admin(CALL_BACK, {"d": dialog_id})["callBack"]["code"] == "NO_EXTENSION"
        # petr has an extension, but the dialog was not delivered to him
        assert petr(CALL_BACK, {"d": dialog_id})["callBack"]["code"] == "NOT_FOUND"
        assert petr(CALL_BACK, {"d": "not-an-id"})["callBack"]["code"] == "NOT_FOUND"
        denied = audrey.raw(CALL_BACK, {"d": dialog_id})
        assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert audrey.raw(AVAILABILITY)["errors"][0]["extensions"]["code"] == "FORBIDDEN"

        assert olga(DIALOG, {"id": dialog_id})["dialog"]["messages"] == before
        assert fake.actions == []


def test_without_a_pbx_call_back_is_refused_as_not_configured(database_url: str) -> None:
    with pbx_server(database_url, None) as (container, server):
        add_operator(container, "olga", queue=True)
        with_extension(container, "olga", "201")
        olga = signed_in(server, "olga", "olga-pass-1")
        dialog_id = a_client_writes(server, olga)
        assert olga(AVAILABILITY)["callBackAvailability"]["refusal"] == "PBX_NOT_CONFIGURED"
        refused = olga(CALL_BACK, {"d": dialog_id})["callBack"]
        assert refused["code"] == "PBX_NOT_CONFIGURED"
        assert calls_of(olga, dialog_id) == []


def test_a_wrong_secret_ends_the_call_as_failed_with_the_login_refused(
    database_url: str, fake: FakeAmi
) -> None:
    fake.secret = "another-secret"
    with pbx_server(database_url, fake) as (container, server):
        add_operator(container, "olga", queue=True)
        with_extension(container, "olga", "201")
        olga = signed_in(server, "olga", "olga-pass-1")
        dialog_id = a_client_writes(server, olga)
        assert olga(CALL_BACK, {"d": dialog_id})["callBack"]["__typename"] == "CallBackSuccess"
        ended = call_ended(olga, dialog_id)
        assert (ended["status"], ended["reason"], ended["detail"]) == (
            "FAILED", "PBX_LOGIN_REFUSED", "Authentication failed")
        assert ended["finishedAt"] is not None
        assert fake.originates() == []


def test_a_pbx_that_never_tells_the_outcome_ends_the_call_as_failed(database_url: str) -> None:
    with FakeAmi(outcome="never") as silent, pbx_server(
            database_url, silent, pbx_ami_ring_seconds=0.1,
            pbx_ami_timeout_seconds=0.3) as (container, server):
        add_operator(container, "olga", queue=True)
        with_extension(container, "olga", "201")
        olga = signed_in(server, "olga", "olga-pass-1")
        dialog_id = a_client_writes(server, olga)
        assert olga(CALL_BACK, {"d": dialog_id})["callBack"]["__typename"] == "CallBackSuccess"
        ended = call_ended(olga, dialog_id)
        assert (ended["status"], ended["reason"], ended["detail"]) == (
            "FAILED", "PBX_SILENT", "no answer from the PBX")
        assert len(silent.originates()) == 1


def test_a_call_going_on_when_switchboard_stops_is_recorded_as_interrupted(
    database_url: str, fake: FakeAmi
) -> None:
    with pbx_server(database_url, fake) as (container, server):
        add_operator(container, "olga", queue=True)
        with_extension(container, "olga", "201")
        olga = signed_in(server, "olga", "olga-pass-1")
        dialog_id = a_client_writes(server, olga)
        call_id = olga(CALL_BACK, {"d": dialog_id})["callBack"]["callId"]
        wait_for(fake.originates)
        dialer = container.extras["call_backs"]
        dialer.stop()
        assert dialer.ongoing() == 0
        ended = call_ended(olga, dialog_id)
        assert (ended["status"], ended["reason"]) == ("FAILED", "INTERRUPTED")
        assert next(m["id"] for m in olga(DIALOG, {"id": dialog_id})["dialog"]["messages"]
                    if m["call"]) == call_id
