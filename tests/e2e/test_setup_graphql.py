"""The setup wizard over real HTTP: an admin completes it step by step with GraphQL (the code
from the development outbox, the check of a fake MikoPBX); refused steps name the field and
record nothing; auditors read the history and travel in time but change nothing; operators see
none of it, and every setup mutation is refused to them; `switchboard audit` prints the same.
While the connection is long-polling, operators write to no client (messages, first messages,
files); a code the mail server refuses is not recorded."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from graphql import build_schema

from application import commands as c
from domain.ids import operator_id
from domain.operators import Role
from domain.setup import MAX_ADDRESSES
from infra.bootstrap import Container
from infra.settings import Settings
from tests.conftest import (
    ADMIN_PASSWORD,
    GraphQLClient,
    LiveServer,
    caught_up,
    cli,
    cli_env,
    make_settings,
    running_container,
    wait_for,
)
from tests.e2e.test_http_colleagues_media import PNG, upload
from tests.e2e.test_http_outbox import DIALOG, MESSENGER, START, phone_messages, send, write
from tests.nats_server import NATS_PASSWORD
from tests.setup_helpers import SmtpSink, autoconfig_code, closed_address, fake_pbxs

ROOT = Path(__file__).resolve().parents[2]

WIZARD = """
fragment Wizard on SetupWizard {
  currentStep completed connectionMode
  steps { step state missing }
  publication { serverUrl publicationName }
  registration { status email attemptsLeft }
  pbx { type connectionSetup addresses passwordSet scheme webServer
        check { status address reason
                tried { address ok reason rest { code ok } nats { code detail ok } } } }
  employees { operatorId login extension mobile }
  phonebookImport { status rows done created updated refused { row reason } }
  phonebookSize
}
"""


def mutation(name: str, args: str = "", params: str = "") -> str:
    head = f"mutation({params})" if params else "mutation"
    call = f"{name}({args})" if args else name
    return (f"{head} {{ {call} {{ __typename ... on SetupWizard {{ ...Wizard }} "
            "... on UserError { code message field } } }" + WIZARD)


WIZARD_QUERY = "query { setupWizard { ...Wizard } }" + WIZARD
HISTORY = """query($since: DateTime, $until: DateTime, $actor: String) {
  setupHistory(since: $since, until: $until, actor: $actor, first: 500) {
    position at actor section event summary changes { label before after } } }"""
CONFIG_AT = """query($instant: DateTime) { configurationAt(instant: $instant) {
  position sections { name entries { label value } } wizard { currentStep completed } } }"""


@pytest.fixture
def settings(database_url: str, tmp_path: Path, nats_server: Any) -> Settings:
    return make_settings(database_url, mail_outbox_dir=str(tmp_path / "outbox"),
                         pbx_check_timeout_seconds=1, pbx_nats_port=nats_server.port)


@pytest.fixture
def container(settings: Settings) -> Iterator[Container]:
    with running_container(settings) as built:
        for login, role in (("audrey", Role.AUDITOR), ("olga", Role.OPERATOR)):
            built.writer.execute_sync(c.RegisterOperator(
                login=login, display_name=login.title(), role=role,
                password_hash=built.hasher.hash(ADMIN_PASSWORD), actor="test"))
        yield built


def signed_in(server: LiveServer, login: str) -> GraphQLClient:
    client = GraphQLClient(server.url)
    wait_for(lambda: _can_login(client, login))
    return client


def _can_login(client: GraphQLClient, login: str) -> bool:
    from tests.conftest import LOGIN

    data = client(LOGIN, {"login": login, "password": ADMIN_PASSWORD})["login"]
    if data["__typename"] != "LoginSuccess":
        return False
    client.token = data["token"]
    return True


def step(client: GraphQLClient, name: str, args: str = "", params: str = "",
         **variables: Any) -> dict[str, Any]:
    result: dict[str, Any] = client(mutation(name, args, params), variables)[name]
    return result


def section(config: dict[str, Any], name: str) -> dict[str, str]:
    entries = next(s["entries"] for s in config["sections"] if s["name"] == name)
    return {e["label"]: e["value"] for e in entries}


def test_an_admin_completes_the_wizard_over_graphql(live_server: LiveServer):
    admin = signed_in(live_server, "admin")
    start = admin(WIZARD_QUERY)["setupWizard"]
    assert start["currentStep"] == "MODE" and start["connectionMode"] == "WEB_SERVICE"
    assert step(admin, "chooseSetupMode")["currentStep"] == "REGISTRATION"

    recorded = len(admin(HISTORY)["setupHistory"])
    refused = step(admin, "setPublication", 'serverUrl: "ftp://x", publicationName: "trade"')
    assert len(admin(HISTORY)["setupHistory"]) == recorded
    assert refused == {"__typename": "UserError", "code": "INVALID_VALUE",
                       "message": refused["message"], "field": "serverUrl"}
    wizard = step(admin, "setPublication",
                  'serverUrl: "https://1c.example.com/", publicationName: "trade"')
    assert wizard["publication"] == {"serverUrl": "https://1c.example.com",
                                     "publicationName": "trade"}

    wizard = step(admin, "requestRegistrationCode", 'email: "boss@example.com"')
    assert wizard["registration"]["status"] == "CODE_SENT"
    mail = admin("query { devOutbox(first: 1) { to subject body } }")["devOutbox"][0]
    assert mail["to"] == "boss@example.com"
    code = mail["subject"].rsplit(" ", 1)[1]
    wrong = step(admin, "confirmRegistration", 'code: "xyz"')
    assert (wrong["code"], wrong["field"]) == ("WRONG_CODE", "code")
    wizard = step(admin, "confirmRegistration", "code: $code", "$code: String!", code=code)
    assert wizard["registration"]["status"] == "CONFIRMED"

    wizard = step(admin, "choosePbx", "pbxType: MIKOPBX, connectionSetup: AUTOMATIC")
    assert wizard["currentStep"] == "CONNECTION"
    bad = step(admin, "applyAutoconfigCode", 'code: "bm90IGpzb24=", scheme: BOTH_LAN')
    assert (bad["code"], bad["field"]) == ("INVALID_VALUE", "code")
    cloud = step(admin, "applyAutoconfigCode", "code: $code, scheme: ONEC_CLOUD",
                 "$code: String!", code=autoconfig_code(["10.0.0.2"]))
    assert (cloud["code"], cloud["field"]) == ("INVALID_VALUE", "webServer")
    with fake_pbxs("ok") as (pbx,):
        wizard = step(admin, "applyAutoconfigCode",
                      'code: $code, scheme: BOTH_CLOUD, webServer: "https://1c.example.com", '
                      'publicationName: "trade"', "$code: String!",
                      code=autoconfig_code([pbx.address], password=NATS_PASSWORD))
        assert wizard["pbx"]["passwordSet"] and wizard["pbx"]["addresses"] == [pbx.address]
        assert NATS_PASSWORD not in json.dumps(wizard)
        started = step(admin, "configurePbx")
        assert started["pbx"]["check"]["status"] in ("RUNNING", "SUCCEEDED")
        checked = wait_for(lambda: (w := admin(WIZARD_QUERY)["setupWizard"])["pbx"]["check"][
            "status"] == "SUCCEEDED" and w)
    assert checked["pbx"]["check"]["address"] == pbx.address
    (answered,) = checked["pbx"]["check"]["tried"]
    assert (answered["rest"], answered["nats"]["code"], answered["nats"]["ok"]) == (
        {"code": "REST_OK", "ok": True}, "NATS_OK", True)
    assert NATS_PASSWORD not in json.dumps(checked)
    assert checked["currentStep"] == "EMPLOYEES"

    employees = {e["login"]: e for e in checked["employees"]}
    assert set(employees) == {"admin", "olga"}  # the auditor has no numbers
    wizard = step(admin, "setEmployeePhones", 'operatorId: $id, extension: "101", '
                  'mobile: "8 (916) 123-45-67"', "$id: ID!", id=employees["admin"]["operatorId"])
    assert {e["login"]: e["mobile"] for e in wizard["employees"]}["admin"] == "+79161234567"
    twin = step(admin, "setEmployeePhones", 'operatorId: $id, extension: "101"', "$id: ID!",
                id=employees["olga"]["operatorId"])
    assert (twin["code"], twin["field"]) == ("ALREADY_EXISTS", "extension")
    step(admin, "confirmEmployees")
    assert step(admin, "passMessengers")["currentStep"] == "FINISH"

    contacts = json.dumps([{"name": "Ivan", "company": "Acme", "phones": ["+79160000001"]},
                           {"name": "", "phones": ["+79160000002"]}])
    step(admin, "importPhonebook", "format: JSON, content: $content", "$content: String!",
         content=contacts)
    imported = wait_for(lambda: (w := admin(WIZARD_QUERY)["setupWizard"])["phonebookImport"][
        "status"] == "FINISHED" and w)
    assert imported["phonebookImport"]["refused"] == [{"row": 2, "reason": "no name"}]
    assert imported["phonebookSize"] == 1
    done = step(admin, "finishSetup")
    assert done["completed"] and all(s["state"] in ("DONE", "SKIPPED") for s in done["steps"])


def test_auditors_read_and_travel_in_time_but_change_nothing(live_server: LiveServer):
    admin = signed_in(live_server, "admin")
    auditor = signed_in(live_server, "audrey")
    operator = signed_in(live_server, "olga")
    step(admin, "setPublication", 'serverUrl: "https://old.example.com", publicationName: "old"')
    time.sleep(0.02)
    between = datetime.now(UTC).isoformat()
    time.sleep(0.02)
    step(admin, "setPublication", 'serverUrl: "https://new.example.com", publicationName: "new"')

    then = auditor(CONFIG_AT, {"instant": between})["configurationAt"]
    assert section(then, "publication")["Publication name"] == "old"
    now = auditor(CONFIG_AT)["configurationAt"]
    assert section(now, "publication")["Publication name"] == "new"
    assert now["position"] > then["position"]
    assert section(now, "queue")["Employee queue"] == "admin"

    changes = auditor(HISTORY, {"since": between})["setupHistory"]
    assert [(e["actor"], e["summary"]) for e in changes] == [
        ("operator:admin", "Publication set")]
    assert {ch["label"]: (ch["before"], ch["after"]) for ch in changes[0]["changes"]} == {
        "Publication server": ("https://old.example.com", "https://new.example.com"),
        "Publication name": ("old", "new")}
    assert auditor(HISTORY, {"until": between, "actor": "system"})["setupHistory"]

    before = len(auditor(HISTORY)["setupHistory"])
    for client in (auditor, operator):
        body = client.raw(mutation("setPublication",
                                   'serverUrl: "https://evil.example.com", publicationName: "x"'))
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    denied = operator.raw(HISTORY)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert operator.raw(WIZARD_QUERY)["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert len(auditor(HISTORY)["setupHistory"]) == before


def test_switchboard_audit_prints_the_configuration_as_of_a_time(
    live_server: LiveServer, settings: Settings,
):
    admin = signed_in(live_server, "admin")
    step(admin, "setPublication", 'serverUrl: "https://old.example.com", publicationName: "old"')
    time.sleep(0.02)
    between = datetime.now(UTC).isoformat()
    time.sleep(0.02)
    step(admin, "setPublication", 'serverUrl: "https://new.example.com", publicationName: "new"')
    step(admin, "requestRegistrationCode", 'email: "boss@example.com"')
    env = cli_env(settings.database_url, SWITCHBOARD_MAIL_OUTBOX_DIR=settings.mail_outbox_dir)
    (mail,) = json.loads(cli("outbox", "--json", env=env).stdout)
    assert mail["to"] == "boss@example.com" and "Registration code" in mail["subject"]
    done = cli("audit", "--json", env=env)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["configuration"]["publication"]["Publication name"] == "new"
    assert report["history"][0]["summary"] == "Registration code mailed to boss@example.com"
    past = json.loads(cli("audit", "--json", "--as-of", between, env=env).stdout)
    assert past["configuration"]["publication"]["Publication name"] == "old"
    assert all(entry["at"] <= between for entry in past["history"])
    table = cli("audit", "--as-of", between, env=env)
    assert table.returncode == 0 and "https://old.example.com" in table.stdout
    assert cli("audit", "--as-of", "yesterday", env=env).returncode == 2


# Every setup mutation (each answers a SetupResult) with arguments it would accept from an admin.
SETUP_MUTATIONS = {
    "chooseSetupMode": "mode: FULL",
    "setPublication": 'serverUrl: "https://evil.example.com", publicationName: "evil"',
    "setConnectionMode": "mode: LONG_POLLING",
    "requestRegistrationCode": 'email: "evil@example.com"',
    "confirmRegistration": 'code: "123456"',
    "choosePbx": "pbxType: ASTERISK, connectionSetup: MANUAL",
    "applyAutoconfigCode": f'code: "{autoconfig_code(["10.0.0.2"])}", scheme: BOTH_LAN',
    "setManualPbxConnection": 'addresses: ["10.0.0.9"], scheme: BOTH_LAN',
    "configurePbx": "",
    "setEmployeePhones": f'operatorId: "{operator_id("olga")}", extension: "999"',
    "confirmEmployees": "",
    "passMessengers": "",
    "importPhonebook": 'format: JSON, content: "[]"',
    "finishSetup": "",
}


def test_the_table_of_setup_mutations_names_every_one_the_schema_has():
    mutation = build_schema((ROOT / "schema.graphql").read_text()).mutation_type
    assert mutation is not None
    answering_setup = {name for name, field in mutation.fields.items()
                       if str(field.type).rstrip("!") == "SetupResult"}
    assert answering_setup == set(SETUP_MUTATIONS)


def test_every_setup_mutation_is_refused_to_auditors_and_operators_and_changes_nothing(
    live_server: LiveServer,
):
    admin = signed_in(live_server, "admin")
    wizard = admin(WIZARD_QUERY)["setupWizard"]
    history = admin(HISTORY)["setupHistory"]
    for login in ("audrey", "olga"):
        client = signed_in(live_server, login)
        for name, args in SETUP_MUTATIONS.items():
            body = client.raw(mutation(name, args))
            assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", (login, name)
            assert not (body.get("data") or {}).get(name), (login, name)
    assert admin(HISTORY)["setupHistory"] == history
    assert admin(WIZARD_QUERY)["setupWizard"] == wizard
    assert admin("query { devOutbox(first: 5) { to } }")["devOutbox"] == []  # nothing mailed


def test_a_manual_pbx_connection_checks_its_addresses_and_scheme(live_server: LiveServer):
    admin = signed_in(live_server, "admin")
    manual = "setManualPbxConnection"
    step(admin, "choosePbx", "pbxType: MIKOPBX, connectionSetup: AUTOMATIC")
    early = step(admin, manual, 'addresses: ["10.0.0.5"], scheme: BOTH_LAN')
    assert (early["code"], early["field"]) == ("NOT_ALLOWED", "addresses")
    step(admin, "choosePbx", "pbxType: MIKOPBX, connectionSetup: MANUAL")
    recorded = len(admin(HISTORY)["setupHistory"])
    too_many = ", ".join(f'"10.0.1.{n}"' for n in range(MAX_ADDRESSES + 1))
    for args, field in (
        ('addresses: ["not a host!"], scheme: BOTH_LAN', "addresses"),
        ('addresses: ["10.0.0.5:99999"], scheme: BOTH_LAN', "addresses"),
        ('addresses: ["", "  "], scheme: BOTH_LAN', "addresses"),
        (f"addresses: [{too_many}], scheme: BOTH_LAN", "addresses"),
        ('addresses: ["10.0.0.5"], scheme: ONEC_CLOUD', "webServer"),
        ('addresses: ["10.0.0.5"], scheme: BOTH_CLOUD, webServer: "https://1c.example.com"',
         "publicationName"),
        ('addresses: ["10.0.0.5"], scheme: BOTH_CLOUD, webServer: "ftp://1c.example.com", '
         'publicationName: "trade"', "webServer"),
    ):
        refused = step(admin, manual, args)
        assert (refused["__typename"], refused["code"], refused["field"]) == (
            "UserError", "INVALID_VALUE", field), args
    assert len(admin(HISTORY)["setupHistory"]) == recorded  # refusals record nothing

    with fake_pbxs("ok") as (pbx,):
        silent = closed_address()
        wizard = step(admin, manual, "addresses: $a, scheme: PBX_CLOUD", "$a: [String!]!",
                      a=[silent, f" {silent} ", "", pbx.address])
        assert wizard["pbx"] == {**wizard["pbx"], "type": "MIKOPBX", "connectionSetup": "MANUAL",
                                 "addresses": [silent, pbx.address], "scheme": "PBX_CLOUD",
                                 "passwordSet": False}
        step(admin, "configurePbx")
        checked = wait_for(lambda: (w := admin(WIZARD_QUERY)["setupWizard"])["pbx"]["check"][
            "status"] == "SUCCEEDED" and w)
    assert checked["pbx"]["check"]["address"] == pbx.address
    assert [t["ok"] for t in checked["pbx"]["check"]["tried"]] == [False, True]
    assert [(t["rest"]["code"], t["nats"]["code"]) for t in checked["pbx"]["check"]["tried"]] == [
        ("REST_UNREACHABLE", "NATS_UNREACHABLE"), ("REST_OK", "NATS_NO_PASSWORD")]
    entries = admin(HISTORY)["setupHistory"]  # newest first
    changed = entries[:len(entries) - recorded]  # the check's progress, then what admin did
    assert [(e["actor"], e["summary"]) for e in changed[-3:]] == [
        ("operator:admin", "PBX check started"), ("operator:admin", "Connection scheme chosen"),
        ("operator:admin", "PBX address entered")]


def test_while_the_connection_is_long_polling_operators_write_to_no_client_until_it_switches(
    live_server: LiveServer, container: Container,
):
    admin = signed_in(live_server, "admin")
    admin(MESSENGER, {"w": True})  # employees may write first: only the connection refuses
    dialog_id = write(live_server)  # the client wrote while the web service was on
    back = step(admin, "setConnectionMode", "mode: LONG_POLLING")
    assert back["connectionMode"] == "LONG_POLLING"

    refused = send(admin, dialog_id, "It leaves today.")
    assert refused["code"] == "CHATS_NEED_WEB_SERVICE"
    assert "setup wizard" in refused["message"]  # it says how to switch
    first = admin(START, {"p": "+79165550011", "t": "Hello from Acme"})["startDialog"]
    assert first == {"__typename": "UserError", "code": "CHATS_NEED_WEB_SERVICE", "field": None}
    token = admin.token or ""
    refused_file = upload(live_server, token, dialog_id, PNG, "plan.png", "The plan")
    assert refused_file.status_code == 422
    assert refused_file.json()["code"] == "CHATS_NEED_WEB_SERVICE"
    assert "setup wizard" in refused_file.json()["message"]
    wait_for(lambda: caught_up(container))
    messages = admin(DIALOG, {"id": dialog_id})["dialog"]["messages"]
    assert [m["direction"] for m in messages] == ["IN"]  # nothing queued

    assert step(admin, "setConnectionMode", "mode: WEB_SERVICE")["connectionMode"] == (
        "WEB_SERVICE")
    assert send(admin, dialog_id, "It leaves today.")["__typename"] == "SendMessageSuccess"
    started = admin(START, {"p": "+79165550011", "t": "Hello from Acme"})["startDialog"]
    assert started["__typename"] == "StartDialogSuccess" and started["newDialog"]
    assert upload(live_server, token, dialog_id, PNG, "plan.png", "The plan").status_code == 200
    received = wait_for(lambda: len(sent := phone_messages(live_server)) == 2 and sent,
                        timeout=15)
    assert sorted(m["text"] for m in received) == ["It leaves today.", "The plan"]
    assert [m["text"] for m in wait_for(lambda: phone_messages(live_server, "+79165550011"))
            ] == ["Hello from Acme"]


def test_a_code_the_mail_server_refuses_is_not_recorded_and_answers_mail_failed(
    database_url: str,
):
    with SmtpSink(refuse="550 5.1.1 Mailbox unavailable") as sink:
        settings = make_settings(database_url, smtp_host="127.0.0.1", smtp_port=sink.port)
        with running_container(settings) as container, LiveServer(container) as server:
            admin = signed_in(server, "admin")
            history = admin(HISTORY)["setupHistory"]
            failed = step(admin, "requestRegistrationCode", 'email: "boss@example.com"')
            assert (failed["__typename"], failed["code"], failed["field"]) == (
                "UserError", "MAIL_FAILED", "email")
            assert "could not be mailed" in failed["message"]
            assert sink.refused == ["boss@example.com"] and sink.messages == []
            wizard = admin(WIZARD_QUERY)["setupWizard"]
            assert wizard["registration"]["status"] == "NONE"  # no code shown as sent
            assert admin(HISTORY)["setupHistory"] == history

            sink.refuse = None  # the mail server takes it now
            sent = step(admin, "requestRegistrationCode", 'email: "boss@example.com"')
            assert sent["registration"] == {**sent["registration"], "status": "CODE_SENT",
                                            "email": "boss@example.com"}
            assert len(sink.messages) == 1
