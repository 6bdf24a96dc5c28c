"""The setup wizard as read models: its configuration sections (folded by the audit projection,
so the wizard can be shown as of any instant), the wizard's view derived from them, and the
phonebook the wizard fills."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from domain.phonebook import Contact
from domain.setup import (
    STEPS,
    ConnectionMode,
    Installation,
    SetupFacts,
    Step,
    missing,
)
from projections.audit.configuration import (
    ConfigChange,
    Configuration,
    Said,
    Section,
    State,
    readable,
    says,
    value,
)
from projections.base import Changes, Projection, metadata

I = Installation  # noqa: E741 - short name for the many event classes below


# -- sections -------------------------------------------------------------------------------
def _wizard_initial() -> State:
    return {"mode": None, "employeesConfirmed": False, "messengersPassed": False,
            "completed": False}


def _wizard(state: State, change: ConfigChange) -> State:
    if change.is_(I.ModeChosen):
        state["mode"] = change.data["mode"]
    elif change.is_(I.EmployeesConfirmed):
        state["employeesConfirmed"] = True
    elif change.is_(I.MessengersPassed):
        state["messengersPassed"] = True
    elif change.is_(I.SetupCompleted):
        state["completed"] = True
    return state


def _describe_wizard(state: State, config: Configuration) -> dict[str, str]:
    mode = state.get("mode")
    return {
        says("audit.field.setupMode", "Setup mode"): (
            says(f"setup.mode.{mode}", readable(mode)) if mode else value(None)),
        says("audit.field.employeesConfirmed", "Employees' numbers confirmed"): value(
            bool(state.get("employeesConfirmed"))),
        says("audit.field.messengersPassed", "Messengers step passed"): value(
            bool(state.get("messengersPassed"))),
        says("audit.field.setupComplete", "Setup complete"): value(bool(state.get("completed"))),
    }


def _publication_initial() -> State:
    return {"connectionMode": ConnectionMode.LONG_POLLING.value, "serverUrl": "",
            "publicationName": ""}


def _publication(state: State, change: ConfigChange) -> State:
    if change.is_(I.Created):
        state["connectionMode"] = change.data["connection_mode"]
    elif change.is_(I.PublicationSet):
        state["serverUrl"] = change.data["server_url"]
        state["publicationName"] = change.data["publication_name"]
    elif change.is_(I.ConnectionModeChanged):
        state["connectionMode"] = change.data["mode"]
    return state


MODES = {"long_polling": "long-polling", "web_service": "web service"}


def _describe_publication(state: State, config: Configuration) -> dict[str, str]:
    mode = state.get("connectionMode") or ""
    return {
        says("audit.field.connectionMode", "Connection mode"): (
            says(f"audit.value.connection.{mode}", MODES[mode]) if mode in MODES
            else value(None)),
        says("audit.field.publicationServer", "Publication server"): value(
            state.get("serverUrl")),
        says("audit.field.publicationName", "Publication name"): value(
            state.get("publicationName")),
    }


def _registration_initial() -> State:
    return {"status": "none", "email": "", "server": "", "codeExpiresAt": None,
            "attemptsLeft": 0}


def _registration(state: State, change: ConfigChange) -> State:
    data = change.data
    if change.is_(I.RegistrationCodeSent):
        state.update(status="code_sent", email=data["email"], server=data["server"],
                     codeExpiresAt=data["expires_at"], attemptsLeft=5)
    elif change.is_(I.RegistrationCodeRefused):
        state["attemptsLeft"] = data["attempts_left"]
    elif change.is_(I.RegistrationConfirmed):
        state.update(status="confirmed", email=data["email"], server=data["server"],
                     codeExpiresAt=None, attemptsLeft=0)
    return state


def _describe_registration(state: State, config: Configuration) -> dict[str, str]:
    code = state.get("status") or "none"
    status = {"none": "not registered", "code_sent": "code mailed, not confirmed",
              "confirmed": "registered"}.get(code)
    return {says("audit.field.registration", "Registration"): (
                says(f"audit.value.registration.{code}", status) if status else value(None)),
            says("audit.field.registrationEmail", "Registration e-mail"): value(
                state.get("email")),
            says("audit.field.registrationServer", "Interaction system server"): value(
                state.get("server"))}


def _registration_summary(change: ConfigChange) -> str:
    if change.is_(I.RegistrationCodeSent):
        email = change.data["email"]
        return says("audit.summary.codeMailed", f"Registration code mailed to {email}",
                    email=email)
    if change.is_(I.RegistrationCodeRefused):
        left = change.data["attempts_left"]
        return says("audit.summary.codeRefused",
                    f"A wrong registration code was entered ({left} left)", count=left)
    return says("audit.summary.registrationConfirmed", "Registration confirmed")


def _pbx_initial() -> State:
    return {"type": None, "connectionSetup": None, "addresses": [], "passwordSet": False,
            "scheme": None, "webServer": "", "publicationName": "", "check": None}


def _pbx(state: State, change: ConfigChange) -> State:
    data = change.data
    if change.is_(I.PbxChosen):
        if state["type"] != data["pbx_type"]:
            state["check"] = None
        state.update(type=data["pbx_type"], connectionSetup=data["connection_setup"])
    elif change.is_(I.AutoConfigApplied):
        state.update(addresses=data["ipset"], passwordSet=True, check=None)
    elif change.is_(I.ManualConnectionSet):
        state.update(addresses=data["addresses"], check=None)
    elif change.is_(I.SchemeChosen):
        state.update(scheme=data["scheme"], webServer=data["web_server"],
                     publicationName=data["publication_name"])
    elif change.is_(I.PbxCheckStarted):
        state["check"] = {"id": data["check_id"], "status": "running",
                          "startedAt": change.at.isoformat(), "addresses": data["addresses"],
                          "tried": [], "address": None, "reason": None}
    elif state.get("check") and state["check"]["id"] == data.get("check_id"):
        check = state["check"]
        if change.is_(I.PbxAddressTried, I.PbxAddressChecked):
            check["tried"].append({
                "address": data["address"], "ok": data["ok"], "reason": data["reason"],
                "at": change.at.isoformat(),
                "rest": {"code": data.get("rest_code", ""), "detail": data.get("rest_detail", "")},
                "nats": {"code": data.get("nats_code", ""), "detail": data.get("nats_detail", "")},
            })
        elif change.is_(I.PbxCheckSucceeded):
            check.update(status="succeeded", address=data["address"])
        elif change.is_(I.PbxCheckFailed):
            check.update(status="failed", reason=data["reason"])
    return state


SCHEMES = {"both_lan": "1C and the PBX in the local network",
           "pbx_cloud": "1C in the local network, the PBX in the cloud",
           "onec_cloud": "1C in the cloud, the PBX in the local network",
           "both_cloud": "1C and the PBX in the cloud"}


NO_ANSWER = "No address of the PBX answered."
BROKE = "The check broke: "


def check_failure(reason: str) -> Said:
    """A failed check's reason (an English sentence in its event, which lives forever) as a code
    with parameters: NO_ANSWER (each address's result is in the check's tries, with codes),
    BROKE (the error's words as data), or the words themselves."""
    if reason.startswith(NO_ANSWER):
        return says("setup.check.reason.NO_ANSWER", reason)
    if reason.startswith(BROKE):
        return says("setup.check.reason.BROKE", reason, text=reason.removeprefix(BROKE))
    return value(reason)


# The sentences the phonebook import writes for a refused row (stored events keep them as they
# are), each read back into its code (`setup.refused.<CODE>`) with its parts as parameters.
_REFUSALS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (code, re.compile(pattern)) for code, pattern in (
        ("NO_NAME", r"no name"),
        ("NO_PHONE", r"no phone number"),
        ("NOT_A_NUMBER", r"'(?P<phone>.*)' is not a phone number\."),
        ("NOT_POSSIBLE", r"'(?P<phone>.*)' is not a possible phone number\."),
        ("DUPLICATE", r"(?P<phone>\S+) is in row (?P<row>\d+) already"),
        ("STOPPED", r"the import stopped after (?P<count>\d+) rows: (?P<text>.*)"),
    ))


