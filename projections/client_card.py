"""The client card: the phonebook entry whose numbers include the client's (E.164), with the
details its source gave (position, comment, the 1C reference), and what operators named and
noted on the client; the client's earlier dialogs come from the inbox's `dialogs`.

Tables:
* `client_card_phones` — each phonebook number and its contact (a number in two contacts
  belongs to the one imported last);
* `client_card_contacts` — each contact's name, company and details;
* `client_card_notes` — per client, the name an operator gave and the note, with who and when.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa

from domain.clients import Client
from domain.phonebook import Contact
from projections.base import Changes, Projection, metadata
from projections.inbox import dialog_recipients, dialogs
from projections.routing import access_members

FEED = "clientCard"

card_phones = sa.Table(
    "client_card_phones",
    metadata,
    sa.Column("phone", sa.String(32), primary_key=True),
    sa.Column("contact_id", sa.Uuid, nullable=False, index=True),
)

card_contacts = sa.Table(
    "client_card_contacts",
    metadata,
    sa.Column("contact_id", sa.Uuid, primary_key=True),
    sa.Column("name", sa.String(120), nullable=False),
    sa.Column("company", sa.String(120), nullable=False),
    sa.Column("position", sa.String(120), nullable=False, server_default=""),
    sa.Column("comment", sa.Text, nullable=False, server_default=""),
    sa.Column("reference", sa.String(120), nullable=False, server_default=""),
    sa.Column("source", sa.String(16), nullable=False, server_default=""),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

card_notes = sa.Table(
    "client_card_notes",
    metadata,
    sa.Column("client_id", sa.Uuid, primary_key=True),
    sa.Column("given_name", sa.String(120), nullable=False, server_default=""),
    sa.Column("named_by", sa.String(160)),
    sa.Column("named_at", sa.DateTime(timezone=True)),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    sa.Column("noted_by", sa.String(160)),
    sa.Column("noted_at", sa.DateTime(timezone=True)),
)


def _upsert(conn: sa.Connection, table: sa.Table, key: dict[str, Any],
            values: dict[str, Any]) -> None:
    where = [table.c[name] == value for name, value in key.items()]
    if not conn.execute(table.update().where(*where).values(**values)).rowcount:
        conn.execute(table.insert().values(**key, **values))


class ClientCardProjection(Projection):
    name = "client_card"
    tables = (card_phones, card_contacts, card_notes)
    events = (Contact.Imported, Contact.Updated, Contact.DetailsRecorded,
              Client.NamedByOperator, Client.Noted)

    def apply(self, conn: sa.Connection, event: Any, position: int, changes: Changes) -> None:
        match event:
            case Contact.Imported() | Contact.Updated():
                contact = event.originator_id
                _upsert(conn, card_contacts, {"contact_id": contact},
                        {"name": event.name, "company": event.company,
                         "updated_at": event.timestamp})
                for phone in event.phones:
                    _upsert(conn, card_phones, {"phone": phone}, {"contact_id": contact})
                changes.add(FEED, "contact", contact)
            case Contact.DetailsRecorded():
                conn.execute(card_contacts.update()
                             .where(card_contacts.c.contact_id == event.originator_id)
                             .values(position=event.position, comment=event.comment,
                                     reference=event.reference, source=event.source,
                                     updated_at=event.timestamp))
                changes.add(FEED, "contact", event.originator_id)
            case Client.NamedByOperator():
                _upsert(conn, card_notes, {"client_id": event.originator_id},
                        {"given_name": event.name, "named_by": event.actor[:160],
                         "named_at": event.timestamp})
                changes.add(FEED, "client", event.originator_id)
            case Client.Noted():
                _upsert(conn, card_notes, {"client_id": event.originator_id},
                        {"note": event.note, "noted_by": event.actor[:160],
                         "noted_at": event.timestamp})
                changes.add(FEED, "client", event.originator_id)


# -- queries -------------------------------------------------------------------------------
@dataclass(frozen=True)
class PhonebookMatch:
    name: str
    company: str
    position: str
    comment: str
    reference: str
    source: str


@dataclass(frozen=True)
class CardView:
    """One dialog's client card."""

    dialog_id: UUID
    client_id: UUID
    phone: str
    client_name: str  # as the messenger names the client
    opened_at: datetime
    entry: PhonebookMatch | None
    given_name: str
    named_by: str | None
    named_at: datetime | None
    note: str
    noted_by: str | None
    noted_at: datetime | None

    @property
    def display_name(self) -> str:
        """The phonebook's name, else the one an operator gave, else the messenger's."""
        if self.entry is not None:
            return self.entry.name
        return self.given_name or self.client_name


