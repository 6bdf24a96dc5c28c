"""A message's media as operators see it: what it is, where its file stands, and — for a
stored file — a short-lived URL signed for the caller."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum
from typing import Any
from uuid import UUID

import strawberry

from api.graphql.context import Info
from projections.media import contact_phones


@strawberry.enum(description="What a client sent (or an operator): voice covers voice notes "
                             "(ogg/opus) and other audio.")
class MediaKind(Enum):
    IMAGE = "image"
    DOCUMENT = "document"
    VOICE = "voice"
    VIDEO = "video"
    STICKER = "sticker"
    LOCATION = "location"
    CONTACT = "contact"


@strawberry.enum(description="none: nothing to download (a location, a contact); pending: the "
                             "download is on its way (or waits for its next attempt); stored; "
                             "failed: given up; refused: over a limit, not kept.")
class MediaState(Enum):
    NONE = "none"
    PENDING = "pending"
    STORED = "stored"
    FAILED = "failed"
    REFUSED = "refused"


@strawberry.type(description="The media of a message: a file, a location or a shared contact.")
class Media:
    id: strawberry.ID
    kind: MediaKind
    mime_type: str
    size: int | None = strawberry.field(description="In bytes: as stored, else as declared.")
    file_name: str
    caption: str
    duration_seconds: int | None
    latitude: float | None
    longitude: float | None
    place: str = strawberry.field(description="A location's name and address.")
    contact_name: str
    contact_phones: list[str]
    state: MediaState
    note_code: str | None = strawberry.field(
        description="Why the file is not (yet) here: FILE_TOO_LARGE, DIALOG_FILES_FULL, "
                    "MEDIA_GONE, … — the panel translates it.")
    note: str | None

    @strawberry.field(description="The file, for you, for a few minutes (signed); null until "
                                  "it is stored.")
    def url(self, info: Info) -> str | None:
        if self.state != MediaState.STORED or info.context.principal is None:
            return None
        return info.context.app.media_urls.url(UUID(str(self.id)),
                                               info.context.me.operator_id,
                                               datetime.now(UTC))

    @strawberry.field(description="A location on a map (OpenStreetMap).")
    def map_url(self) -> str | None:
        if self.latitude is None or self.longitude is None:
            return None
        return (f"https://www.openstreetmap.org/?mlat={self.latitude:.6f}"
                f"&mlon={self.longitude:.6f}#map=16/{self.latitude:.6f}/{self.longitude:.6f}")

    @classmethod
    def of(cls, row: Any) -> Media | None:
        """From a message row joined with its media (`media_*` columns), or a media row."""
        def get(name: str) -> Any:
            return getattr(row, f"media_{name}", getattr(row, name, None))

        media_id = getattr(row, "media_id", None)
        kind = get("kind")
        if media_id is None or kind is None:
            return None
        return cls(
            id=strawberry.ID(str(media_id)), kind=MediaKind(kind),
            mime_type=(get("mime") if hasattr(row, "media_mime") else get("mime_type")) or "",
            size=get("size"), file_name=get("file_name") or "", caption=get("caption") or "",
            duration_seconds=get("duration"), latitude=get("latitude"),
            longitude=get("longitude"), place=get("place") or "",
            contact_name=get("contact_name") or "", contact_phones=contact_phones(row),
            state=MediaState(get("state")), note_code=get("note_code"), note=get("note"))
