from __future__ import annotations

import json
from datetime import datetime
from enum import Enum
from typing import Any

import strawberry

from api.graphql.calls.types import CallEntry
from api.graphql.client_card.marks import ClientMark, client_mark
from api.graphql.labels.reading import labels_of_dialog
from api.graphql.labels.types import Label
from api.graphql.media.types import Media
from api.graphql.outbox.types import DeliveryStatus
from api.graphql.time import utc
from application.channels import medium_of


@strawberry.enum(description="all; unread; mine: held by you; unassigned: held by nobody; "
                             "unanswered: the client wrote last; resolved.")
class InboxFilter(Enum):
    ALL = "all"
    UNREAD = "unread"
    MINE = "mine"
    UNASSIGNED = "unassigned"
    UNANSWERED = "unanswered"
    RESOLVED = "resolved"


@strawberry.enum(description="The messenger a client writes through; OTHER: one this schema does "
                             "not name yet.")
class Messenger(Enum):
    WHATSAPP = "whatsapp"
    TELEGRAM = "telegram"
    OTHER = "other"

    @classmethod
    def of(cls, channel: str) -> Messenger:
        """The messenger of a dialog's channel name (WhatsApp's gateways are WHATSAPP)."""
        try:
            return cls(medium_of(channel))
        except ValueError:
            return cls.OTHER


CHANNEL = "The messenger the client writes through."


@strawberry.enum(description="open (nobody holds it) -> assigned -> resolved; the client's next "
                             "message reopens it.")
class DialogStatus(Enum):
    OPEN = "open"
    ASSIGNED = "assigned"
    RESOLVED = "resolved"


@strawberry.type(description="The operator who holds a dialog.")
class Assignee:
    id: strawberry.ID
    display_name: str


@strawberry.enum
class Direction(Enum):
    IN = "in"
    OUT = "out"


@strawberry.type(description="The person who writes to the corporate number.")
class Client:
    id: strawberry.ID
    phone: str
    name: str


@strawberry.type
class MessagePreview:
    text: str
    direction: Direction
    at: datetime
    author: Assignee | None = strawberry.field(
        default=None, description="Who wrote a reply (OUT): the operator; null for the "
                                  "client's messages and for a reply typed on the company's "
                                  "phone.")


@strawberry.type(description="A dialog as it stands in one operator's inbox.")
class InboxEntry:
    id: strawberry.ID
    client: Client
    channel: Messenger = strawberry.field(description=CHANNEL)
    opened_at: datetime
    last_message: MessagePreview | None
    message_count: int = strawberry.field(description="Messages the client wrote.")
    unread_count: int
    cursor: str
    reply_count: int = strawberry.field(
        default=0, description="Replies written to the client (queued, sent or failed).")
    status: DialogStatus = DialogStatus.OPEN
    assignee: Assignee | None = None
    offer_expires_at: datetime | None = strawberry.field(
        default=None, description="In order: the holder must answer (claim or reply) by then, "
                                  "or the dialog moves to the next operator.")
    labels: list[Label] = strawberry.field(resolver=labels_of_dialog,
                                           description="The dialog's labels, in order.")
    client_mark: ClientMark | None = strawberry.field(
        resolver=client_mark, description="The client card's mark: the phonebook's "
                                          "organisation, or the name an operator gave.")

    @classmethod
    def of(cls, row: Any) -> InboxEntry:
        preview = None
        if row.last_message_at is not None:
            author_id = getattr(row, "last_author_id", None)
            preview = MessagePreview(
                text=row.last_message_text or "", direction=Direction(row.last_direction),
                at=utc(row.last_message_at),
                author=Assignee(id=strawberry.ID(str(author_id)),
                                display_name=getattr(row, "last_author_name", None) or "")
                if author_id and row.last_direction == "out" else None)
        return cls(
            id=strawberry.ID(str(row.id)),
            client=Client(id=strawberry.ID(str(row.client_id)), phone=row.phone,
                          name=row.client_name),
            channel=Messenger.of(row.channel), opened_at=utc(row.opened_at),
            last_message=preview,
            message_count=row.message_count, unread_count=row.unread,
            reply_count=getattr(row, "outgoing_count", 0) or 0,
            cursor=encode_cursor(row.position),
            status=DialogStatus(getattr(row, "status", None) or "open"),
            assignee=Assignee(id=strawberry.ID(str(row.assignee_id)),
                              display_name=row.assignee_name or "")
            if getattr(row, "assignee_id", None) else None,
            offer_expires_at=None if getattr(row, "accepted", True)
            else getattr(row, "offer_expires_at", None),
        )


