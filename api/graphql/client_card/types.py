from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import strawberry
from anyio import to_thread

from api.graphql.context import Info
from api.graphql.inbox.types import DialogStatus, Direction, Message, MessagePreview, Messenger
from api.graphql.time import utc
from application import oversight
from projections import client_card as view
from projections import inbox as inbox_view

MAX_PAGE = 200


def reads_every_dialog(info: Info) -> bool:
    """Admins, supervisors and auditors read every dialog's card (application/oversight.py)."""
    return oversight.reads_every_dialog(info.context.me.role)


@strawberry.type(description="The phonebook entry whose numbers include the client's.")
class ClientPhonebookEntry:
    name: str
    organisation: str
    position: str = strawberry.field(description="Empty when the phonebook's source has none.")
    comment: str
    reference: str = strawberry.field(
        description="The entry's reference in the system the phonebook came from (1C's); "
                    "empty when it gave none.")
    source: str = strawberry.field(
        description="Where the phonebook came from: csv, json (a 1C export is one of them); "
                    "empty when the import said nothing more than name and numbers.")

    @classmethod
    def of(cls, entry: view.PhonebookMatch) -> ClientPhonebookEntry:
        return cls(name=entry.name, organisation=entry.company, position=entry.position,
                   comment=entry.comment, reference=entry.reference, source=entry.source)


@strawberry.type(description="A page of a dialog's messages, oldest first.")
class EpisodeMessages:
    messages: list[Message]
    has_earlier: bool


@strawberry.type(description="One of the client's dialogs (an episode: the client writing again "
                             "after a dialog was resolved opens a new one).")
class ClientEpisode:
    id: strawberry.ID
    channel: Messenger
    opened_at: datetime
    resolved_at: datetime | None
    status: DialogStatus
    message_count: int = strawberry.field(description="The client's messages and the replies.")
    last_message: MessagePreview | None
    reveal_revoked: strawberry.Private[bool]

    @classmethod
    def of(cls, episode: view.Episode, *, reveal_revoked: bool) -> ClientEpisode:
        preview = None
        if episode.last_message_at is not None and episode.last_direction:
            preview = MessagePreview(text=episode.last_message_text,
                                     direction=Direction(episode.last_direction),
                                     at=utc(episode.last_message_at))
        return cls(id=strawberry.ID(str(episode.id)), channel=Messenger.of(episode.channel),
                   opened_at=utc(episode.opened_at),
                   resolved_at=utc(episode.resolved_at) if episode.resolved_at else None,
                   status=DialogStatus(episode.status), message_count=episode.message_count,
                   last_message=preview, reveal_revoked=reveal_revoked)

    @strawberry.field(description="Its messages, read only: the last `last` before the message "
                                  "numbered `before` (all the latest when null).")
    async def messages(self, info: Info, last: int = 50,
                       before: int | None = None) -> EpisodeMessages:
        if not 1 <= last <= MAX_PAGE:
            raise ValueError(f"`last` is between 1 and {MAX_PAGE}.")
        engine = info.context.app.reads
        dialog_id = UUID(str(self.id))

        def read() -> EpisodeMessages:
            with engine.connect() as conn:
                rows = inbox_view.dialog_messages(conn, dialog_id, last=last + 1,
                                                  before_seq=before)
            return EpisodeMessages(
                messages=[Message.of(r, reveal_revoked=self.reveal_revoked)
                          for r in rows[-last:]],
                has_earlier=len(rows) > last)

        return await to_thread.run_sync(read)


@strawberry.type
class ClientEpisodes:
    nodes: list[ClientEpisode]
    has_more: bool = strawberry.field(description="Older ones remain: ask with `before` the "
                                                  "last one's openedAt.")


@strawberry.type(description="Who the client of a dialog is: the phonebook's entry for their "
                             "number, what operators named and noted, their earlier dialogs.")
class ClientCard:
    dialog_id: strawberry.ID
    client_id: strawberry.ID
    phone: str = strawberry.field(description="E.164, or the messenger's own id (tg:…).")
    display_name: str = strawberry.field(
        description="The phonebook's name, else the one an operator gave, else the messenger's.")
    messenger_name: str = strawberry.field(description="The name the messenger reports.")
    phonebook_entry: ClientPhonebookEntry | None = strawberry.field(
        description="Null when no phonebook entry has the client's number.")
    given_name: str | None = strawberry.field(description="The name an operator gave.")
    named_by: str | None
    named_at: datetime | None
    note: str | None = strawberry.field(description="An operator's note about the client.")
    noted_by: str | None
    noted_at: datetime | None
    card: strawberry.Private[view.CardView]
    reveal_revoked: strawberry.Private[bool]

    @classmethod
    def of(cls, card: view.CardView, *, reveal_revoked: bool) -> ClientCard:
        return cls(
            dialog_id=strawberry.ID(str(card.dialog_id)),
            client_id=strawberry.ID(str(card.client_id)), phone=card.phone,
            display_name=card.display_name, messenger_name=card.client_name,
            phonebook_entry=ClientPhonebookEntry.of(card.entry) if card.entry else None,
            given_name=card.given_name or None, named_by=card.named_by,
            named_at=utc(card.named_at) if card.named_at else None,
            note=card.note or None, noted_by=card.noted_by,
            noted_at=utc(card.noted_at) if card.noted_at else None,
            card=card, reveal_revoked=reveal_revoked)

    @strawberry.field(description="The client's dialogs opened before this one, newest first.")
    async def earlier_dialogs(
        self, info: Info, first: int = 20,
        before: Annotated[datetime | None, strawberry.argument(
            description="Only those opened before this instant (paging back).")] = None,
    ) -> ClientEpisodes:
        if not 1 <= first <= MAX_PAGE:
            raise ValueError(f"`first` is between 1 and {MAX_PAGE}.")
        engine = info.context.app.reads

        def read() -> tuple[list[view.Episode], bool]:
            with engine.connect() as conn:
                return view.earlier_episodes(conn, self.card, first=first, before=before)

        episodes, more = await to_thread.run_sync(read)
        return ClientEpisodes(nodes=[ClientEpisode.of(e, reveal_revoked=self.reveal_revoked)
                                     for e in episodes], has_more=more)

    @strawberry.field(description="Another of the client's dialogs, read only; null when it is "
                                  "not theirs.")
    async def earlier_dialog(self, info: Info, id: strawberry.ID) -> ClientEpisode | None:
        try:
            episode_id = UUID(str(id))
        except ValueError:
            return None
        engine = info.context.app.reads

        def read() -> view.Episode | None:
            with engine.connect() as conn:
                return view.episode_of(conn, self.card, episode_id)

        episode = await to_thread.run_sync(read)
        return ClientEpisode.of(episode, reveal_revoked=self.reveal_revoked) if episode else None


@strawberry.type
class NameClientSuccess:
    card: ClientCard
    changed: bool = strawberry.field(description="False when the client had this name already.")


@strawberry.type
class NoteClientSuccess:
    card: ClientCard
    changed: bool = strawberry.field(description="False when the note said this already.")