def cards(conn: sa.Connection, dialog_ids: Iterable[UUID]) -> dict[UUID, CardView]:
    """The cards of these dialogs, in one query (a dialog the inbox does not know: absent)."""
    ids = sorted(set(dialog_ids), key=str)
    if not ids:
        return {}
    query = (
        sa.select(dialogs.c.id, dialogs.c.client_id, dialogs.c.phone, dialogs.c.client_name,
                  dialogs.c.opened_at, card_contacts.c.contact_id, card_contacts.c.name,
                  card_contacts.c.company, card_contacts.c.position, card_contacts.c.comment,
                  card_contacts.c.reference, card_contacts.c.source,
                  card_notes.c.given_name, card_notes.c.named_by, card_notes.c.named_at,
                  card_notes.c.note, card_notes.c.noted_by, card_notes.c.noted_at)
        .select_from(dialogs.outerjoin(card_phones, card_phones.c.phone == dialogs.c.phone)
                     .outerjoin(card_contacts,
                                card_contacts.c.contact_id == card_phones.c.contact_id)
                     .outerjoin(card_notes, card_notes.c.client_id == dialogs.c.client_id))
        .where(dialogs.c.id.in_(ids)))
    found: dict[UUID, CardView] = {}
    for row in conn.execute(query):
        entry = None if row.contact_id is None else PhonebookMatch(
            name=row.name, company=row.company, position=row.position, comment=row.comment,
            reference=row.reference, source=row.source)
        found[row.id] = CardView(
            dialog_id=row.id, client_id=row.client_id, phone=row.phone,
            client_name=row.client_name, opened_at=row.opened_at, entry=entry,
            given_name=row.given_name or "", named_by=row.named_by, named_at=row.named_at,
            note=row.note or "", noted_by=row.noted_by, noted_at=row.noted_at)
    return found


def may_read(conn: sa.Connection, dialog_id: UUID, operator_id: UUID, *,
             every_dialog: bool) -> bool:
    """Whether the caller reads this dialog: admins and auditors (`every_dialog`) any dialog
    there is; an operator one delivered to them, while they are in the access group (as the
    inbox shows it)."""
    if every_dialog:
        query = sa.select(dialogs.c.id).where(dialogs.c.id == dialog_id)
    else:
        query = sa.select(dialog_recipients.c.dialog_id).where(
            dialog_recipients.c.dialog_id == dialog_id,
            dialog_recipients.c.operator_id == operator_id,
            sa.exists().where(access_members.c.operator_id == operator_id))
    return conn.execute(query).first() is not None


@dataclass(frozen=True)
class Episode:
    """One of the client's dialogs (an episode: a resolved dialog the client writes to again
    after the reopen window makes a new one)."""

    id: UUID
    channel: str
    opened_at: datetime
    resolved_at: datetime | None
    status: str
    message_count: int  # the client's messages and the replies
    last_message_text: str
    last_message_at: datetime | None
    last_direction: str | None


def earlier_episodes(conn: sa.Connection, card: CardView, *, first: int,
                     before: datetime | None = None) -> tuple[list[Episode], bool]:
    """The client's dialogs opened before this one (before `before`, when paging back),
    newest first; and whether there are more."""
    until = _utc(card.opened_at) if before is None else min(_utc(before), _utc(card.opened_at))
    query = (sa.select(dialogs).where(dialogs.c.client_id == card.client_id,
                                      dialogs.c.id != card.dialog_id,
                                      dialogs.c.opened_at < until)
             .order_by(dialogs.c.opened_at.desc(), dialogs.c.id).limit(first + 1))
    rows = list(conn.execute(query))
    return [_episode(r) for r in rows[:first]], len(rows) > first


def _utc(value: datetime) -> datetime:
    """SQLite gives back naive UTC times; a caller may pass any offset."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def episode_of(conn: sa.Connection, card: CardView, episode_id: UUID) -> Episode | None:
    """One of the client's other dialogs, if it is theirs."""
    row = conn.execute(sa.select(dialogs).where(dialogs.c.id == episode_id,
                                                dialogs.c.client_id == card.client_id)).first()
    return None if row is None or row.id == card.dialog_id else _episode(row)


def _episode(row: Any) -> Episode:
    return Episode(id=row.id, channel=row.channel, opened_at=row.opened_at,
                   resolved_at=row.resolved_at, status=row.status,
                   message_count=row.message_count + (row.outgoing_count or 0),
                   last_message_text=row.last_message_text or "",
                   last_message_at=row.last_message_at, last_direction=row.last_direction)
