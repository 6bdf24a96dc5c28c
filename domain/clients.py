"""Clients: the people who write to the corporate number, one aggregate per phone number."""

from __future__ import annotations

import re
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidValue
from domain.ids import client_id

E164 = re.compile(r"^\+[1-9]\d{6,14}$")


def check_e164(phone: str) -> str:
    if not E164.match(phone):
        raise InvalidValue("A phone number is written in E.164, e.g. +79161234567.", field="phone")
    return phone


# WhatsApp may name a sender by a linked id (`…@lid`, WAHA) or a business-scoped user id (Cloud
# API) with no phone number known yet: such a client is kept under that identity, never dropped,
# and merged into the client with the number once the number is known. A business-scoped user
# id is a country code, a dot and up to 128 characters (`US.13491208655302741918`; a parent
# id `US.ENT.11815799212886844830`), kept exactly as Meta sends it.
UNRESOLVED = re.compile(r"^(?:lid:[A-Za-z0-9._-]{3,25}|bsuid:[A-Za-z0-9._-]{3,140})$")
# A messenger without phone numbers names its users by its own ids, `<prefix>:<id>`: Telegram's
# `tg:<user id>`. A client so named is a client of that messenger alone (never merged with a
# phone number), so the same person writing through two messengers has two dialogs.
MESSENGER_USER = re.compile(r"^(?!lid:|bsuid:)[a-z][a-z0-9]{1,15}:[A-Za-z0-9._@-]{1,64}$")


MAX_CARD_NAME = 120
MAX_CARD_NOTE = 2000


def check_card_name(name: str) -> str:
    """The name an operator gives a client: one line, 1 to 120 characters."""
    name = " ".join(name.split())
    if not name:
        raise InvalidValue("Name the client: the name is empty.", field="name")
    if len(name) > MAX_CARD_NAME:
        raise InvalidValue(f"A client's name is at most {MAX_CARD_NAME} characters.",
                           field="name")
    return name


def check_card_note(note: str) -> str:
    """An operator's note about a client: 1 to 2,000 characters, its lines kept."""
    note = note.strip()
    if not note:
        raise InvalidValue("The note is empty.", field="note")
    if len(note) > MAX_CARD_NOTE:
        raise InvalidValue(f"A note is at most {MAX_CARD_NOTE} characters.", field="note")
    return note


def check_identity(phone: str) -> str:
    """A phone number in E.164, a WhatsApp identity with no number known yet, or a messenger's
    own user id (`tg:<id>`)."""
    if UNRESOLVED.match(phone) or MESSENGER_USER.match(phone):
        return phone
    return check_e164(phone)


class Client(Aggregate):
    """Knows the client's current dialog episode, so that each episode stays a small aggregate."""

    class Registered(Aggregate.Created):
        phone: str
        name: str
        actor: str

    class Renamed(Aggregate.Event):
        name: str
        actor: str

    class EpisodeStarted(Aggregate.Event):
        dialog_id: UUID
        actor: str

    class MergedInto(Aggregate.Event):
        """This identity (a WhatsApp lid) turned out to be the client with this number."""

        into_client_id: UUID
        phone: str
        actor: str

    class NamedByOperator(Aggregate.Event):
        """An operator named the client on the client card (kept apart from the name the
        messenger reports, which the client's next message may change), in `dialog_id`."""

        name: str
        phone: str
        dialog_id: UUID
        actor: str

    class Noted(Aggregate.Event):
        """An operator's note about the client on the client card (the whole note as now),
        in `dialog_id`."""

        note: str
        phone: str
        dialog_id: UUID
        actor: str

    @staticmethod
    def create_id(phone: str) -> UUID:
        return client_id(phone)

    @event(Registered)
    def __init__(self, phone: str, name: str, actor: str) -> None:
        self.phone = phone
        self.name = name
        self.current_dialog_id: UUID | None = None
        self.episodes = 0

    @classmethod
    def register(cls, *, phone: str, name: str, actor: str) -> Client:
        return cls(phone=check_identity(phone), name=name.strip()[:120], actor=actor)

    def rename(self, name: str, actor: str) -> None:
        name = name.strip()[:120]
        if name and name != self.name:
            self._rename(name=name, actor=actor)

    @event(Renamed)
    def _rename(self, name: str, actor: str) -> None:
        self.name = name

    def start_episode(self, dialog_id: UUID, actor: str) -> None:
        self._start_episode(dialog_id=dialog_id, actor=actor)

    @event(EpisodeStarted)
    def _start_episode(self, dialog_id: UUID, actor: str) -> None:
        self.current_dialog_id = dialog_id
        self.episodes += 1

    # The client card: what operators named and noted (defaults for older snapshots).
    given_name = ""  # type: str
    note = ""  # type: str

    def name_by_operator(self, name: str, dialog_id: UUID, actor: str) -> bool:
        """False when the client already has this name."""
        name = check_card_name(name)
        if name == self.given_name:
            return False
        self._name_by_operator(name=name, phone=self.phone, dialog_id=dialog_id, actor=actor)
        return True

    @event(NamedByOperator)
    def _name_by_operator(self, name: str, phone: str, dialog_id: UUID, actor: str) -> None:
        self.given_name = name

    def set_note(self, note: str, dialog_id: UUID, actor: str) -> bool:
        """False when the note says this already."""
        note = check_card_note(note)
        if note == self.note:
            return False
        self._note(note=note, phone=self.phone, dialog_id=dialog_id, actor=actor)
        return True

    @event(Noted)
    def _note(self, note: str, phone: str, dialog_id: UUID, actor: str) -> None:
        self.note = note

    @property
    def merged_into(self) -> UUID | None:
        return getattr(self, "_merged_into", None)

    def merge_into(self, other: Client, actor: str) -> None:
        """Hands this identity's current dialog to the client with the number, once."""
        if self.merged_into is not None or other.id == self.id:
            return
        if other.current_dialog_id is None and self.current_dialog_id is not None:
            other.start_episode(self.current_dialog_id, actor=actor)
        self._merge_into(into_client_id=other.id, phone=other.phone, actor=actor)

    @event(MergedInto)
    def _merge_into(self, into_client_id: UUID, phone: str, actor: str) -> None:
        self._merged_into = into_client_id
        self.current_dialog_id = None
