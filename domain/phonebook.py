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
MAX_DETAIL = 120
MAX_COMMENT = 1000


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

    class DetailsRecorded(Aggregate.Event):
        """What the phonebook's source says beside the name: the position, a comment and the
        reference of the entry in 1C (or another source), and where the import came from
        (`source`: "csv", "json", …). Recorded only when they change."""

        position: str
        comment: str
        reference: str
        source: str
        actor: str

    # Details (DetailsRecorded) default to nothing, for contacts imported before them.
    position = ""  # type: str
    comment = ""  # type: str
    reference = ""  # type: str
    source = ""  # type: str

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

    @staticmethod
    def clean_details(position: str, comment: str, reference: str) -> tuple[str, str, str]:
        """Cut to what the card shows: a position and a reference on one line, a comment of up
        to 1,000 characters."""
        return (" ".join(position.split())[:MAX_DETAIL], comment.strip()[:MAX_COMMENT],
                " ".join(reference.split())[:MAX_DETAIL])

    def record_details(self, *, position: str, comment: str, reference: str, source: str,
                       actor: str) -> bool:
        """False when the details are what the contact has (or none, and it has none)."""
        position, comment, reference = self.clean_details(position, comment, reference)
        known = (self.position, self.comment, self.reference)
        if (position, comment, reference) == known and (source == self.source or not any(known)):
            return False
        self._record_details(position=position, comment=comment, reference=reference,
                             source=source[:16], actor=actor)
        return True

    @event(DetailsRecorded)
    def _record_details(self, position: str, comment: str, reference: str, source: str,
                        actor: str) -> None:
        self.position = position
        self.comment = comment
        self.reference = reference
        self.source = source
