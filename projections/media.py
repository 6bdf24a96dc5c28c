"""Media of messages: what each file or location is, where its download stands, and what each
dialog keeps in files. The inbox's messages show it (joined by message id); the download job
finds its work here; the file route checks who may see a file through the inbox's recipients."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa

from domain.media import Media
from projections.base import Changes, Projection, metadata

media = sa.Table(
    "media",
    metadata,
    sa.Column("message_id", sa.Uuid, primary_key=True),
    sa.Column("media_id", sa.Uuid, nullable=False, unique=True),
    sa.Column("dialog_id", sa.Uuid, index=True),
    sa.Column("direction", sa.String(8), nullable=False),
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("mime_type", sa.String(127), nullable=False),
    sa.Column("size", sa.BigInteger),
    sa.Column("file_name", sa.String(255), nullable=False),
    sa.Column("caption", sa.Text, nullable=False),
    sa.Column("duration", sa.Integer),
    sa.Column("latitude", sa.Float),
    sa.Column("longitude", sa.Float),
    sa.Column("place", sa.String(500), nullable=False),
    sa.Column("contact_name", sa.String(200), nullable=False),
    sa.Column("contact_phones", sa.Text, nullable=False),  # a JSON list
    sa.Column("source", sa.String(2000), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", sa.DateTime(timezone=True), index=True),
    sa.Column("sha256", sa.String(64), index=True),
    sa.Column("note_code", sa.String(64)),
    sa.Column("note", sa.String(500)),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

MEDIA_COLUMNS = (
    media.c.media_id, media.c.kind.label("media_kind"), media.c.mime_type.label("media_mime"),
    media.c.size.label("media_size"), media.c.file_name.label("media_file_name"),
    media.c.caption.label("media_caption"), media.c.duration.label("media_duration"),
    media.c.latitude.label("media_latitude"), media.c.longitude.label("media_longitude"),
    media.c.place.label("media_place"), media.c.contact_name.label("media_contact_name"),
    media.c.contact_phones.label("media_contact_phones"), media.c.state.label("media_state"),
    media.c.note_code.label("media_note_code"), media.c.note.label("media_note"),
)


class MediaProjection(Projection):
    name = "media"
    tables = (media,)
    events = (Media.Recorded, Media.DownloadFailed, Media.Attached, Media.Refused)

    def apply(self, conn: sa.Connection, event: Any, position: int, changes: Changes) -> None:
        mid = event.originator_id
        match event:
            case Media.Recorded():
                state = "pending" if event.direction == "in" and event.kind not in (
                    "location", "contact") else "none"
                conn.execute(media.insert().values(
                    message_id=event.message_id, media_id=mid, dialog_id=event.dialog_id,
                    direction=event.direction, channel=event.channel, kind=event.kind,
                    mime_type=event.mime_type, size=event.size, file_name=event.file_name,
                    caption=event.caption, duration=event.duration, latitude=event.latitude,
                    longitude=event.longitude, place=event.place,
                    contact_name=event.contact_name,
                    contact_phones=json.dumps(list(event.contact_phones)),
                    source=event.source, state=state, attempts=0,
                    next_attempt_at=event.timestamp if state == "pending" else None,
                    recorded_at=event.timestamp, updated_at=event.timestamp))
                changes.add("media", str(event.dialog_id or ""), event.message_id)
                return
            case Media.DownloadFailed():
                values: dict[str, Any] = {
                    "attempts": event.attempt, "next_attempt_at": event.retry_at,
                    "note_code": event.code, "note": event.reason}
                if event.retry_at is None:
                    values["state"] = "failed"
            case Media.Attached():
                values = {"state": "stored", "sha256": event.sha256, "size": event.size,
                          "mime_type": event.mime_type, "next_attempt_at": None,
                          "note_code": None, "note": None}
            case Media.Refused():
                values = {"state": "refused", "next_attempt_at": None,
                          "note_code": event.code, "note": event.reason}
            case _:
                return
        row = conn.execute(media.update().where(media.c.media_id == mid)
                           .values(updated_at=event.timestamp, **values)
                           .returning(media.c.message_id, media.c.dialog_id)).first()
        if row is not None:
            changes.add("media", str(row.dialog_id or ""), row.message_id)


# -- queries -------------------------------------------------------------------------------
def due_downloads(conn: sa.Connection, now: datetime, limit: int) -> list[sa.Row[Any]]:
    """Clients' files waiting for a download whose time has come, oldest first."""
    return list(conn.execute(
        sa.select(media.c.media_id, media.c.message_id, media.c.dialog_id, media.c.kind,
                  media.c.mime_type, media.c.source, media.c.file_name, media.c.attempts,
                  media.c.channel)
        .where(media.c.state == "pending", media.c.direction == "in",
               media.c.next_attempt_at <= now)
        .order_by(media.c.next_attempt_at).limit(limit)))


def media_of(conn: sa.Connection, media_id: UUID) -> sa.Row[Any] | None:
    return conn.execute(sa.select(media).where(media.c.media_id == media_id)).first()


def media_of_messages(conn: sa.Connection, message_ids: Sequence[UUID]) -> dict[UUID, Any]:
    if not message_ids:
        return {}
    return {row.message_id: row for row in conn.execute(
        sa.select(media).where(media.c.message_id.in_(list(message_ids))))}


def dialog_bytes(conn: sa.Connection, dialog_id: UUID) -> int:
    """What a dialog keeps in stored files, in all."""
    return int(conn.execute(sa.select(sa.func.coalesce(sa.func.sum(media.c.size), 0)).where(
        media.c.dialog_id == dialog_id, media.c.state == "stored")).scalar_one())


def file_in_use(conn: sa.Connection, sha256: str) -> bool:
    """Whether a message's media refers to the file (stored for it, or sent with it)."""
    return conn.execute(sa.select(media.c.media_id).where(media.c.sha256 == sha256)
                        .limit(1)).first() is not None


def contact_phones(row: Any) -> list[str]:
    raw = getattr(row, "media_contact_phones", None) or getattr(row, "contact_phones", None)
    try:
        value = json.loads(raw) if raw else []
    except ValueError:
        return []
    return [str(p) for p in value] if isinstance(value, list) else []


def dialog_of(conn: sa.Connection, row: Any) -> UUID | None:
    """A media's dialog: as recorded, or (a message held while WhatsApp was out of service)
    the dialog its message went to once released."""
    if row.dialog_id is not None:
        dialog_id: UUID = row.dialog_id
        return dialog_id
    from projections.inbox import messages  # the inbox numbers the messages

    found: UUID | None = conn.execute(sa.select(messages.c.dialog_id).where(
        messages.c.id == row.message_id)).scalar()
    return found
