"""One Telegram `Update` (https://core.telegram.org/bots/api#update) as the application sees it.

An update carries `update_id` and at most one of its optional parts; this channel asks for
`message` and `edited_message` only (`setWebhook allowed_updates`), and ignores any other part
it is sent. A Message has `message_id` (unique within its chat), `date` and `edit_date` (Unix
time), `chat {id, type}` (`private`, `group`, `supergroup` or `channel`: only private chats are
taken, a client writing to the bot), `from {first_name, last_name, username}` and its content:
`text`, or a file (`photo` — the same picture in several sizes, `document`, `voice`, `audio`,
`video`, `video_note`, `sticker`) named by a `file_id` to fetch through `getFile`, or a
`location {latitude, longitude}` (with a `venue {title, address}`), or a shared `contact
{phone_number, first_name, last_name}`; a file's `caption` is its text. A message with nothing
of these (a service message: a pinned message, a new chat photo, …) is ignored."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from application.channels import EditedMessage, IncomingMessage
from application.media import IncomingMedia
from infra.channels.common import describe, refuse

CHANNEL = "telegram"
PRIVATE = "private"

Id = Annotated[int, Field(ge=-(2**63), lt=2**63)]
Count = Annotated[int, Field(ge=0, lt=2**63)]
UnixTime = Annotated[int, Field(ge=0, le=253402300799)]  # up to the end of year 9999
Name = Annotated[str, Field(max_length=256)]
FileId = Annotated[str, Field(min_length=1, max_length=1024)]
Mime = Annotated[str, Field(max_length=255)]
Latitude = Annotated[float, Field(ge=-90, le=90)]
Longitude = Annotated[float, Field(ge=-180, le=180)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class User(_Model):
    id: Id
    first_name: Name = ""
    last_name: Name = ""
    username: Name = ""


class Chat(_Model):
    id: Id
    type: Annotated[str, Field(max_length=32)]
    first_name: Name = ""
    last_name: Name = ""
    username: Name = ""


class PhotoSize(_Model):
    file_id: FileId
    width: Count = 0
    height: Count = 0
    file_size: Count | None = None


class Document(_Model):
    file_id: FileId
    file_name: Annotated[str, Field(max_length=1024)] = ""
    mime_type: Mime = ""
    file_size: Count | None = None


class Voice(_Model):
    file_id: FileId
    duration: Count | None = None
    mime_type: Mime = ""
    file_size: Count | None = None


class Audio(Voice):
    file_name: Annotated[str, Field(max_length=1024)] = ""


class Video(Audio):
    pass


class Sticker(_Model):
    file_id: FileId
    is_animated: bool = False
    is_video: bool = False
    file_size: Count | None = None


class Location(_Model):
    latitude: Latitude
    longitude: Longitude


class Venue(_Model):
    title: Annotated[str, Field(max_length=1024)] = ""
    address: Annotated[str, Field(max_length=1024)] = ""


class Contact(_Model):
    phone_number: Annotated[str, Field(max_length=64)]
    first_name: Name = ""
    last_name: Name = ""


class Message(_Model):
    message_id: Id
    date: UnixTime
    chat: Chat
    from_: Annotated[User | None, Field(alias="from")] = None
    edit_date: UnixTime | None = None
    text: Annotated[str, Field(max_length=65536)] = ""
    caption: Annotated[str, Field(max_length=16384)] = ""
    photo: Annotated[list[PhotoSize], Field(max_length=100)] = []
    document: Document | None = None
    voice: Voice | None = None
    audio: Audio | None = None
    video: Video | None = None
    video_note: Voice | None = None
    sticker: Sticker | None = None
    location: Location | None = None
    venue: Venue | None = None
    contact: Contact | None = None


class Update(_Model):
    update_id: Id
    message: Message | None = None
    edited_message: Message | None = None


@dataclass(frozen=True)
class Parsed:
    """An update's id and what it carries here: a client's message, an edit, or nothing (then
    `ignored` says why)."""

    update_id: int
    message: IncomingMessage | None = None
    edit: EditedMessage | None = None
    ignored: str = ""


class Unreadable(ValueError):
    """A body that is not an Update; the message says why."""


def parse_update(body: bytes) -> Parsed:
    """Raises WebhookRefused (422) for a body that is not an Update."""
    try:
        return read_update(body)
    except Unreadable as error:
        raise refuse(CHANNEL, 422, str(error)) from None


def read_update(body: bytes) -> Parsed:
    """Raises Unreadable for a body that is not an Update."""
    try:
        update = Update.model_validate(json.loads(body))
    except ValidationError as error:
        raise Unreadable(describe(error)) from None
    except ValueError:  # not JSON, or not UTF-8
        raise Unreadable("Malformed update: the body is not JSON.") from None
    if update.message is not None:
        return _message(update.update_id, update.message)
    if update.edited_message is not None:
        return _edit(update.update_id, update.edited_message)
    return Parsed(update.update_id, ignored="not a message")


def external_id(message: Message) -> str:
    """A message's id here: `<chat id>:<message_id>` (message ids are unique per chat)."""
    return f"{message.chat.id}:{message.message_id}"