@strawberry.type
class InboxEdge:
    cursor: str
    node: InboxEntry


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type(description="The operator's dialogs, newest activity first.")
class InboxConnection:
    edges: list[InboxEdge]
    page_info: PageInfo
    unread_dialogs: int = strawberry.field(description="Dialogs with unread messages, in all.")


@strawberry.type(description="An emoji someone put on a message: `sender` is who (the client's "
                             "identity as the messenger names it).")
class Reaction:
    emoji: str
    sender: str


@strawberry.type
class Message:
    id: strawberry.ID
    seq: int
    direction: Direction
    text: str
    sent_at: datetime
    recorded_at: datetime
    # Replies (direction OUT): how far they got, and why one failed.
    status: DeliveryStatus | None = strawberry.field(
        default=None, description="A reply's delivery status; null for the client's messages.")
    failure_code: str | None = strawberry.field(
        default=None, description="Why a reply failed (or why its last attempt failed while it "
                                  "waits to be retried); the panel translates it.")
    failure_reason: str | None = None
    attempts: int = 0
    next_attempt_at: datetime | None = None
    media: Media | None = strawberry.field(
        default=None, description="A photo, document, voice note, video, sticker, location or "
                                  "shared contact; `text` is then its caption (or what it is).")
    edited_at: datetime | None = strawberry.field(
        default=None, description="When the client last changed the text of this message; null "
                                  "while it was never edited.")
    from_phone: bool = strawberry.field(
        default=False, description="A reply the company typed on the linked phone itself, not "
                                   "through Switchboard.")
    revoked_at: datetime | None = strawberry.field(
        default=None, description="When the client deleted this message for everyone; `text` is "
                                  "then empty, except for admins and auditors, who keep the "
                                  "original.")
    reactions: list[Reaction] = strawberry.field(
        default_factory=list, description="The emoji reactions on this message, by sender.")
    call: CallEntry | None = strawberry.field(
        default=None, description="A call back (direction OUT, no text): this entry is the "
                                  "call, with its outcome; null for messages.")

    @classmethod
    def of(cls, row: Any, *, reveal_revoked: bool = False) -> Message:
        """The message as a reader sees it: a deleted message's text only for those who audit
        (`reveal_revoked`)."""
        status = getattr(row, "status", None)
        retry = getattr(row, "next_attempt_at", None)
        edited = getattr(row, "edited_at", None)
        revoked = getattr(row, "revoked_at", None)
        stored = getattr(row, "reactions", None)
        shown = json.loads(stored) if stored else {}
        return cls(id=strawberry.ID(str(row.id)), seq=row.seq, direction=Direction(row.direction),
                   text=row.text if revoked is None or reveal_revoked else "",
                   sent_at=utc(row.sent_at), recorded_at=utc(row.recorded_at),
                   from_phone=bool(getattr(row, "from_phone", False)),
                   revoked_at=utc(revoked) if revoked is not None else None,
                   reactions=[Reaction(emoji=emoji, sender=sender)
                              for sender, emoji in sorted(shown.items())],
                   status=DeliveryStatus(status) if status else None,
                   failure_code=getattr(row, "failure_code", None),
                   failure_reason=getattr(row, "failure_reason", None),
                   attempts=getattr(row, "attempts", None) or 0,
                   next_attempt_at=utc(retry) if retry is not None else None,
                   media=Media.of(row),
                   edited_at=utc(edited) if edited is not None else None,
                   call=CallEntry.of(row))


@strawberry.type(description="A dialog with its messages, oldest first.")
class Dialog:
    id: strawberry.ID
    channel: Messenger = strawberry.field(description=CHANNEL)
    entry: InboxEntry
    messages: list[Message]
    has_earlier: bool
    labels: list[Label] = strawberry.field(resolver=labels_of_dialog,
                                           description="The dialog's labels, in order.")


@strawberry.type(description="A dialog in your inbox changed: new, a new message, or read.")
class InboxChange:
    dialog: InboxEntry
    unread_dialogs: int


@strawberry.type
class MarkReadSuccess:
    dialog: InboxEntry
    unread_dialogs: int = strawberry.field(description="Your dialogs still unread, in all.")


@strawberry.type(description="What the client is shown: \"typing…\" (where the messenger shows "
                             "it), or no longer.")
class TypingSuccess:
    dialog_id: strawberry.ID
    typing: bool


def encode_cursor(position: int) -> str:
    return f"p{position}"


def decode_cursor(cursor: str | None) -> int | None:
    if not cursor:
        return None
    if not cursor.startswith("p") or not cursor[1:].isdigit():
        raise ValueError("This cursor is not one the inbox gave.")
    return int(cursor[1:])
