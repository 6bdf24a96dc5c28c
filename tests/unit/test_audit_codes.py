"""The audit speaks the reader's language: every section, label, value and summary it records
carries a catalogue code with parameters beside its English text (which stays as it was), and
every code it can send is in both catalogues."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

from eventsourcing.utils import get_topic

from domain.distribution import Mode
from domain.operators import Role
from domain.routing_rules import MatchMode
from domain.setup import ConnectionMode, ConnectionScheme, ConnectionSetup, Installation, PbxType
from projections.audit.configuration import ConfigChange, Said, diff, wording
from projections.audit.sections import all_sections
from projections.setup import _REFUSALS, PBX, PUBLICATION, check_failure

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [*sorted((ROOT / "projections/audit").glob("*.py")), ROOT / "projections/setup.py"]


def catalogue(lang: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (ROOT / "api/panel/static/i18n" / f"{lang}.json").read_text("utf-8"))
    return data


def change(cls: type, **data: Any) -> ConfigChange:
    return ConfigChange(1, datetime.now(UTC), "system:pbx-check", get_topic(cls), str(uuid4()),
                        data)


def codes_the_audit_can_send() -> set[str]:
    """Every literal code in the sections' sources, and every code built from a value."""
    codes = {code for path in SOURCES
             for code in re.findall(r"\"((?:audit|setup|role|routing)\.[\w.]+\w)\"",
                                    path.read_text("utf-8"))}
    registry = all_sections()
    codes |= {f"audit.section.{s.name}" for s in registry.all}
    codes |= {f"audit.event.{get_topic(e).rpartition(':')[2]}" for s in registry.all
              if s.summary is None for e in s.events}
    codes |= {f"audit.value.connection.{m.value}" for m in ConnectionMode}
    codes |= {f"audit.value.setup.{s.value}" for s in ConnectionSetup}
    codes |= {f"audit.value.registration.{s}" for s in ("none", "code_sent", "confirmed")}
    codes |= {f"setup.pbx.{p.name}" for p in PbxType}
    codes |= {f"setup.scheme.{s.name}" for s in ConnectionScheme}
    codes |= {f"role.{r.name}" for r in Role}
    codes |= {f"routing.match.{m.name}" for m in MatchMode}
    codes |= {f"routing.mode.{m.name}" for m in Mode}
    codes |= {f"setup.refused.{code}" for code, _ in _REFUSALS} | {"setup.refused.OTHER"}
    codes |= {f"audit.summary.whatsapp.{on}.{first}" for on in ("on", "off")
              for first in ("first", "notFirst")}
    return codes


def test_every_code_the_audit_can_send_is_in_both_catalogues() -> None:
    codes = codes_the_audit_can_send()
    assert len(codes) > 100
    for lang in ("en", "ru"):
        assert sorted(codes - set(catalogue(lang))) == [], f"missing in {lang}.json"


def test_a_label_and_its_value_keep_their_english_text_and_carry_codes() -> None:
    state = PUBLICATION.apply(PUBLICATION.initial(), change(
        Installation.PublicationSet, server_url="https://1c.example.com",
        publication_name="trade"))
    described = PUBLICATION.describe(state, {})
    assert described == {"Connection mode": "long-polling",
                         "Publication server": "https://1c.example.com",
                         "Publication name": "trade"}
    label, mode = next(iter(described.items()))
    assert wording(label) == {"code": "audit.field.connectionMode", "params": {}}
    assert wording(mode) == {"code": "audit.value.connection.long_polling", "params": {}}
    assert wording(described["Publication name"]) == {"value": "trade"}


def test_a_before_and_after_of_nothing_is_a_null_value_not_a_dash() -> None:
    before, after = diff({}, PUBLICATION.describe(PUBLICATION.initial(), {}))
    assert before == {"Connection mode": "—"}
    assert wording(before["Connection mode"]) == {"value": None}
    assert wording(after["Connection mode"])["code"] == "audit.value.connection.long_polling"


def test_a_summary_with_a_role_says_the_role_by_its_catalogue_code() -> None:
    from domain.operators import Operator
    operators = all_sections().by_name["operators"]
    summary = operators.summarize(change(Operator.Registered, login="olga", role="supervisor",
                                         display_name="Olga"))
    assert summary == "Operator olga registered as supervisor"
    assert wording(summary) == {"code": "audit.summary.operatorRegistered", "params": {
        "login": "olga", "role": {"code": "role.SUPERVISOR", "params": {}}}}


def test_an_address_that_did_not_answer_is_said_by_its_rest_and_nats_codes() -> None:
    summary = PBX.summarize(change(
        Installation.PbxAddressChecked, check_id=str(uuid4()), address="10.0.0.2", ok=False,
        reason="web interface: ConnectError; NATS: ConnectionRefusedError",
        rest_code="REST_UNREACHABLE", rest_detail="ConnectError", nats_code="NATS_UNREACHABLE",
        nats_detail="ConnectionRefusedError"))
    said = wording(summary)
    assert said["code"] == "audit.summary.pbxNotAnswered"
    assert said["params"]["rest"] == {"code": "setup.check.code.REST_UNREACHABLE", "params": {}}
    assert said["params"]["nats"] == {"code": "setup.check.code.NATS_UNREACHABLE", "params": {}}


def test_a_failed_check_says_why_by_a_code_and_keeps_an_error_s_words_as_data() -> None:
    none = check_failure("No address of the PBX answered. 10.0.0.2: web interface: "
                         "ConnectError; NATS: ConnectError")
    broke = check_failure("The check broke: ValueError: bad key")
    assert wording(none) == {"code": "setup.check.reason.NO_ANSWER", "params": {}}
    assert wording(broke) == {"code": "setup.check.reason.BROKE",
                              "params": {"text": "ValueError: bad key"}}
    assert isinstance(check_failure("something else"), Said)


def test_a_refused_phonebook_row_is_said_by_a_code_with_its_parts_as_parameters() -> None:
    from projections.setup import refusal_of
    assert wording(refusal_of("no name")) == {"code": "setup.refused.NO_NAME", "params": {}}
    assert wording(refusal_of("+79160000002 is in row 2 already")) == {
        "code": "setup.refused.DUPLICATE", "params": {"phone": "+79160000002", "row": 2}}
    assert wording(refusal_of("'12' is not a possible phone number.")) == {
        "code": "setup.refused.NOT_POSSIBLE", "params": {"phone": "12"}}
    assert wording(refusal_of("The name is too long.")) == {
        "code": "setup.refused.OTHER", "params": {"text": "The name is too long."}}
