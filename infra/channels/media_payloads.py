"""Clients' media as each gateway documents it, turned into `IncomingMedia`.

- WAHA (`message` event): `hasMedia` with `media {url, mimetype, filename, error}`; the engine's
  `_data.type` (image, ptt, audio, video, sticker, document) tells a voice note from an audio
  file and a sticker from an image; `location {latitude, longitude, description}` (strings);
  `vCards` (a list of vCard texts). The body of a media message is its caption.
- Cloud API (`messages[]`): `type` image | document | audio | video | sticker with `{id,
  mime_type, sha256, caption, filename, voice, animated}`; `location {latitude, longitude, name,
  address}`; `contacts [{name {formatted_name}, phones [{phone, wa_id}]}]`. The media id is
  resolved through the Graph API when the file is downloaded."""

from __future__ import annotations

from typing import Any

from application.media import IncomingMedia

WAHA_KINDS = {"image": "image", "ptt": "voice", "audio": "voice", "video": "video",
              "sticker": "sticker", "document": "document"}
CLOUD_FILE_KINDS = {"image": "image", "document": "document", "audio": "voice",
                    "video": "video", "sticker": "sticker"}


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _seconds(value: Any) -> int | None:
    number = _number(value)
    return int(number) if number is not None and number >= 0 else None


def _kind_of_mime(mime: str) -> str:
    if mime.startswith("image/"):
        return "image"
    if mime.startswith("audio/"):
        return "voice"
    if mime.startswith("video/"):
        return "video"
    return "document"


def parse_vcard(text: str) -> tuple[str, list[str]]:
    """The name (FN) and phone numbers (TEL) of a vCard."""
    name, phones = "", []
    for raw in text.replace("\r\n", "\n").split("\n"):
        key, _, value = raw.partition(":")
        field = key.split(";", 1)[0].strip().upper()
        if field == "FN" and not name:
            name = value.strip()
        elif field == "TEL" and value.strip():
            phones.append(value.strip())
    return name[:200], phones[:20]


def waha_media(*, body: str | None, has_media: bool, media: dict[str, Any] | None,
               location: dict[str, Any] | None, vcards: list[Any] | None,
               data: dict[str, Any] | None) -> IncomingMedia | None:
    """None for a plain text message."""
    data = data or {}
    raw_type = str(data.get("type") or "").lower()
    caption = body or ""
    if isinstance(location, dict) or raw_type == "location":
        where = location if isinstance(location, dict) else data
        latitude, longitude = _number(where.get("latitude")), _number(where.get("longitude"))
        if latitude is not None and longitude is not None:
            place = str(where.get("description") or where.get("name") or
                        where.get("address") or "")
            return IncomingMedia(kind="location", latitude=latitude, longitude=longitude,
                                 place=place[:500], caption="" if raw_type == "location"
                                 else caption)
    if vcards:
        name, phones = parse_vcard(str(vcards[0]))
        return IncomingMedia(kind="contact", contact_name=name, contact_phones=tuple(phones))
    if not has_media:
        return None
    media = media or {}
    mime = str(media.get("mimetype") or data.get("mimetype") or "")
    kind = WAHA_KINDS.get(raw_type) or _kind_of_mime(mime.lower())
    size = data.get("size")
    error = media.get("error")
    url = media.get("url")
    return IncomingMedia(
        kind=kind, mime_type=mime, size=int(size) if isinstance(size, int) and size >= 0
        else None, file_name=str(media.get("filename") or data.get("filename") or ""),
        caption=caption, duration=_seconds(data.get("duration")),
        source=str(url) if isinstance(url, str) and url and not error else "",
        unavailable="WAHA could not download this file." if error or not url else "")


def cloud_media(message: dict[str, Any]) -> IncomingMedia | None:
    """A Cloud API message's media, or None for text (and types not kept as media)."""
    kind = str(message.get("type") or "")
    if kind in CLOUD_FILE_KINDS:
        content = message.get(kind)
        content = content if isinstance(content, dict) else {}
        media_id = content.get("id")
        return IncomingMedia(
            kind=CLOUD_FILE_KINDS[kind], mime_type=str(content.get("mime_type") or ""),
            file_name=str(content.get("filename") or ""),
            caption=str(content.get("caption") or ""),
            source=str(media_id) if isinstance(media_id, str) else "",
            unavailable="" if isinstance(media_id, str) and media_id
            else "The Cloud API named no media id.")
    if kind == "location":
        where = message.get("location")
        where = where if isinstance(where, dict) else {}
        latitude, longitude = _number(where.get("latitude")), _number(where.get("longitude"))
        if latitude is None or longitude is None:
            return None
        place = ", ".join(str(where[k]) for k in ("name", "address") if where.get(k))
        return IncomingMedia(kind="location", latitude=latitude, longitude=longitude,
                             place=place[:500])
    if kind == "contacts":
        contacts = message.get("contacts")
        first = contacts[0] if isinstance(contacts, list) and contacts \
            and isinstance(contacts[0], dict) else {}
        names: dict[str, Any] = first["name"] if isinstance(first.get("name"), dict) else {}
        phones = [str(p.get("phone") or p.get("wa_id") or "") for p in first.get("phones") or []
                  if isinstance(p, dict)]
        return IncomingMedia(kind="contact",
                             contact_name=str(names.get("formatted_name") or "")[:200],
                             contact_phones=tuple(p for p in phones if p)[:20])
    return None
