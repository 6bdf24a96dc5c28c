"""The configuration sections that audit and time travel are built on: records keep no secret,
each event belongs to one section, the wizard's view derives from the sections alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from domain.setup import ConnectionMode, Installation
from projections.audit.configuration import ConfigChange, Section, Sections, change_of, diff
from projections.audit.sections import all_sections
from projections.setup import PUBLICATION, wizard_view


def events_of(installation: Installation) -> list[object]:
    return list(installation.collect_events())


def fold_all(events: list[object]) -> dict[str, dict]:
    registry = all_sections()
    states = registry.initial()
    for position, event in enumerate(events, start=1):
        section = registry.by_topic.get(change_of(event, position).topic)
        if section is not None:
            states[section.name] = section.apply(states[section.name], change_of(event, position))
    return states


def test_a_record_keeps_no_secret_and_no_envelope():
    installation = Installation.start(connection_mode=ConnectionMode.LONG_POLLING, actor="system")
    installation.choose_pbx("mikopbx", "automatic", "operator:admin")
    installation.apply_autoconfig(ipset=["10.0.0.2"], nats_password_encrypted="gAAAA-token",
                                  scheme="both_lan", web_server="", publication_name="",
                                  actor="operator:admin")
    applied = events_of(installation)[2]
    record = change_of(applied, 7)
    assert record.data == {"ipset": ["10.0.0.2"], "nats_password_encrypted": "set"}
    assert (record.actor, record.position, record.kind) == (
        "operator:admin", 7, "Installation.AutoConfigApplied")


def test_an_event_belongs_to_one_section_only():
    twin = Section("twin", "Twin", (Installation.PublicationSet,), lambda s, c: s)
    with pytest.raises(RuntimeError, match="two configuration sections"):
        Sections((PUBLICATION, twin))


def test_the_fold_works_on_a_copy():
    before = PUBLICATION.initial()
    change = ConfigChange(1, datetime.now(UTC), "operator:admin",
                          "domain.setup:Installation.PublicationSet", str(uuid4()),
                          {"server_url": "https://1c.example.com", "publication_name": "trade"})
    after = PUBLICATION.apply(before, change)
    assert before["serverUrl"] == "" and after["serverUrl"] == "https://1c.example.com"


def test_diff_names_only_what_changed():
    assert diff({"a": "1", "b": "2"}, {"a": "1", "b": "3", "c": "4"}) == (
        {"b": "2", "c": "—"}, {"b": "3", "c": "4"})


def test_the_wizard_view_derives_from_the_sections():
    installation = Installation.start(connection_mode=ConnectionMode.LONG_POLLING, actor="system")
    installation.choose_mode("full", "operator:admin")
    installation.set_publication("https://1c.example.com", "trade", "operator:admin")
    installation.choose_pbx("asterisk", "manual", "operator:admin")
    installation.set_manual_connection(addresses=["10.0.0.2"], scheme="both_lan", web_server="",
                                       publication_name="", actor="operator:admin")
    view = wizard_view(fold_all(events_of(installation)))
    states = {s.step.value: (s.state, s.missing) for s in view.steps}
    assert states["publication"] == ("done", [])
    assert states["connection"] == ("done", [])  # only a MikoPBX is checked
    assert states["registration"] == ("todo", ["email"])
    assert view.current.value == "registration" and not view.completed


def test_attempts_before_the_nats_check_fold_beside_the_new_ones():
    installation = Installation.start(connection_mode=ConnectionMode.LONG_POLLING, actor="system")
    installation.choose_pbx("mikopbx", "automatic", "operator:admin")
    installation.apply_autoconfig(ipset=["10.0.0.2", "10.0.0.3"],
                                  nats_password_encrypted="gAAAA-token", scheme="both_lan",
                                  web_server="", publication_name="", actor="operator:admin")
    check = uuid4()
    installation.start_pbx_check(check_id=check, now=datetime.now(UTC),
                                 stale_after=timedelta(minutes=1), actor="operator:admin")
    installation._address_tried(check_id=check, address="10.0.0.2", ok=False,  # an old event
                                reason="it answered HTTP 500", actor="system:pbx-check")
    installation.record_address_checked(
        check_id=check, address="10.0.0.3", ok=True, reason="answered",
        rest=("REST_REDIRECTED_HTTPS", "answered at https://10.0.0.3"),
        nats=("NATS_OK", "NATS 2.9.10 at 10.0.0.3:4222 accepted the connection"),
        actor="system:pbx-check")
    old, new = fold_all(events_of(installation))["pbx"]["check"]["tried"]
    assert (old["reason"], old["rest"]["code"], old["nats"]["code"]) == (
        "it answered HTTP 500", "", "")
    assert (new["ok"], new["rest"]["code"], new["nats"]["code"]) == (
        True, "REST_REDIRECTED_HTTPS", "NATS_OK")
    assert "gAAAA-token" not in str(new)
