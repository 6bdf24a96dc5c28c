"""The setup wizard end to end below the API, on SQLite and PostgreSQL: every step an event with
its actor, the mailed code, the PBX check against a fake MikoPBX on loopback, the phonebook
import, resuming and revisiting, the audit's before/after, and time travel."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from application import commands as c
from application import setup as s
from application.errors import DomainError
from application.setup_services import WrongCode
from domain.ids import operator_id
from domain.setup import INSTALLATION_ID
from infra.bootstrap import Container
from infra.mailer import read_outbox
from infra.projection.projector import ProjectionRunner
from infra.settings import Settings
from projections.audit import trail as audit
from projections.audit.trail import AuditProjection
from projections.setup import phonebook_entries, wizard_view
from tests.conftest import PRODUCTION, caught_up, make_settings, running_container, wait_for
from tests.setup_helpers import autoconfig_code, closed_address, fake_pbxs

ADMIN = "operator:admin"


@pytest.fixture
def settings(database_url: str, tmp_path: Any, nats_server: Any) -> Settings:
    return make_settings(database_url, mail_outbox_dir=str(tmp_path / "outbox"),
                         pbx_check_timeout_seconds=0.5, pbx_nats_port=nats_server.port)


@pytest.fixture
def container(settings: Settings) -> Iterator[Container]:
    with running_container(settings) as built:
        yield built


def settle(container: Container) -> None:
    wait_for(lambda: caught_up(container))


def current(container: Container) -> audit.ConfigurationView:
    settle(container)
    with container.views.reader.connect() as conn:
        return audit.current_configuration(conn)


def at(container: Container, instant: datetime) -> audit.ConfigurationView:
    settle(container)
    with container.views.reader.connect() as conn:
        return audit.configuration_at(conn, instant)


def history(container: Container, **kwargs: Any) -> list[audit.HistoryEntry]:
    settle(container)
    with container.views.reader.connect() as conn:
        return audit.history(conn, **kwargs)


def mailed_code(settings: Settings) -> str:
    from pathlib import Path

    mail = read_outbox(Path(settings.mail_outbox_dir), limit=1)[0]
    return mail.subject.rsplit(" ", 1)[1]


def run(container: Container, command: object) -> Any:
    return container.writer.execute_sync(command)


def tick() -> datetime:
    """An instant strictly between what came before and what comes after."""
    time.sleep(0.01)
    instant = datetime.now(UTC)
    time.sleep(0.01)
    return instant


async def complete_the_wizard(container: Container, pbx_address: str) -> None:
    setup = container.setup
    run(container, s.ChooseSetupMode(mode="full", actor=ADMIN))
    run(container, s.SetPublication(server_url="https://1c.example.com", publication_name="trade",
                                    actor=ADMIN))
    await setup.registration.request_code("boss@example.com", "", ADMIN)
    await setup.registration.confirm(mailed_code(container.settings), ADMIN)
    run(container, s.ChoosePbx(pbx_type="mikopbx", connection_setup="automatic", actor=ADMIN))
    await setup.pbx.apply_code(autoconfig_code([closed_address(), pbx_address]), "both_cloud",
                               "https://1c.example.com", "trade", ADMIN)
    await setup.pbx.start_check(ADMIN)
    await setup.jobs.wait_idle()
    run(container, s.SetEmployeePhones(operator_id=operator_id("admin"), extension="101",
                                       mobile="+79161234567", actor=ADMIN))
    run(container, s.ConfirmEmployees(actor=ADMIN))
    run(container, s.PassMessengers(actor=ADMIN))
    await setup.phonebook.start_import("csv", "name,company,phone\nIvan,Acme,+79160000001\n",
                                       ADMIN)
    await setup.jobs.wait_idle()
    run(container, s.CompleteSetup(actor=ADMIN))


async def test_an_admin_completes_the_wizard_and_every_step_is_an_event(container: Container):
    with fake_pbxs("ok") as (pbx,):
        await complete_the_wizard(container, pbx.address)
    now = current(container)
    view = wizard_view(now.states)
    assert view.completed and all(not step.missing for step in view.steps)
    assert now.states["pbx"]["check"]["status"] == "succeeded"
    assert now.states["pbx"]["check"]["address"] == pbx.address
    assert [t["ok"] for t in now.states["pbx"]["check"]["tried"]] == [False, True]
    entries = history(container, actor=ADMIN)
    assert {e.actor for e in entries} == {ADMIN}
    assert "Installation.SetupCompleted" in [e.event for e in entries]
    progress = [e.summary for e in history(container, actor="system:pbx-check")]
    assert progress[0] == f"PBX check succeeded at {pbx.address}"
    assert any(text.startswith("PBX address 127.0.0.2") and "did not answer" in text
               for text in progress)


def parts(check: dict[str, Any]) -> list[tuple[str, str]]:
    return [(t["rest"]["code"], t["nats"]["code"]) for t in check["tried"]]


async def test_the_pbx_check_reports_each_failure_and_can_be_retried(container: Container):
    run(container, s.ChoosePbx(pbx_type="mikopbx", connection_setup="automatic", actor=ADMIN))
    with fake_pbxs("error", "ok") as (broken, web):
        await container.setup.pbx.apply_code(
            autoconfig_code([broken.address, web.address], password="an-old-password"),
            "both_lan", "", "", ADMIN)
        await container.setup.pbx.start_check(ADMIN)
        await container.setup.jobs.wait_idle()
        check = current(container).states["pbx"]["check"]
        assert check["status"] == "failed"
        assert parts(check) == [("REST_HTTP_ERROR", "NATS_AUTH_REFUSED"),
                                ("REST_OK", "NATS_AUTH_REFUSED")]  # the web answering is not 1C
        assert check["tried"][0]["reason"].startswith("web interface: it answered HTTP 500; "
                                                      "NATS: NATS 2.")
        assert "No address of the PBX answered" in check["reason"]
        assert "Authorization Violation" in check["reason"]
        assert "check" in wizard_view(current(container).states).steps[4].missing
        await container.setup.pbx.apply_code(  # the module's current code
            autoconfig_code([broken.address, web.address]), "both_lan", "", "", ADMIN)
        await container.setup.pbx.start_check(ADMIN)
        await container.setup.jobs.wait_idle()
    check = current(container).states["pbx"]["check"]
    assert check["status"] == "succeeded" and check["address"] == broken.address
    assert parts(check) == [("REST_HTTP_ERROR", "NATS_OK")]  # 1C connects through NATS


async def test_without_a_code_the_check_needs_the_rest_api(container: Container):
    run(container, s.ChoosePbx(pbx_type="mikopbx", connection_setup="manual", actor=ADMIN))
    with fake_pbxs("error", "ok") as (broken, web):
        run(container, s.SetManualConnection(addresses=[broken.address, web.address],
                                             scheme="both_lan", web_server="",
                                             publication_name="", actor=ADMIN))
        await container.setup.pbx.start_check(ADMIN)
        await container.setup.jobs.wait_idle()
    check = current(container).states["pbx"]["check"]
    assert check["status"] == "succeeded" and check["address"] == web.address
    assert parts(check) == [("REST_HTTP_ERROR", "NATS_NO_PASSWORD"),
                            ("REST_OK", "NATS_NO_PASSWORD")]


async def test_an_older_mikopbx_answers_pong_on_the_old_api(container: Container):
    run(container, s.ChoosePbx(pbx_type="mikopbx", connection_setup="automatic", actor=ADMIN))
    with fake_pbxs("old") as (pbx,):
        await container.setup.pbx.apply_code(autoconfig_code([pbx.address]), "both_lan", "", "",
                                             ADMIN)
        await container.setup.pbx.start_check(ADMIN)
        await container.setup.jobs.wait_idle()
        assert pbx.requests == ["/pbxcore/api/v3/system:ping", "/pbxcore/api/system/ping"]
    assert current(container).states["pbx"]["check"]["status"] == "succeeded"


async def test_the_nats_password_is_never_stored_in_clear(container: Container):
    run(container, s.ChoosePbx(pbx_type="mikopbx", connection_setup="automatic", actor=ADMIN))
    await container.setup.pbx.apply_code(
        autoconfig_code(["10.0.0.2"], password="very-secret-nats"), "both_lan", "", "", ADMIN)
    settle(container)
    stored = container.store.recorder.select_events(INSTALLATION_ID)
    assert stored and all(b"very-secret-nats" not in e.state for e in stored)
    applied = container.store.repository.get(INSTALLATION_ID)
    assert applied.password_set
    events = [container.store.mapper.to_domain_event(e) for e in stored]
    token = next(e.nats_password_encrypted for e in events
                 if type(e).__name__ == "AutoConfigApplied")
    assert container.setup.box.decrypt(token) == "very-secret-nats"
    with container.views.reader.connect() as conn:
        dump = json.dumps([list(map(str, r)) for r in conn.execute(sa.select(audit.config_events))])
    assert "very-secret-nats" not in dump and token not in dump
    assert current(container).readable["pbx"]["NATS password"] == "set"


async def test_a_wrong_code_is_counted_and_a_new_code_can_be_requested(container: Container):
    registration = container.setup.registration
    await registration.request_code("boss@example.com", "wss://dialog.example.com", ADMIN)
    first = mailed_code(container.settings)
    with pytest.raises(WrongCode) as wrong:
        await registration.confirm("000000" if first != "000000" else "111111", ADMIN)
    assert wrong.value.attempts_left == 4
    await asyncio.sleep(0.01)  # a new file name in the outbox
    await registration.request_code("boss@example.com", "wss://dialog.example.com", ADMIN)
    second = mailed_code(container.settings)
    if second != first:
        with pytest.raises(WrongCode):
            await registration.confirm(first, ADMIN)
    await registration.confirm(second, ADMIN)
    state = current(container).states["registration"]
    assert state["status"] == "confirmed" and state["server"] == "wss://dialog.example.com"
    assert all(first not in e.summary for e in history(container))


async def test_an_expired_code_is_refused(settings: Settings):
    settings = settings.model_copy(update={"registration_code_ttl_seconds": 30})
    with running_container(settings) as container:
        registration = container.setup.registration
        registration._ttl = registration._ttl * 0  # expire at once
        await registration.request_code("boss@example.com", "", ADMIN)
        with pytest.raises(DomainError, match="expired"):
            await registration.confirm(mailed_code(settings), ADMIN)


async def test_the_phonebook_import_reports_progress_and_the_rows_refused(container: Container):
    rows = ["name;company;phone"] + [f"Client {i};Acme;8 916 {i:03d}-00-00" for i in range(450)]
    rows += ["Nobody;Acme;", ";Acme;+79161112233", "Twin;Acme;8 916 000-00-00",
             "Bad;Acme;12"]
    await container.setup.phonebook.start_import("csv", "\n".join(rows), ADMIN)
    await container.setup.jobs.wait_idle()
    state = current(container).states["phonebook"]["import"]
    assert (state["status"], state["rows"], state["created"]) == ("finished", 454, 450)
    assert state["refused"] == [
        {"row": "452", "reason": "no phone number"}, {"row": "453", "reason": "no name"},
        {"row": "454", "reason": "+79160000000 is in row 2 already"},
        {"row": "455", "reason": "'12' is not a possible phone number."}]
    progress = history(container, actor="system:phonebook")
    assert [e.summary for e in progress].count("Phonebook import progressed") == 3
    with container.views.reader.connect() as conn:
        total, entries = phonebook_entries(conn, search="Client 7", first=5)
    assert total == 11 and entries[0].company == "Acme"
    again = json.dumps([{"name": "Client 0 Renamed", "company": "Acme",
                         "phones": ["+79160000000"]}])
    await container.setup.phonebook.start_import("json", again, ADMIN)
    await container.setup.jobs.wait_idle()
    state = current(container).states["phonebook"]["import"]
    assert (state["created"], state["updated"]) == (0, 1)


async def test_the_wizard_resumes_at_the_first_unfinished_step(container: Container):
    view = wizard_view(current(container).states)
    assert view.current.value == "mode"
    assert [s.state for s in view.steps][:2] == ["todo", "done"]  # development: web service
    run(container, s.ChooseSetupMode(mode="full", actor=ADMIN))
    await container.setup.registration.request_code("boss@example.com", "", ADMIN)
    view = wizard_view(current(container).states)
    assert view.current.value == "registration"
    registration = view.steps[2]
    assert (registration.state, registration.missing) == ("in_progress", ["code"])
    finish = view.steps[-1]
    assert finish.missing == ["registration", "pbx", "connection", "employees", "messengers"]
    with pytest.raises(DomainError) as refused:
        run(container, s.CompleteSetup(actor=ADMIN))
    assert refused.value.field == "registration"


async def test_a_finished_step_revisited_is_a_new_event_and_time_travel_sees_both(
    container: Container,
):
    run(container, s.SetPublication(server_url="https://old.example.com",
                                    publication_name="old", actor=ADMIN))
    between = tick()
    run(container, s.SetPublication(server_url="https://new.example.com",
                                    publication_name="new", actor="operator:olga"))
    before_then = at(container, between)
    assert before_then.readable["publication"]["Publication server"] == \
        "https://old.example.com"
    assert current(container).readable["publication"]["Publication name"] == "new"
    change = history(container, actor="operator:olga")[0]
    assert change.before == {"Publication server": "https://old.example.com",
                             "Publication name": "old"}
    assert change.after == {"Publication server": "https://new.example.com",
                            "Publication name": "new"}
    start = at(container, datetime(2000, 1, 1, tzinfo=UTC))
    assert start.position == 0 and start.readable["publication"]["Connection mode"] == \
        "long-polling"


async def test_a_production_installation_keeps_client_messages_until_chats_are_allowed(
    database_url: str, tmp_path: Any,
):
    from application.channel import UpdateMessengerSettings
    from projections.inbox import messages

    settings = make_settings(database_url, **PRODUCTION, gateway="cloud")
    with running_container(settings) as container:
        message = c.ReceiveClientMessage(channel="simulator", external_id="m1",
                                         phone="+79161234567", name="Ivan", text="Hello",
                                         sent_at=datetime.now(UTC))
        kept = run(container, message)
        assert kept.held and kept.dialog_id is None  # long-polling: kept, never refused
        assert run(container, message).duplicate
        run(container, s.SetPublication(server_url="https://1c.example.com",
                                        publication_name="trade", actor=ADMIN))
        assert current(container).readable["publication"]["Connection mode"] == "web service"
        run(container, UpdateMessengerSettings(in_service=True, employees_may_write_first=False,
                                               actor=ADMIN))
        wait_for(lambda: caught_up(container))
        with container.views.reader.connect() as conn:
            texts = conn.execute(sa.select(messages.c.text)).scalars().all()
        assert texts == ["Hello"]
        assert run(container, message).duplicate


def test_the_development_start_is_recorded_by_system_once(container: Container):
    first = history(container, section="publication")
    assert [(e.actor, e.event) for e in first] == [
        ("system", "Installation.ConnectionModeChanged"), ("system", "Installation.PublicationSet"),
        ("system", "Installation.Created")]
    from infra.bootstrap import ensure_development_setup

    assert not ensure_development_setup(container)


def test_time_travel_over_many_events_uses_snapshots_and_matches_a_full_replay(
    container: Container,
):
    instants = []
    for i in range(150):
        run(container, s.SetPublication(server_url=f"https://h{i}.example.com",
                                        publication_name=f"p{i}", actor=ADMIN))
        run(container, c.RemoveQueueMember(operator_id=operator_id("admin"), actor=ADMIN)
            if i % 2 == 0 else c.AddQueueMember(operator_id=operator_id("admin"), actor=ADMIN))
        if i % 50 == 0:
            instants.append((i, tick()))
    settle(container)
    with container.views.reader.connect() as conn:
        snapshots = conn.execute(sa.select(sa.func.count()).select_from(
            audit.config_snapshots)).scalar_one()
        assert snapshots >= 4
        for i, instant in instants:
            view = audit.configuration_at(conn, instant)
            assert view.readable["publication"]["Publication name"] == f"p{i}"
            assert view.readable["queue"]["Employee queue"] == "—"
            assert view.states == audit.replay_configuration(conn, view.position)
        assert audit.current_configuration(conn).readable["queue"]["Employee queue"] == "admin"


def test_the_audit_rebuilds_to_the_same_rows(container: Container):
    for i in range(70):
        run(container, s.SetPublication(server_url=f"https://h{i}.example.com",
                                        publication_name=f"p{i}", actor=ADMIN))
    settle(container)
    tables = AuditProjection.tables

    def rows() -> dict[str, list[tuple[str, ...]]]:
        with container.views.reader.connect() as conn:
            return {t.name: sorted(tuple(map(str, r)) for r in conn.execute(sa.select(t)))
                    for t in tables}

    before = rows()
    container.projector.stop()
    runner = ProjectionRunner(container.store, container.views, AuditProjection(),
                              batch_size=7, postgres=container.settings.is_postgres)
    runner.reset()
    runner.run_until_caught_up()
    assert rows() == before


def test_an_unknown_operator_gets_no_numbers(container: Container):
    from uuid import uuid4

    with pytest.raises(DomainError) as refused:
        run(container, s.SetEmployeePhones(operator_id=uuid4(), extension="101", mobile="",
                                           actor=ADMIN))
    assert refused.value.field == "operatorId"