def refusal_of(reason: str) -> Said:
    """A refused phonebook row's reason as a code with parameters; any other sentence (a rule
    of the contact itself) as OTHER with its words as data (`text`)."""
    for code, pattern in _REFUSALS:
        if found := pattern.fullmatch(reason.strip()):
            params: dict[str, Any] = {k: int(v) if k in ("row", "count") else v
                                      for k, v in found.groupdict().items()}
            return says(f"setup.refused.{code}", reason, **params)
    return says("setup.refused.OTHER", reason, text=reason)


def _check_text(check: dict[str, Any] | None) -> Said:
    if not check:
        return says("audit.value.check.none", "not checked")
    if check["status"] == "succeeded":
        return says("audit.value.check.succeeded", f"answered at {check['address']}",
                    address=check["address"])
    if check["status"] == "failed":
        return says("audit.value.check.failed", f"failed: {check['reason']}",
                    reason=check_failure(str(check["reason"] or "")))
    tried, addresses = len(check["tried"]), len(check["addresses"])
    return says("audit.value.check.running",
                f"running ({tried} of {addresses} addresses tried)", tried=tried,
                count=addresses)


def _describe_pbx(state: State, config: Configuration) -> dict[str, str]:
    pbx, setup, scheme = state.get("type"), state.get("connectionSetup"), state.get("scheme")
    return {
        says("audit.field.pbx", "PBX"): (
            says(f"setup.pbx.{str(pbx).upper()}", readable(pbx)) if pbx else value(None)),
        says("audit.field.connectionSetup", "Connection setup"): (
            says(f"audit.value.setup.{setup}", readable(setup)) if setup else value(None)),
        says("audit.field.pbxAddresses", "PBX addresses"): value(state.get("addresses")),
        says("audit.field.natsPassword", "NATS password"): (
            says("audit.value.set", "set") if state.get("passwordSet") else value(None)),
        says("audit.field.scheme", "Connection scheme"): (
            says(f"setup.scheme.{str(scheme).upper()}", SCHEMES[scheme]) if scheme in SCHEMES
            else value(None)),
        says("audit.field.webServer", "1C web server"): value(state.get("webServer")),
        says("audit.field.pbxPublication", "1C publication for the PBX"): value(
            state.get("publicationName")),
        says("audit.field.pbxCheck", "PBX check"): _check_text(state.get("check")),
    }


