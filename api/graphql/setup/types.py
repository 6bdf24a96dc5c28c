from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry.scalars import JSON

from application.ports import ProbePart
from projections.audit.configuration import wording
from projections.setup import PhonebookEntry, WizardView, check_failure, refusal_of


@strawberry.enum(description="The wizard's steps, in the seed's order.")
class SetupStep(Enum):
    MODE = "mode"
    PUBLICATION = "publication"
    REGISTRATION = "registration"
    PBX = "pbx"
    CONNECTION = "connection"
    EMPLOYEES = "employees"
    MESSENGERS = "messengers"
    FINISH = "finish"


@strawberry.enum
class StepState(Enum):
    TODO = "todo"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    SKIPPED = "skipped"


@strawberry.enum
class SetupMode(Enum):
    FULL = "full"


@strawberry.enum(description="How 1C and the PBX connect; chats need the web service.")
class ConnectionMode(Enum):
    LONG_POLLING = "long_polling"
    WEB_SERVICE = "web_service"


@strawberry.enum
class PbxType(Enum):
    MIKOPBX = "mikopbx"
    ASTERISK = "asterisk"
    FREEPBX = "freepbx"
    OTHER = "other"


@strawberry.enum
class ConnectionSetup(Enum):
    AUTOMATIC = "automatic"
    MANUAL = "manual"


@strawberry.enum(description="Where 1C and the PBX are; with 1C in the cloud (ONEC_CLOUD, "
                             "BOTH_CLOUD) the web server and publication name are required.")
class ConnectionScheme(Enum):
    BOTH_LAN = "both_lan"
    PBX_CLOUD = "pbx_cloud"
    ONEC_CLOUD = "onec_cloud"
    BOTH_CLOUD = "both_cloud"


@strawberry.enum
class RegistrationStatus(Enum):
    NONE = "none"
    CODE_SENT = "code_sent"
    CONFIRMED = "confirmed"


