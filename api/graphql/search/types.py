"""What `search` answers: dialogs with their matching messages and the fragments that show why,
the matched words marked."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry

from api.graphql.errors import UserError
from api.graphql.inbox.types import Direction, Messenger, PageInfo
from projections import search as view


@strawberry.enum(description="Where a fragment comes from.")
class SearchField(Enum):
    TEXT = "TEXT"
    CAPTION = "CAPTION"
    FILE_NAME = "FILE_NAME"
    CLIENT_NAME = "CLIENT_NAME"
    PHONE = "PHONE"


@strawberry.type(description="A piece of a fragment; `marked`: it matched the search (shown "
                             "highlighted).")
class FragmentPart:
    text: str
    marked: bool


@strawberry.type(description="A piece of a message or of the client's name or number around "
                             "what matched, cut with \"…\".")
class SearchFragment:
    field: SearchField
    parts: list[FragmentPart]


@strawberry.type(description="A message that matched (or, with no `messageId`, the dialog's "
                             "client by name or number).")
class SearchMatch:
    message_id: strawberry.ID | None
    seq: int | None = strawberry.field(description="The message's place in the dialog (to "
                                                   "open it there).")
    direction: Direction | None
    at: datetime
    revoked: bool = strawberry.field(description="The client deleted it (found only by those "
                                                 "who read everything).")
    fragments: list[SearchFragment]

    @classmethod
    def of(cls, match: view.Match) -> SearchMatch:
        return cls(
            message_id=strawberry.ID(str(match.message_id)) if match.message_id else None,
            seq=match.seq, direction=Direction(match.direction) if match.direction else None,
            at=match.at, revoked=match.revoked,
            fragments=[SearchFragment(field=SearchField(f.field), parts=[
                FragmentPart(text=text, marked=marked) for text, marked in f.parts])
                for f in match.fragments])


@strawberry.type(description="A dialog that matched, with its newest matching messages.")
class SearchResult:
    dialog_id: strawberry.ID
    client_name: str
    phone: str
    channel: Messenger
    matches: list[SearchMatch]
    match_count: int = strawberry.field(description="How many of the dialog's messages (and "
                                                    "its client) matched in all.")

    @classmethod
    def of(cls, result: view.Result) -> SearchResult:
        return cls(dialog_id=strawberry.ID(str(result.dialog_id)),
                   client_name=result.client_name, phone=result.phone,
                   channel=Messenger.of(result.channel),
                   matches=[SearchMatch.of(m) for m in result.matches],
                   match_count=result.match_count)


@strawberry.type
class SearchEdge:
    cursor: str
    node: SearchResult


@strawberry.type(description="Dialogs that matched a search, newest first.")
class SearchConnection:
    edges: list[SearchEdge]
    page_info: PageInfo


SearchAnswer = Annotated[SearchConnection | UserError, strawberry.union("SearchAnswer")]
