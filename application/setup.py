"""The setup wizard's commands and their handlers (one verb each). Work that needs I/O — mailing
the registration code, checking the PBX over HTTP, reading an import file — happens in the
services of `application.setup_services`, which then submit these commands."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from application.channel import release_held_messages
from application.ports import UnitOfWork
from domain.clients import Client
from domain.errors import InvalidValue, NotFound
from domain.ids import client_id
from domain.operators import Operator
from domain.phonebook import Contact, contact_id
from domain.setup import INSTALLATION_ID, ChatsNeedWebService, ConnectionMode, Installation


# -- commands -------------------------------------------------------------------------------
@dataclass(frozen=True)
class StartInstallation:
    """Records how the installation starts (development: web service with a sample
    publication; production: long-polling). Does nothing when it has started already."""

    connection_mode: ConnectionMode
    actor: str
    server_url: str = ""
    publication_name: str = ""


@dataclass(frozen=True)
class ChooseSetupMode:
    mode: str
    actor: str


@dataclass(frozen=True)
class SetPublication:
    server_url: str
    publication_name: str
    actor: str


@dataclass(frozen=True)
class SetConnectionMode:
    mode: str
    actor: str


@dataclass(frozen=True)
class SendRegistrationCode:
    email: str
    server: str
    code_hash: str
    expires_at: datetime
    actor: str


@dataclass(frozen=True)
class ConfirmRegistration:
    code_hash: str
    at: datetime
    actor: str


@dataclass(frozen=True)
class ChoosePbx:
    pbx_type: str
    connection_setup: str
    actor: str


@dataclass(frozen=True)
class ApplyAutoConfig:
    ipset: list[str]
    nats_password_encrypted: str
    scheme: str
    web_server: str
    publication_name: str
    actor: str


@dataclass(frozen=True)
class SetManualConnection:
    addresses: list[str]
    scheme: str
    web_server: str
    publication_name: str
    actor: str


@dataclass(frozen=True)
class StartPbxCheck:
    check_id: UUID
    at: datetime
    stale_after: timedelta
    actor: str


@dataclass(frozen=True)
class PbxCheckPlan:
    """What a started check tries: the addresses in turn, and the module's NATS password
    (encrypted; "" without an auto-configuration code)."""

    addresses: list[str]
    nats_password_encrypted: str


@dataclass(frozen=True)
class RecordPbxAddressChecked:
    check_id: UUID
    address: str
    ok: bool
    reason: str
    rest_code: str
    rest_detail: str
    nats_code: str
    nats_detail: str
    actor: str


@dataclass(frozen=True)
class FinishPbxCheck:
    check_id: UUID
    address: str | None
    reason: str
    actor: str


@dataclass(frozen=True)
class SetEmployeePhones:
    operator_id: UUID
    extension: str
    mobile: str
    actor: str


@dataclass(frozen=True)
class ConfirmEmployees:
    actor: str


@dataclass(frozen=True)
class PassMessengers:
    actor: str


@dataclass(frozen=True)
class StartPhonebookImport:
    import_id: UUID
    source: str
    rows: int
    actor: str


@dataclass(frozen=True)
class ContactRow:
    row: int
    name: str
    company: str
    phones: list[str]
    # The client card's details (None: the source has no such column; what is known stays).
    position: str | None = None
    comment: str | None = None
    reference: str | None = None


@dataclass(frozen=True)
class ImportContacts:
    """One chunk of an import's rows, stored together with the import's progress."""

    import_id: UUID
    rows: list[ContactRow]
    done: int
    actor: str
    source: str = ""  # the import's format ("csv", "json"), which the client card names


@dataclass(frozen=True)
class FinishPhonebookImport:
    import_id: UUID
    created: int
    updated: int
    refused: list[dict[str, str]]
    actor: str


@dataclass(frozen=True)
class CompleteSetup:
    actor: str


# -- handlers -------------------------------------------------------------------------------
def installation(uow: UnitOfWork, actor: str) -> Installation:
    """The installation; one that has never started begins as production does: long-polling."""
    found = uow.get(Installation, INSTALLATION_ID)
    if found is not None:
        return found
    created = Installation.start(connection_mode=ConnectionMode.LONG_POLLING, actor=actor)
    uow.add(created)
    return created


def ensure_chats_allowed(uow: UnitOfWork) -> None:
    """Messenger chats (operators' messages and files to clients: `application.outbox`) and
    colleague chats need the web-service connection between 1C and the PBX; an installation
    never set up is in long-polling, as a production one starts."""
    found = uow.get(Installation, INSTALLATION_ID)
    if found is None:
        raise ChatsNeedWebService
    found.ensure_chats_allowed()


def start_installation(cmd: StartInstallation, uow: UnitOfWork) -> bool:
    if uow.get(Installation, INSTALLATION_ID) is not None or uow.is_recorded(INSTALLATION_ID):
        return False
    if cmd.connection_mode == ConnectionMode.WEB_SERVICE:
        created = Installation.start(connection_mode=ConnectionMode.LONG_POLLING, actor=cmd.actor)
        created.set_publication(cmd.server_url, cmd.publication_name, actor=cmd.actor)
    else:
        created = Installation.start(connection_mode=cmd.connection_mode, actor=cmd.actor)
    uow.add(created)
    return True


def choose_setup_mode(cmd: ChooseSetupMode, uow: UnitOfWork) -> None:
    installation(uow, cmd.actor).choose_mode(cmd.mode, actor=cmd.actor)


def set_publication(cmd: SetPublication, uow: UnitOfWork) -> None:
    installation(uow, cmd.actor).set_publication(cmd.server_url, cmd.publication_name,
                                                 actor=cmd.actor)
    release_held_messages(uow, cmd.actor)  # what waited for the web service is delivered now


def set_connection_mode(cmd: SetConnectionMode, uow: UnitOfWork) -> None:
    installation(uow, cmd.actor).change_connection_mode(cmd.mode, actor=cmd.actor)
    release_held_messages(uow, cmd.actor)


def send_registration_code(cmd: SendRegistrationCode, uow: UnitOfWork) -> None:
    installation(uow, cmd.actor).send_registration_code(
        email=cmd.email, server=cmd.server, code_hash=cmd.code_hash, expires_at=cmd.expires_at,
        actor=cmd.actor)


@dataclass(frozen=True)
class Confirmation:
    confirmed: bool
    attempts_left: int


def confirm_registration(cmd: ConfirmRegistration, uow: UnitOfWork) -> Confirmation:
    found = installation(uow, cmd.actor)
    confirmed = found.confirm_registration(code_hash=cmd.code_hash, now=cmd.at, actor=cmd.actor)
    return Confirmation(confirmed, found.code_attempts_left)


def choose_pbx(cmd: ChoosePbx, uow: UnitOfWork) -> None:
    installation(uow, cmd.actor).choose_pbx(cmd.pbx_type, cmd.connection_setup, actor=cmd.actor)


def apply_autoconfig(cmd: ApplyAutoConfig, uow: UnitOfWork) -> None:
    installation(uow, cmd.actor).apply_autoconfig(
        ipset=cmd.ipset, nats_password_encrypted=cmd.nats_password_encrypted, scheme=cmd.scheme,
        web_server=cmd.web_server, publication_name=cmd.publication_name, actor=cmd.actor)


def set_manual_connection(cmd: SetManualConnection, uow: UnitOfWork) -> None:
    installation(uow, cmd.actor).set_manual_connection(
        addresses=cmd.addresses, scheme=cmd.scheme, web_server=cmd.web_server,
        publication_name=cmd.publication_name, actor=cmd.actor)


def start_pbx_check(cmd: StartPbxCheck, uow: UnitOfWork) -> PbxCheckPlan:
    setup = installation(uow, cmd.actor)
    addresses = setup.start_pbx_check(
        check_id=cmd.check_id, now=cmd.at, stale_after=cmd.stale_after, actor=cmd.actor)
    return PbxCheckPlan(addresses=addresses, nats_password_encrypted=setup.check_password)


def record_pbx_address_checked(cmd: RecordPbxAddressChecked, uow: UnitOfWork) -> None:
    installation(uow, cmd.actor).record_address_checked(
        check_id=cmd.check_id, address=cmd.address, ok=cmd.ok, reason=cmd.reason,
        rest=(cmd.rest_code, cmd.rest_detail), nats=(cmd.nats_code, cmd.nats_detail),
        actor=cmd.actor)


def finish_pbx_check(cmd: FinishPbxCheck, uow: UnitOfWork) -> None:
    installation(uow, cmd.actor).finish_pbx_check(
        check_id=cmd.check_id, address=cmd.address, reason=cmd.reason, actor=cmd.actor)


def set_employee_phones(cmd: SetEmployeePhones, uow: UnitOfWork) -> None:
    operator = uow.get(Operator, cmd.operator_id)
    if operator is None or not operator.active:
        raise NotFound("No such employee.", field="operatorId")
    installation(uow, cmd.actor).set_employee_phones(
        operator_id=cmd.operator_id, login=operator.login, extension=cmd.extension,
        mobile=cmd.mobile, actor=cmd.actor)


def confirm_employees(cmd: ConfirmEmployees, uow: UnitOfWork) -> None:
    installation(uow, cmd.actor).confirm_employees(actor=cmd.actor)


def pass_messengers(cmd: PassMessengers, uow: UnitOfWork) -> None:
    installation(uow, cmd.actor).pass_messengers(actor=cmd.actor)


def start_phonebook_import(cmd: StartPhonebookImport, uow: UnitOfWork) -> None:
    installation(uow, cmd.actor).start_import(import_id=cmd.import_id, source=cmd.source,
                                              rows=cmd.rows, actor=cmd.actor)


@dataclass
class ImportedChunk:
    created: int = 0
    updated: int = 0
    refused: list[dict[str, str]] = field(default_factory=list)


def import_contacts(cmd: ImportContacts, uow: UnitOfWork) -> ImportedChunk:
    """Creates or updates each row's contact, and makes each number a known client so that the
    inbox greets them by name."""
    result = ImportedChunk()
    for row in cmd.rows:
        try:
            name, company, phones = Contact.clean(row.name, row.company, row.phones)
            cid = contact_id(phones[0])
            contact = uow.get(Contact, cid)
            if contact is None and not uow.is_recorded(cid):
                uow.add(Contact.import_(name=name, company=company, phones=phones,
                                       actor=cmd.actor))
                result.created += 1
            elif contact is not None:
                if contact.update(name=name, company=company, phones=phones, actor=cmd.actor):
                    result.updated += 1
            else:
                raise NotFound("The contact could not be read.", field="phone")
            record_details(uow, cid, row, cmd)
            for phone in phones:
                client = uow.get(Client, client_id(phone))
                if client is None and not uow.is_recorded(client_id(phone)):
                    uow.add(Client.register(phone=phone, name=name, actor=cmd.actor))
                elif client is not None:
                    client.rename(name, actor=cmd.actor)
        except InvalidValue as error:  # a row's refusal, reported in the summary
            result.refused.append({"row": str(row.row), "reason": error.message})
    installation(uow, cmd.actor).progress_import(import_id=cmd.import_id, done=cmd.done,
                                                 actor=cmd.actor)
    return result


def record_details(uow: UnitOfWork, cid: UUID, row: ContactRow, cmd: ImportContacts) -> None:
    """The row's position, comment and reference, where its source has those columns."""
    if row.position is None and row.comment is None and row.reference is None:
        return
    contact = uow.get(Contact, cid)
    if contact is not None:
        contact.record_details(
            position=contact.position if row.position is None else row.position,
            comment=contact.comment if row.comment is None else row.comment,
            reference=contact.reference if row.reference is None else row.reference,
            source=cmd.source, actor=cmd.actor)


def finish_phonebook_import(cmd: FinishPhonebookImport, uow: UnitOfWork) -> None:
    installation(uow, cmd.actor).finish_import(
        import_id=cmd.import_id, created=cmd.created, updated=cmd.updated, refused=cmd.refused,
        actor=cmd.actor)


def complete_setup(cmd: CompleteSetup, uow: UnitOfWork) -> None:
    installation(uow, cmd.actor).complete(actor=cmd.actor)


HANDLERS: dict[type, Callable[[Any, UnitOfWork], Any]] = {
    StartInstallation: start_installation,
    ChooseSetupMode: choose_setup_mode,
    SetPublication: set_publication,
    SetConnectionMode: set_connection_mode,
    SendRegistrationCode: send_registration_code,
    ConfirmRegistration: confirm_registration,
    ChoosePbx: choose_pbx,
    ApplyAutoConfig: apply_autoconfig,
    SetManualConnection: set_manual_connection,
    StartPbxCheck: start_pbx_check,
    RecordPbxAddressChecked: record_pbx_address_checked,
    FinishPbxCheck: finish_pbx_check,
    SetEmployeePhones: set_employee_phones,
    ConfirmEmployees: confirm_employees,
    PassMessengers: pass_messengers,
    StartPhonebookImport: start_phonebook_import,
    ImportContacts: import_contacts,
    FinishPhonebookImport: finish_phonebook_import,
    CompleteSetup: complete_setup,
}