def _message(update_id: int, message: Message) -> Parsed:
    if message.chat.type != PRIVATE:
        return Parsed(update_id, ignored=f"a {message.chat.type} chat")
    media = media_of(message)
    if media is None and not message.text.strip():
        return Parsed(update_id, ignored="no text and no supported media")
    return Parsed(update_id, message=IncomingMessage(
        channel=CHANNEL, external_id=external_id(message), sender=f"tg:{message.chat.id}",
        name=name_of(message), text=message.text if media is None else message.caption,
        sent_at=_at(message.date), media=media))


def _edit(update_id: int, message: Message) -> Parsed:
    """An edited text or caption. A live location's moves also come as edits: no text, so
    they are ignored."""
    if message.chat.type != PRIVATE:
        return Parsed(update_id, ignored=f"a {message.chat.type} chat")
    text = message.text or message.caption
    if not text.strip():
        return Parsed(update_id, ignored="an edit with no text")
    return Parsed(update_id, edit=EditedMessage(
        channel=CHANNEL, external_id=external_id(message), text=text,
        at=_at(message.edit_date if message.edit_date is not None else message.date)))


def name_of(message: Message) -> str:
    """First and last name, else @username, of the sender (or of the private chat)."""
    who: User | Chat = message.from_ if message.from_ is not None else message.chat
    full = f"{who.first_name} {who.last_name}".strip()
    if full:
        return full
    return f"@{who.username}" if who.username else ""


def media_of(message: Message) -> IncomingMedia | None:
    """The message's file, place or contact; None for a text (or an unsupported kind)."""
    caption = message.caption
    if message.photo:
        largest = max(message.photo, key=lambda p: (p.width * p.height, p.file_size or 0))
        return IncomingMedia(kind="image", mime_type="image/jpeg", size=largest.file_size,
                             caption=caption, source=largest.file_id)
    if message.document is not None:
        doc = message.document
        return IncomingMedia(kind="document", mime_type=doc.mime_type or
                             "application/octet-stream", size=doc.file_size,
                             file_name=doc.file_name, caption=caption, source=doc.file_id)
    if message.voice is not None:
        voice = message.voice
        return IncomingMedia(kind="voice", mime_type=voice.mime_type or "audio/ogg",
                             size=voice.file_size, duration=voice.duration, caption=caption,
                             source=voice.file_id)
    if message.audio is not None:
        audio = message.audio
        return IncomingMedia(kind="voice", mime_type=audio.mime_type or "audio/mpeg",
                             size=audio.file_size, duration=audio.duration,
                             file_name=audio.file_name, caption=caption, source=audio.file_id)
    if message.video is not None or message.video_note is not None:
        video = message.video or message.video_note
        assert video is not None
        return IncomingMedia(kind="video", mime_type=video.mime_type or "video/mp4",
                             size=video.file_size, duration=video.duration, caption=caption,
                             source=video.file_id)
    if message.sticker is not None:
        sticker = message.sticker
        mime = ("application/x-tgsticker" if sticker.is_animated
                else "video/webm" if sticker.is_video else "image/webp")
        return IncomingMedia(kind="sticker", mime_type=mime, size=sticker.file_size,
                             source=sticker.file_id)
    if message.location is not None:
        venue = message.venue
        place = ", ".join(p for p in (venue.title, venue.address) if p) if venue else ""
        return IncomingMedia(kind="location", latitude=message.location.latitude,
                             longitude=message.location.longitude, place=place[:500],
                             caption=caption)
    if message.contact is not None:
        contact = message.contact
        return IncomingMedia(
            kind="contact", contact_name=f"{contact.first_name} {contact.last_name}".strip(),
            contact_phones=(contact.phone_number,) if contact.phone_number else ())
    return None


def _at(unix: int) -> datetime:
    return datetime.fromtimestamp(unix, UTC)
