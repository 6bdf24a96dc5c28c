"""The setup wizard's rules, in memory: each accepted step is an event with its actor; a refused
one raises an error naming the field and records nothing."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from domain.errors import AlreadyExists, InvalidValue, NotAllowed, NotFound
from domain.setup import (
    CODE_ATTEMPTS,
    ConnectionMode,
    Installation,
    Step,
    missing,
    parse_autoconfig_code,
)
from infra.secretbox import FernetSecretBox, SecretUnreadable
from tests.setup_helpers import autoconfig_code

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
ADMIN = "operator:admin"


def fresh(mode: ConnectionMode = ConnectionMode.LONG_POLLING) -> Installation:
    installation = Installation.start(connection_mode=mode, actor="system")
    installation.collect_events()
    return installation


def kinds(installation: Installation) -> list[str]:
    return [type(e).__name__ for e in installation.collect_events()]


def refused(error: type[Exception], field: str, action: object) -> None:
    with pytest.raises(error) as caught:
        action()  # type: ignore[operator]
    assert caught.value.field == field  # type: ignore[attr-defined]


def ready_for_connection() -> Installation:
    installation = fresh()
    installation.choose_pbx("mikopbx", "automatic", ADMIN)
    installation.collect_events()
    return installation


def test_a_production_installation_refuses_chats_until_the_publication_switches_the_mode():
    installation = fresh()
    with pytest.raises(NotAllowed, match="Switch it: open the setup wizard"):
        installation.ensure_chats_allowed()
    installation.set_publication("https://1c.example.com", "trade", ADMIN)
    assert kinds(installation) == ["PublicationSet", "ConnectionModeChanged"]
    installation.ensure_chats_allowed()


@pytest.mark.parametrize(("url", "reason"), [
    ("ftp://1c.example.com", "http"), ("https://", "host"), ("1c.example.com", "http"),
    ("http://bad host", "host"), ("https://1c.example.com:99999", "port"),
])
def test_the_publication_server_is_an_http_url_with_a_host(url: str, reason: str):
    installation = fresh()
    with pytest.raises(InvalidValue, match=reason) as caught:
        installation.set_publication(url, "trade", ADMIN)
    assert caught.value.field == "serverUrl"
    assert installation.collect_events() == []


@pytest.mark.parametrize("name", ["", "has space", "/", "a" * 65, "имя"])
def test_a_publication_name_is_validated(name: str):
    refused(InvalidValue, "publicationName",
            lambda: fresh().set_publication("http://10.0.0.5", name, ADMIN))


def test_setting_the_same_publication_again_records_nothing_new():
    installation = fresh(ConnectionMode.WEB_SERVICE)
    installation.set_publication("http://10.0.0.5/", "trade", ADMIN)
    assert kinds(installation) == ["PublicationSet"]
    installation.set_publication("http://10.0.0.5", "trade", ADMIN)
    assert kinds(installation) == []


def test_the_web_service_mode_needs_a_publication_and_long_polling_can_return():
    installation = fresh()
    refused(NotAllowed, "mode", lambda: installation.change_connection_mode("web_service", ADMIN))
    installation.set_publication("http://10.0.0.5", "trade", ADMIN)
    installation.change_connection_mode("long_polling", ADMIN)
    assert not installation.chats_allowed


def test_a_registration_code_confirms_within_its_lifetime():
    installation = fresh()
    installation.send_registration_code(email="boss@example.com", server="", code_hash="h1",
                                        expires_at=NOW + timedelta(minutes=10), actor=ADMIN)
    sent = installation.collect_events()[0]
    assert sent.server == "wss://1cdialog.com:443" and sent.actor == ADMIN
    assert installation.confirm_registration(code_hash="h1", now=NOW, actor=ADMIN)
    assert installation.registered


def test_a_wrong_code_is_counted_and_attempts_run_out():
    installation = fresh()
    installation.send_registration_code(email="boss@example.com", server="", code_hash="h1",
                                        expires_at=NOW + timedelta(minutes=10), actor=ADMIN)
    for left in range(CODE_ATTEMPTS - 1, -1, -1):
        assert not installation.confirm_registration(code_hash="bad", now=NOW, actor=ADMIN)
        assert installation.code_attempts_left == left
    refused(NotAllowed, "code",
            lambda: installation.confirm_registration(code_hash="h1", now=NOW, actor=ADMIN))
    installation.send_registration_code(email="boss@example.com", server="", code_hash="h2",
                                        expires_at=NOW + timedelta(minutes=10), actor=ADMIN)
    assert installation.confirm_registration(code_hash="h2", now=NOW, actor=ADMIN)


def test_an_expired_code_is_refused():
    installation = fresh()
    installation.send_registration_code(email="boss@example.com", server="", code_hash="h1",
                                        expires_at=NOW, actor=ADMIN)
    installation.collect_events()
    refused(NotAllowed, "code",
            lambda: installation.confirm_registration(code_hash="h1", now=NOW, actor=ADMIN))
    assert installation.collect_events() == []


@pytest.mark.parametrize(("email", "server", "field"), [
    ("not-an-email", "", "email"), ("boss@example.com", "https://1cdialog.com", "server"),
])
def test_registration_needs_an_email_and_a_websocket_server(email: str, server: str, field: str):
    refused(InvalidValue, field, lambda: fresh().send_registration_code(
        email=email, server=server, code_hash="h", expires_at=NOW, actor=ADMIN))


def test_automatic_setup_is_for_mikopbx_only():
    refused(InvalidValue, "connectionSetup",
            lambda: fresh().choose_pbx("asterisk", "automatic", ADMIN))
    refused(InvalidValue, "pbxType", lambda: fresh().choose_pbx("avaya", "manual", ADMIN))
    installation = fresh()
    installation.choose_pbx("asterisk", "manual", ADMIN)
    assert installation.pbx_type == "asterisk"


def test_the_code_that_mikos_module_produces_is_accepted():
    code = autoconfig_code(["10.0.0.2", "192.168.1.2", "203.0.113.7", "pbx.example.com"])
    config = parse_autoconfig_code(code)
    assert config.ipset == ("10.0.0.2", "192.168.1.2", "203.0.113.7", "pbx.example.com")
    assert config.nats_password == "nats-secret-1" and config.pbx == "mikopbx"
    # as pasted: wrapped over lines and without padding
    wrapped = "\n".join(code.rstrip("=")[i:i + 20] for i in range(0, len(code), 20))
    assert parse_autoconfig_code(wrapped) == config


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(("code", "reason"), [
    ("", "Paste"),
    ("not base64 at all!", "not base64"),
    (_b64("plain text"), "does not hold JSON"),
    (_b64("[1, 2]"), "no settings object"),
    (_b64(json.dumps({"ipset": ["10.0.0.2"], "pbx": "mikopbx"})), "no nats_password"),
    (_b64(json.dumps({"nats_password": "x", "ipset": [], "pbx": "mikopbx"})), "addresses"),
    (_b64(json.dumps({"nats_password": "x", "ipset": ["10.0.0.2"], "pbx": "asterisk"})),
     "not for MikoPBX"),
    (_b64(json.dumps({"nats_password": "x", "ipset": ["bad host!"], "pbx": "mikopbx"})),
     "not a host name"),
])
def test_a_malformed_code_is_refused_with_the_reason(code: str, reason: str):
    with pytest.raises(InvalidValue, match=reason) as caught:
        parse_autoconfig_code(code)
    assert caught.value.field == "code"


def test_the_cloud_schemes_need_the_web_server_and_publication_name():
    for scheme in ("onec_cloud", "both_cloud"):
        installation = ready_for_connection()
        refused(InvalidValue, "webServer", lambda s=scheme, i=installation: i.apply_autoconfig(
            ipset=["10.0.0.2"], nats_password_encrypted="x", scheme=s, web_server="",
            publication_name="trade", actor=ADMIN))
        refused(InvalidValue, "publicationName", lambda s=scheme, i=installation:
                i.apply_autoconfig(ipset=["10.0.0.2"], nats_password_encrypted="x", scheme=s,
                                   web_server="https://1c.example.com", publication_name="",
                                   actor=ADMIN))
        assert installation.collect_events() == []
    for scheme in ("both_lan", "pbx_cloud"):
        installation = ready_for_connection()
        installation.apply_autoconfig(ipset=["10.0.0.2"], nats_password_encrypted="x",
                                      scheme=scheme, web_server="", publication_name="",
                                      actor=ADMIN)
        assert kinds(installation) == ["AutoConfigApplied", "SchemeChosen"]
    refused(InvalidValue, "scheme", lambda: ready_for_connection().apply_autoconfig(
        ipset=["10.0.0.2"], nats_password_encrypted="x", scheme="moon", web_server="",
        publication_name="", actor=ADMIN))


def test_the_code_needs_mikopbx_with_automatic_setup_chosen_first():
    refused(NotAllowed, "code", lambda: fresh().apply_autoconfig(
        ipset=["10.0.0.2"], nats_password_encrypted="x", scheme="both_lan", web_server="",
        publication_name="", actor=ADMIN))


def test_a_check_runs_once_at_a_time_and_a_stale_one_can_be_replaced():
    installation = ready_for_connection()
    installation.apply_autoconfig(ipset=["10.0.0.2", "10.0.0.3"], nats_password_encrypted="x",
                                  scheme="both_lan", web_server="", publication_name="",
                                  actor=ADMIN)
    first = uuid4()
    stale = timedelta(seconds=60)
    assert installation.start_pbx_check(check_id=first, now=NOW, stale_after=stale,
                                        actor=ADMIN) == ["10.0.0.2", "10.0.0.3"]
    refused(AlreadyExists, "check", lambda: installation.start_pbx_check(
        check_id=uuid4(), now=NOW + timedelta(seconds=5), stale_after=stale, actor=ADMIN))
    second = uuid4()
    installation.start_pbx_check(check_id=second, now=NOW + timedelta(seconds=61),
                                 stale_after=stale, actor=ADMIN)
    refused(NotFound, "check", lambda: installation.finish_pbx_check(
        check_id=first, address="10.0.0.2", reason="", actor="system"))
    assert installation.check_password == "x"  # the code's password, for the NATS handshake
    installation.record_address_checked(
        check_id=second, address="10.0.0.2", ok=True, reason="answered",
        rest=("REST_OK", "answered"), nats=("NATS_OK", "accepted"), actor="system")
    installation.finish_pbx_check(check_id=second, address="10.0.0.2", reason="",
                                  actor="system")
    assert installation.check_ok
    assert "check" not in missing(installation.facts())[Step.CONNECTION]


def test_employees_numbers_are_unique():
    installation = fresh()
    ivan, olga = uuid4(), uuid4()
    installation.set_employee_phones(operator_id=ivan, login="ivan", extension="101",
                                     mobile="+79161234567", actor=ADMIN)
    refused(AlreadyExists, "extension", lambda: installation.set_employee_phones(
        operator_id=olga, login="olga", extension="101", mobile="", actor=ADMIN))
    refused(AlreadyExists, "mobile", lambda: installation.set_employee_phones(
        operator_id=olga, login="olga", extension="102", mobile="+79161234567", actor=ADMIN))
    refused(InvalidValue, "extension", lambda: installation.set_employee_phones(
        operator_id=olga, login="olga", extension="1a", mobile="", actor=ADMIN))
    installation.set_employee_phones(operator_id=ivan, login="ivan", extension="101",
                                     mobile="+79161234568", actor=ADMIN)
    assert installation.employees[str(ivan)] == ["ivan", "101", "+79161234568"]


def test_finishing_names_the_first_unfinished_step():
    installation = fresh()
    installation.choose_mode("full", ADMIN)
    with pytest.raises(NotAllowed, match="publication") as caught:
        installation.complete(ADMIN)
    assert caught.value.field == "publication"


def test_the_aggregate_survives_a_snapshot():
    installation = ready_for_connection()
    installation.set_employee_phones(operator_id=uuid4(), login="ivan", extension="101",
                                     mobile="", actor=ADMIN)
    snapshot = Installation.Snapshot.take(installation)
    restored = snapshot.mutate(None)
    assert restored.facts() == installation.facts()
    assert restored.employees == installation.employees


def test_secrets_are_encrypted_with_a_key_from_the_settings():
    box = FernetSecretBox("key-one")
    token = box.encrypt("nats-secret-1")
    assert "nats-secret-1" not in token
    assert box.decrypt(token) == "nats-secret-1"
    with pytest.raises(SecretUnreadable):
        FernetSecretBox("key-two").decrypt(token)


def test_a_new_phonebook_import_replaces_one_left_running():
    installation = fresh()
    first, second = uuid4(), uuid4()
    installation.start_import(import_id=first, source="csv", rows=10, actor=ADMIN)
    installation.start_import(import_id=second, source="csv", rows=1, actor=ADMIN)
    refused(NotFound, "importId", lambda: installation.progress_import(
        import_id=first, done=5, actor="system"))
    installation.finish_import(import_id=second, created=1, updated=0, refused=[], actor="system")
    assert installation.imports_running == []