def _part(data: dict[str, Any], part: str) -> Said:
    code, detail = str(data.get(f"{part}_code") or ""), str(data.get(f"{part}_detail") or "")
    return says(f"setup.check.code.{code}", detail or code) if code else value(detail)


def _pbx_summary(change: ConfigChange) -> str:
    data = change.data
    if change.is_(I.PbxAddressTried, I.PbxAddressChecked):
        address = data["address"]
        text = f"PBX address {address} " + (
            "answered" if data["ok"] else f"did not answer: {data['reason']}")
        if data["ok"]:
            return says("audit.summary.pbxAnswered", text, address=address)
        if not data.get("rest_code"):  # PbxAddressTried, before the codes
            return says("audit.summary.pbxSilent", text, address=address, reason=data["reason"])
        return says("audit.summary.pbxNotAnswered", text, address=address,
                    rest=_part(data, "rest"), nats=_part(data, "nats"))
    if change.is_(I.PbxCheckSucceeded):
        return says("audit.summary.pbxCheckSucceeded",
                    f"PBX check succeeded at {data['address']}", address=data["address"])
    if change.is_(I.PbxCheckFailed):
        return says("audit.summary.pbxCheckFailed", "PBX check failed")
    if change.is_(I.PbxCheckStarted):
        return says("audit.summary.pbxCheckStarted", "PBX check started")
    for cls, code, text in (
            (I.AutoConfigApplied, "autoConfigApplied", "Auto-configuration code applied"),
            (I.PbxChosen, "pbxChosen", "PBX chosen"),
            (I.ManualConnectionSet, "pbxAddressEntered", "PBX address entered"),
            (I.SchemeChosen, "schemeChosen", "Connection scheme chosen")):
        if change.is_(cls):
            return says(f"audit.summary.{code}", text)
    return says(f"audit.event.{change.kind}", change.kind)


