"""The phonebook: the company's clients as the setup wizard imports them (name, company, phone
numbers). One aggregate per contact, named by its first number, so a second import of the same
person updates the contact instead of doubling it."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.clients import check_e164
from domain.errors import InvalidValue
from domain.ids import natural_id

MAX_PHONES = 10


def contact_id(first_phone: str) -> UUID:
    return natural_id("contact", first_phone)


class Contact(Aggregate):
    class Imported(Aggregate.Created):
        name: str
        company: str
        phones: list[str]
        actor: str

    class Updated(Aggregate.Event):
        name: str
        company: str
        phones: list[str]
        actor: str

    @staticmethod
    def create_id(phones: list[str]) -> UUID:
        return contact_id(phones[0])

    @event(Imported)
    def __init__(self, name: str, company: str, phones: list[str], actor: str) -> None:
        self.name = name
        self.company = company
        self.phones = list(phones)

    @staticmethod
    def clean(name: str, company: str, phones: list[str]) -> tuple[str, str, list[str]]:
        name = " ".join(name.split())[:120]
        company = " ".join(company.split())[:120]
        if not name:
            raise InvalidValue("A contact needs a name.", field="name")
        unique: list[str] = []
        for phone in phones:
            if check_e164(phone) not in unique:
                unique.append(phone)
        if not unique:
            raise InvalidValue("A contact needs a phone number.", field="phone")
        if len(unique) > MAX_PHONES:
            raise InvalidValue(f"At most {MAX_PHONES} numbers per contact.", field="phone")
        return name, company, unique

    @classmethod
    def import_(cls, *, name: str, company: str, phones: list[str], actor: str) -> Contact:
        name, company, phones = cls.clean(name, company, phones)
        return cls(name=name, company=company, phones=phones, actor=actor)

    def update(self, *, name: str, company: str, phones: list[str], actor: str) -> bool:
        name, company, phones = self.clean(name, company, phones)
        merged = self.phones + [p for p in phones if p not in self.phones]
        if (name, company, merged) == (self.name, self.company, self.phones):
            return False
        self._update(name=name, company=company, phones=merged, actor=actor)
        return True

    @event(Updated)
    def _update(self, name: str, company: str, phones: list[str], actor: str) -> None:
        self.name = name
        self.company = company
        self.phones = list(phones)