@strawberry.enum
class SetupJobStatus(Enum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    FINISHED = "finished"


@strawberry.enum
class PhonebookFormat(Enum):
    CSV = "csv"
    JSON = "json"


@strawberry.type
class WizardStep:
    step: SetupStep
    state: StepState
    missing: list[str] = strawberry.field(description="The fields or actions still needed.")


@strawberry.type
class Publication:
    server_url: str
    publication_name: str


@strawberry.type
class Registration:
    status: RegistrationStatus
    email: str
    server: str
    code_expires_at: datetime | None
    attempts_left: int


@strawberry.type(description="What one part of a PBX address answered: a stable code (the "
                             "panel translates it) and the detail in English.")
class PbxProbePart:
    code: str = strawberry.field(description=(
        "REST: REST_OK, REST_REDIRECTED_HTTPS, REST_HTTPS, REST_HTTP_ERROR, REST_NOT_MIKOPBX, "
        "REST_TOO_MANY_REDIRECTS, REST_TIMEOUT, REST_UNREACHABLE. NATS: NATS_OK, "
        "NATS_AUTH_REFUSED, NATS_NO_PASSWORD, NATS_TLS_REQUIRED, NATS_NOT_NATS, NATS_ERROR, "
        "NATS_TIMEOUT, NATS_UNREACHABLE. Empty for attempts recorded before the NATS check."))
    detail: str
    ok: bool


@strawberry.type
class PbxAttempt:
    address: str
    ok: bool
    reason: str
    at: datetime
    rest: PbxProbePart = strawberry.field(description="The PBX's REST API (its web interface).")
    nats: PbxProbePart = strawberry.field(
        description="The NATS server of MIKO's module, through which 1C talks to the PBX.")


@strawberry.type(description="The background check of the PBX started by `configurePbx`.")
class PbxCheck:
    id: strawberry.ID
    status: SetupJobStatus
    started_at: datetime
    addresses: list[str]
    tried: list[PbxAttempt]
    address: str | None = strawberry.field(description="The address that answered.")
    reason: str | None = strawberry.field(description="Why the check failed.")
    reason_code: str | None = strawberry.field(
        default=None, description="Why the check failed, as a catalogue key "
                                  "(`setup.check.reason.<CODE>`).")
    reason_params: JSON | None = strawberry.field(default=None,
                                                  description="The reason's parameters.")


@strawberry.type
class PbxSettings:
    type: PbxType | None
    connection_setup: ConnectionSetup | None
    addresses: list[str]
    password_set: bool = strawberry.field(
        description="Whether the code's NATS password is kept (encrypted; never shown).")
    scheme: ConnectionScheme | None
    web_server: str
    publication_name: str
    check: PbxCheck | None


@strawberry.type
class EmployeePhones:
    operator_id: strawberry.ID
    login: str
    display_name: str
    role: str
    extension: str
    mobile: str


@strawberry.type
class RefusedRow:
    row: int
    reason: str
    code: str | None = strawberry.field(
        default=None, description="The reason as a catalogue key (`setup.refused.<CODE>`).")
    params: JSON | None = strawberry.field(default=None, description="The reason's parameters.")


def refused_row(row: dict[str, Any]) -> RefusedRow:
    said = wording(refusal_of(str(row["reason"])))
    return RefusedRow(row=int(row["row"]), reason=row["reason"], code=said["code"],
                      params=said["params"])


@strawberry.type
class PhonebookImport:
    id: strawberry.ID
    format: PhonebookFormat
    status: SetupJobStatus
    rows: int
    done: int
    created: int
    updated: int
    refused: list[RefusedRow]


@strawberry.type(description="A mail the development outbox kept instead of sending.")
class OutboxMail:
    id: strawberry.ID
    to: str
    subject: str
    body: str
    sent_at: datetime


@strawberry.type(description="The setup wizard: where it stands, each step's state and what "
                             "is missing, and the settings entered so far.")
class SetupWizard:
    current_step: SetupStep
    completed: bool
    steps: list[WizardStep]
    mode: SetupMode | None
    connection_mode: ConnectionMode
    publication: Publication | None
    registration: Registration
    pbx: PbxSettings
    employees: list[EmployeePhones]
    whatsapp_linked: bool = strawberry.field(
        description="Linking WhatsApp is its own feature; this step may be passed over.")
    whatsapp_status: str = strawberry.field(
        description="The WhatsApp channel's status: STOPPED, STARTING, SCAN_QR_CODE, WORKING "
                    "or FAILED.")
    phonebook_import: PhonebookImport | None
    phonebook_size: int


@strawberry.type
class PhonebookContact:
    name: str
    company: str
    phones: list[str]

    @classmethod
    def of(cls, entry: PhonebookEntry) -> PhonebookContact:
        return cls(name=entry.name, company=entry.company, phones=entry.phones)


@strawberry.type
class Phonebook:
    total: int
    contacts: list[PhonebookContact]


def steps_of(view: WizardView, whatsapp_status: str = "") -> list[WizardStep]:
    """The steps as the wizard shows them: the messengers step passed while WhatsApp is linked
    and working is done, not passed over."""
    return [WizardStep(step=SetupStep(s.step.value), state=StepState(
        "done" if s.step.value == "messengers" and s.state == "skipped"
        and whatsapp_status == "WORKING" else s.state), missing=s.missing)
            for s in view.steps]


def _part(part: dict[str, str] | None) -> PbxProbePart:
    answer = ProbePart(code=(part or {}).get("code", ""), detail=(part or {}).get("detail", ""))
    return PbxProbePart(code=answer.code, detail=answer.detail, ok=answer.ok)


def _check(check: dict[str, Any] | None) -> PbxCheck | None:
    if not check:
        return None
    return PbxCheck(
        id=strawberry.ID(check["id"]), status=SetupJobStatus(check["status"]),
        started_at=datetime.fromisoformat(check["startedAt"]), addresses=check["addresses"],
        tried=[PbxAttempt(address=t["address"], ok=t["ok"], reason=t["reason"],
                          at=datetime.fromisoformat(t["at"]), rest=_part(t.get("rest")),
                          nats=_part(t.get("nats"))) for t in check["tried"]],
        address=check.get("address"), reason=check.get("reason"),
        **_failure(check.get("reason")),
    )


def _failure(reason: str | None) -> dict[str, Any]:
    said = wording(check_failure(reason)) if reason else {}
    return {"reason_code": said.get("code"), "reason_params": said.get("params")}


def build_wizard(states: dict[str, dict[str, Any]], view: WizardView,
                 operators: list[Any], phonebook_size: int, whatsapp_status: str) -> SetupWizard:
    wizard = states.get("wizard") or {}
    publication = states.get("publication") or {}
    registration = states.get("registration") or {}
    pbx = states.get("pbx") or {}
    phones = (states.get("employees") or {}).get("phones") or {}
    current = (states.get("phonebook") or {}).get("import")
    expires = registration.get("codeExpiresAt")
    return SetupWizard(
        current_step=SetupStep(view.current.value), completed=view.completed,
        steps=steps_of(view, whatsapp_status),
        mode=SetupMode(wizard["mode"]) if wizard.get("mode") else None,
        connection_mode=ConnectionMode(publication.get("connectionMode") or "long_polling"),
        publication=Publication(server_url=publication["serverUrl"],
                                publication_name=publication["publicationName"])
        if publication.get("serverUrl") else None,
        registration=Registration(
            status=RegistrationStatus(registration.get("status") or "none"),
            email=registration.get("email") or "", server=registration.get("server") or "",
            code_expires_at=datetime.fromisoformat(expires) if expires else None,
            attempts_left=registration.get("attemptsLeft") or 0),
        pbx=PbxSettings(
            type=PbxType(pbx["type"]) if pbx.get("type") else None,
            connection_setup=ConnectionSetup(pbx["connectionSetup"])
            if pbx.get("connectionSetup") else None,
            addresses=pbx.get("addresses") or [], password_set=bool(pbx.get("passwordSet")),
            scheme=ConnectionScheme(pbx["scheme"]) if pbx.get("scheme") else None,
            web_server=pbx.get("webServer") or "",
            publication_name=pbx.get("publicationName") or "", check=_check(pbx.get("check"))),
        employees=[
            EmployeePhones(
                operator_id=strawberry.ID(str(o.id)), login=o.login,
                display_name=o.display_name, role=o.role,
                extension=(phones.get(str(o.id)) or {}).get("extension", ""),
                mobile=(phones.get(str(o.id)) or {}).get("mobile", ""))
            for o in operators if o.active and o.role != "auditor"
        ],
        whatsapp_linked=whatsapp_status == "WORKING", whatsapp_status=whatsapp_status,
        phonebook_import=PhonebookImport(
            id=strawberry.ID(current["id"]), format=PhonebookFormat(current["source"]),
            status=SetupJobStatus(current["status"]), rows=current["rows"], done=current["done"],
            created=current["created"], updated=current["updated"],
            refused=[refused_row(r) for r in current["refused"]]) if current else None,
        phonebook_size=phonebook_size,
    )