def _employees(state: State, change: ConfigChange) -> State:
    data = change.data
    state.setdefault("phones", {})[data["operator_id"]] = {
        "login": data["login"], "extension": data["extension"], "mobile": data["mobile"]}
    return state


def _describe_employees(state: State, config: Configuration) -> dict[str, str]:
    return {
        says("audit.field.numbersOf", f"Numbers of {p['login']}", login=p["login"]): _numbers(p)
        for p in sorted((state.get("phones") or {}).values(), key=lambda p: p["login"])
    }


def _numbers(phones: dict[str, str]) -> Said:
    extension, mobile = phones["extension"], phones["mobile"]
    text = ", ".join(x for x in (f"ext. {extension}" if extension else "", mobile) if x)
    if extension:
        return says("audit.value.extensionAndMobile" if mobile else "audit.value.extension",
                    text, extension=extension, mobile=mobile)
    return Said(text, raw=mobile or None)


def _phonebook(state: State, change: ConfigChange) -> State:
    data = change.data
    if change.is_(I.PhonebookImportStarted):
        state["import"] = {"id": data["import_id"], "source": data["source"],
                           "rows": data["rows"], "done": 0, "status": "running",
                           "created": 0, "updated": 0, "refused": []}
    elif state.get("import") and state["import"]["id"] == data.get("import_id"):
        current = state["import"]
        if change.is_(I.PhonebookImportProgressed):
            current["done"] = data["done"]
        elif change.is_(I.PhonebookImportFinished):
            current.update(status="finished", done=current["rows"], created=data["created"],
                           updated=data["updated"], refused=data["refused"])
            state["imported"] = state.get("imported", 0) + data["created"]
    return state


def _describe_phonebook(state: State, config: Configuration) -> dict[str, str]:
    current = state.get("import")
    field = says("audit.field.phonebookImport", "Phonebook import")
    if not current:
        return {field: value(None)}
    if current["status"] == "running":
        text = says("audit.value.import.running",
                    f"running: {current['done']} of {current['rows']} rows",
                    done=current["done"], count=current["rows"])
    else:
        text = says("audit.value.import.finished",
                    f"{current['created']} created, {current['updated']} updated, "
                    f"{len(current['refused'])} refused", created=current["created"],
                    updated=current["updated"], refused=len(current["refused"]))
    return {field: text,
            says("audit.field.contactsImported", "Contacts imported"): value(
                int(state.get("imported", 0)))}


PBX_EVENTS = (I.PbxChosen, I.AutoConfigApplied, I.ManualConnectionSet, I.SchemeChosen,
              I.PbxCheckStarted, I.PbxAddressTried, I.PbxAddressChecked, I.PbxCheckSucceeded,
              I.PbxCheckFailed)

WIZARD = Section("wizard", "Setup wizard",
                 (I.ModeChosen, I.EmployeesConfirmed, I.MessengersPassed, I.SetupCompleted),
                 _wizard, _describe_wizard, _wizard_initial)
PUBLICATION = Section("publication", "Publication and connection mode",
                      (I.Created, I.PublicationSet, I.ConnectionModeChanged),
                      _publication, _describe_publication, _publication_initial)
REGISTRATION = Section("registration", "Interaction system",
                       (I.RegistrationCodeSent, I.RegistrationCodeRefused,
                        I.RegistrationConfirmed),
                       _registration, _describe_registration, _registration_initial,
                       _registration_summary)
PBX = Section("pbx", "PBX", PBX_EVENTS, _pbx, _describe_pbx, _pbx_initial, _pbx_summary)
EMPLOYEES = Section("employees", "Employees' numbers", (I.EmployeePhonesSet,), _employees,
                    _describe_employees, lambda: {"phones": {}})
PHONEBOOK = Section("phonebook", "Phonebook",
                    (I.PhonebookImportStarted, I.PhonebookImportProgressed,
                     I.PhonebookImportFinished),
                    _phonebook, _describe_phonebook)
SETUP_SECTIONS = (WIZARD, PUBLICATION, REGISTRATION, PBX, EMPLOYEES, PHONEBOOK)


