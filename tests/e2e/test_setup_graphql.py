"""The setup wizard over real HTTP: an admin completes it step by step with GraphQL (the code
from the development outbox, the check of a fake MikoPBX); refused steps name the field and
record nothing; auditors read the history and travel in time but change nothing; operators see
none of it; `switchboard audit` prints the same."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from application import commands as c
from domain.operators import Role
from infra.bootstrap import Container
from infra.settings import Settings
from tests.conftest import (
    ADMIN_PASSWORD,
    GraphQLClient,
    LiveServer,
    cli,
    cli_env,
    make_settings,
    running_container,
    wait_for,
)
from tests.setup_helpers import autoconfig_code, fake_pbxs

WIZARD = """
fragment Wizard on SetupWizard {
  currentStep completed connectionMode
  steps { step state missing }
  publication { serverUrl publicationName }
  registration { status email attemptsLeft }
  pbx { type connectionSetup addresses passwordSet scheme webServer
        check { status address reason tried { address ok reason } } }
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
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(database_url, mail_outbox_dir=str(tmp_path / "outbox"),
                         pbx_check_timeout_seconds=1)


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
                      code=autoconfig_code([pbx.address], password="top-secret"))
        assert wizard["pbx"]["passwordSet"] and wizard["pbx"]["addresses"] == [pbx.address]
        assert "top-secret" not in json.dumps(wizard)
        started = step(admin, "configurePbx")
        assert started["pbx"]["check"]["status"] in ("RUNNING", "SUCCEEDED")
        checked = wait_for(lambda: (w := admin(WIZARD_QUERY)["setupWizard"])["pbx"]["check"][
            "status"] == "SUCCEEDED" and w)
    assert checked["pbx"]["check"]["address"] == pbx.address
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
