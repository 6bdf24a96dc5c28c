"""The client card's rules: the phonebook's details (recorded when they change, kept when an
import has no such column), the names and notes operators give (checked, recorded with who
acted, the same one again records nothing), and who may give them."""

from __future__ import annotations

from pathlib import Path
from uuid import uuid4

import pytest

from application import commands as c
from application.client_card import NameClient, NoteClient
from application.setup import ImportContacts, StartPhonebookImport
from application.setup_services import parse_phonebook
from domain.clients import Client
from domain.errors import InvalidValue, NotFound
from domain.phonebook import Contact, contact_id
from tests.unit.routing_desk import Desk

PHONE = "+79161230011"


def a_contact() -> Contact:
    return Contact.import_(name="Anna Smirnova", company="Horns & Hooves", phones=[PHONE],
                           actor="system:phonebook")


def test_a_contacts_details_are_recorded_once_and_again_only_when_they_change() -> None:
    contact = a_contact()
    assert contact.record_details(position="Chief  accountant", comment=" Pays by the 5th ",
                                  reference="REF-1", source="csv", actor="system:phonebook")
    assert not contact.record_details(position="Chief accountant", comment="Pays by the 5th",
                                      reference="REF-1", source="csv", actor="system:phonebook")
    assert contact.record_details(position="CFO", comment="Pays by the 5th", reference="REF-1",
                                  source="csv", actor="system:phonebook")
    recorded = [e for e in contact.collect_events() if isinstance(e, Contact.DetailsRecorded)]
    assert [(e.position, e.comment, e.reference, e.source, e.actor) for e in recorded] == [
        ("Chief accountant", "Pays by the 5th", "REF-1", "csv", "system:phonebook"),
        ("CFO", "Pays by the 5th", "REF-1", "csv", "system:phonebook")]


def test_a_contact_without_details_records_none() -> None:
    contact = a_contact()
    assert not contact.record_details(position="", comment=" ", reference="", source="json",
                                      actor="system:phonebook")
    assert not any(isinstance(e, Contact.DetailsRecorded) for e in contact.collect_events())


def test_an_operators_name_and_note_are_events_with_the_actor_and_the_dialog() -> None:
    client = Client.register(phone=PHONE, name="Anya", actor="client")
    dialog_id = uuid4()
    assert client.name_by_operator("  Boris \n from the warehouse", dialog_id=dialog_id,
                                   actor="operator:olga")
    assert not client.name_by_operator("Boris from the warehouse", dialog_id=dialog_id,
                                       actor="operator:olga")
    assert client.set_note(" Calls after 6 pm.\nPrefers Telegram. ", dialog_id=dialog_id,
                           actor="operator:petr")
    events = client.collect_events()[1:]
    assert [(type(e).__name__, e.actor, e.phone, e.dialog_id) for e in events] == [
        ("NamedByOperator", "operator:olga", PHONE, dialog_id),
        ("Noted", "operator:petr", PHONE, dialog_id)]
    assert (client.given_name, client.note, client.name) == (
        "Boris from the warehouse", "Calls after 6 pm.\nPrefers Telegram.", "Anya")


@pytest.mark.parametrize(("method", "value", "field"), [
    ("name_by_operator", "", "name"), ("name_by_operator", " \t ", "name"),
    ("name_by_operator", "x" * 121, "name"), ("set_note", "\n", "note"),
    ("set_note", "x" * 2001, "note")])
def test_an_empty_or_too_long_name_or_note_is_refused_with_its_field(
    method: str, value: str, field: str
) -> None:
    client = Client.register(phone=PHONE, name="", actor="client")
    with pytest.raises(InvalidValue) as refused:
        getattr(client, method)(value, dialog_id=uuid4(), actor="operator:olga")
    assert refused.value.field == field
    assert len(client.collect_events()) == 1  # registered, nothing more


def test_the_import_reads_position_comment_and_the_1c_reference_where_the_file_has_them() -> None:
    with_details = parse_phonebook(
        "csv", "ФИО;Организация;Должность;Комментарий;Ссылка 1С;Телефон\n"
               "Anna;Horns;Accountant;Pays late;REF-1;+79161230011\n"
               "Boris;Horns;;;;+79161230022\n", "RU")
    without = parse_phonebook("json", '[{"name": "Anna", "phones": ["+79161230011"]}]', "RU")
    assert [(r.position, r.comment, r.reference) for r in with_details.rows] == [
        ("Accountant", "Pays late", "REF-1"), ("", "", "")]
    assert with_details.source == "csv"
    assert [(r.position, r.comment, r.reference) for r in without.rows] == [(None, None, None)]


def test_an_import_without_the_columns_keeps_the_details_an_earlier_one_gave(
    tmp_path: Path
) -> None:
    desk = Desk(tmp_path)

    def imported(source: str, content: str) -> None:
        parsed = parse_phonebook(source, content, "RU")
        import_id = uuid4()
        desk.run(StartPhonebookImport(import_id=import_id, source=source, rows=parsed.total,
                                      actor="admin"))
        desk.run(ImportContacts(import_id=import_id, rows=parsed.rows, done=parsed.total,
                                actor="system:phonebook", source=parsed.source))

    imported("csv", "name,position,comment,reference,phone\nAnna,CFO,Pays late,REF-1,"
                    f"{PHONE}\n")
    imported("json", f'[{{"name": "Anna S.", "phones": ["{PHONE}"]}}]')

    contact: Contact = desk.store.repository.get(contact_id(PHONE))
    assert (contact.name, contact.position, contact.comment, contact.reference,
            contact.source) == ("Anna S.", "CFO", "Pays late", "REF-1", "csv")


def test_only_an_operator_who_may_read_the_dialog_or_an_admin_names_its_client(
    tmp_path: Path
) -> None:
    desk = Desk(tmp_path)
    olga = desk.operator("olga")
    petr = desk.operator("petr", queue=False)
    boss = desk.operator("boss", queue=False, admin=True)
    received = desk.run(c.ReceiveClientMessage(channel="simulator", external_id="m1",
                                               phone=PHONE, name="Anya", text="Hello",
                                               sent_at=desk.now))

    def name(operator: object, admin: bool = False) -> bool:
        return bool(desk.run(NameClient(dialog_id=received.dialog_id, name="Boris",
                                        operator_id=operator, admin=admin,  # type: ignore[arg-type]
                                        actor="operator:x")))

    with pytest.raises(NotFound):
        name(petr)
    with pytest.raises(NotFound):
        desk.run(NoteClient(dialog_id=uuid4(), note="a note", operator_id=olga, admin=False,
                            actor="operator:olga"))
    assert name(olga) is True
    assert desk.run(NoteClient(dialog_id=received.dialog_id, note="Calls back", operator_id=boss,
                               admin=True, actor="operator:boss")) is True