# -- the wizard's view ----------------------------------------------------------------------
@dataclass(frozen=True)
class StepView:
    step: Step
    state: str  # todo | in_progress | done | skipped
    missing: list[str]


@dataclass(frozen=True)
class WizardView:
    current: Step
    completed: bool
    steps: list[StepView]


def facts(config: Configuration) -> SetupFacts:
    wizard = config.get("wizard") or _wizard_initial()
    publication = config.get("publication") or _publication_initial()
    registration = config.get("registration") or _registration_initial()
    pbx = config.get("pbx") or _pbx_initial()
    check = pbx.get("check") or {}
    return SetupFacts(
        mode=wizard.get("mode"), publication=bool(publication.get("serverUrl")),
        registered=registration.get("status") == "confirmed",
        code_sent=registration.get("status") == "code_sent",
        pbx_type=pbx.get("type"), connection_setup=pbx.get("connectionSetup"),
        addresses=bool(pbx.get("addresses")), scheme=pbx.get("scheme"),
        check_ok=check.get("status") == "succeeded",
        employees_confirmed=bool(wizard.get("employeesConfirmed")),
        messengers_passed=bool(wizard.get("messengersPassed")),
    )


def _started(step: Step, config: Configuration) -> bool:
    pbx = config.get("pbx") or {}
    return {
        Step.REGISTRATION: (config.get("registration") or {}).get("status") == "code_sent",
        Step.CONNECTION: bool(pbx.get("addresses") or pbx.get("scheme") or pbx.get("check")),
        Step.EMPLOYEES: bool((config.get("employees") or {}).get("phones")),
        Step.FINISH: bool((config.get("phonebook") or {}).get("import")),
    }.get(step, False)


def wizard_view(config: Configuration) -> WizardView:
    needs = missing(facts(config))
    completed = bool((config.get("wizard") or {}).get("completed"))
    unfinished = [step.value for step in STEPS if step != Step.FINISH and needs[step]]
    needs[Step.FINISH] = unfinished or ([] if completed else ["completion"])
    steps = []
    for step in STEPS:
        if not needs[step]:
            state = "skipped" if step == Step.MESSENGERS else "done"
        else:
            state = "in_progress" if _started(step, config) else "todo"
        steps.append(StepView(step, state, needs[step]))
    current = next((s.step for s in steps if s.missing), Step.FINISH)
    return WizardView(current=current, completed=completed, steps=steps)


# -- the phonebook --------------------------------------------------------------------------
phonebook = sa.Table(
    "phonebook",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("name", sa.String(120), nullable=False),
    sa.Column("company", sa.String(120), nullable=False),
    sa.Column("phones", sa.Text, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)


class PhonebookProjection(Projection):
    name = "phonebook"
    tables = (phonebook,)
    events = (Contact.Imported, Contact.Updated)

    def apply(self, conn: sa.Connection, event: Any, position: int, changes: Changes) -> None:
        values = {"name": event.name, "company": event.company,
                  "phones": json.dumps(event.phones), "updated_at": event.timestamp}
        if isinstance(event, Contact.Imported):
            conn.execute(phonebook.insert().values(id=event.originator_id, **values))
        else:
            conn.execute(phonebook.update().where(phonebook.c.id == event.originator_id)
                         .values(**values))
        changes.add("phonebook", "all", event.originator_id)


@dataclass(frozen=True)
class PhonebookEntry:
    name: str
    company: str
    phones: list[str]


def phonebook_entries(conn: sa.Connection, *, search: str = "", first: int = 50
                      ) -> tuple[int, list[PhonebookEntry]]:
    query = sa.select(phonebook)
    if search:
        pattern = f"%{search.strip()}%"
        query = query.where(sa.or_(phonebook.c.name.ilike(pattern),
                                   phonebook.c.company.ilike(pattern),
                                   phonebook.c.phones.like(pattern)))
    total = int(conn.execute(sa.select(sa.func.count()).select_from(query.subquery()))
                .scalar_one())
    rows = conn.execute(query.order_by(phonebook.c.name, phonebook.c.id).limit(first))
    return total, [PhonebookEntry(r.name, r.company, json.loads(r.phones)) for r in rows]
