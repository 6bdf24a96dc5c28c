"""Telegram updates as the application sees them: a client's message (text or media), an edit,
or nothing; a body that is not an Update is refused (422)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from application.channels import WebhookRefused
from infra.channels.telegram.fake import (
    contact_update,
    document_update,
    edited_update,
    location_update,
    message,
    photo_update,
    text_update,
    voice_update,
)
from infra.channels.telegram.updates import Parsed, parse_update

CHAT = 4242
DATE = 1_764_072_000  # 2025-11-25 12:00 UTC


def parsed(update: dict[str, Any]) -> Parsed:
    return parse_update(json.dumps(update).encode())


def test_a_text_becomes_a_clients_message_named_by_chat_and_message_id() -> None:
    got = parsed(text_update(7, CHAT, "Where is my order?", message_id=31, first_name="Ivan",
                             last_name="Petrov", date=DATE))
    assert got.update_id == 7
    assert got.message is not None and got.edit is None
    assert got.message.channel == "telegram"
    assert got.message.external_id == f"{CHAT}:31"
    assert got.message.sender == f"tg:{CHAT}"
    assert got.message.name == "Ivan Petrov"
    assert got.message.text == "Where is my order?"
    assert got.message.sent_at == datetime(2025, 11, 25, 12, 0, tzinfo=UTC)
    assert got.message.media is None


def test_a_sender_without_a_name_is_named_by_username() -> None:
    update = text_update(1, CHAT, "hi", first_name="", username="ivan_p")
    got = parsed(update)
    assert got.message is not None
    assert got.message.name == "@ivan_p"


def test_a_photo_is_an_image_and_its_largest_size_is_fetched() -> None:
    sizes = [{"file_id": "medium", "width": 320, "height": 240, "file_size": 9000},
             {"file_id": "largest", "width": 1280, "height": 960, "file_size": 98000},
             {"file_id": "thumb", "width": 90, "height": 68, "file_size": 1200}]
    got = parsed(photo_update(2, CHAT, "ignored", sizes=sizes, caption="My receipt"))
    assert got.message is not None and got.message.media is not None
    media = got.message.media
    assert (media.kind, media.mime_type, media.source, media.size) == (
        "image", "image/jpeg", "largest", 98000)
    assert media.caption == "My receipt"
    assert got.message.text == "My receipt"


def test_a_document_keeps_its_name_type_and_size() -> None:
    got = parsed(document_update(3, CHAT, "BQACdoc", file_name="invoice.pdf",
                                 mime_type="application/pdf", file_size=48213))
    assert got.message is not None and got.message.media is not None
    media = got.message.media
    assert (media.kind, media.mime_type, media.file_name, media.size, media.source) == (
        "document", "application/pdf", "invoice.pdf", 48213, "BQACdoc")


def test_a_voice_note_keeps_its_duration() -> None:
    got = parsed(voice_update(4, CHAT, "AwACvoice", duration=7, mime_type="audio/ogg"))
    assert got.message is not None and got.message.media is not None
    media = got.message.media
    assert (media.kind, media.mime_type, media.duration, media.source) == (
        "voice", "audio/ogg", 7, "AwACvoice")


def test_a_video_and_a_sticker_are_files_of_their_kind() -> None:
    video = parsed({"update_id": 5, "message": message(CHAT, 5, caption="look", video={
        "file_id": "BAACvideo", "file_unique_id": "u", "width": 640, "height": 360,
        "duration": 12, "mime_type": "video/mp4", "file_size": 500000})})
    sticker = parsed({"update_id": 6, "message": message(CHAT, 6, sticker={
        "file_id": "CAACsticker", "file_unique_id": "s", "type": "regular", "width": 512,
        "height": 512, "is_animated": False, "is_video": False})})
    assert video.message is not None and video.message.media is not None
    assert (video.message.media.kind, video.message.media.duration) == ("video", 12)
    assert sticker.message is not None and sticker.message.media is not None
    assert (sticker.message.media.kind, sticker.message.media.mime_type) == (
        "sticker", "image/webp")


def test_a_location_keeps_its_coordinates() -> None:
    got = parsed(location_update(7, CHAT, 55.7558, 37.6173))
    assert got.message is not None and got.message.media is not None
    media = got.message.media
    assert (media.kind, media.latitude, media.longitude) == ("location", 55.7558, 37.6173)
    assert media.source == ""


def test_a_shared_contact_keeps_its_name_and_number() -> None:
    got = parsed(contact_update(8, CHAT, "+79161234567", "Anna", "Smirnova"))
    assert got.message is not None and got.message.media is not None
    media = got.message.media
    assert (media.kind, media.contact_name, media.contact_phones) == (
        "contact", "Anna Smirnova", ("+79161234567",))


def test_an_edit_names_the_message_it_changes_and_when() -> None:
    got = parsed(edited_update(9, CHAT, 31, "Where is my order #1234?", edit_date=DATE))
    assert got.message is None
    assert got.edit is not None
    assert got.edit.channel == "telegram"
    assert got.edit.external_id == f"{CHAT}:31"
    assert got.edit.text == "Where is my order #1234?"
    assert got.edit.at == datetime(2025, 11, 25, 12, 0, tzinfo=UTC)


def test_an_edited_live_location_with_no_text_is_ignored() -> None:
    moved = message(CHAT, 40, location={"latitude": 55.0, "longitude": 37.0})
    moved["edit_date"] = DATE
    got = parsed({"update_id": 10, "edited_message": moved})
    assert (got.message, got.edit) == (None, None)
    assert got.ignored


@pytest.mark.parametrize("chat_type", ["group", "supergroup", "channel"])
def test_a_message_outside_a_private_chat_is_ignored(chat_type: str) -> None:
    got = parsed(text_update(11, -100123, "hello all", chat_type=chat_type))
    assert got.update_id == 11
    assert got.message is None
    assert chat_type in got.ignored


def test_an_update_of_another_kind_is_ignored() -> None:
    got = parsed({"update_id": 12, "callback_query": {"id": "1", "data": "x"}})
    assert (got.update_id, got.message, got.edit) == (12, None, None)
    assert got.ignored


def test_a_service_message_with_no_text_and_no_media_is_ignored() -> None:
    got = parsed({"update_id": 13, "message": message(CHAT, 13, pinned_message={})})
    assert got.message is None
    assert got.ignored


@pytest.mark.parametrize("body", [
    b"not json",
    b"\xff\xfe",
    b"[1, 2]",
    json.dumps({"message": {"message_id": 1}}).encode(),
    json.dumps(text_update(1, CHAT, "x" * 70000)).encode(),
    json.dumps({"update_id": 1, "message": {"message_id": 1, "date": "yesterday",
                                            "chat": {"id": CHAT, "type": "private"}}}).encode(),
])
def test_a_body_that_is_not_an_update_is_refused_422(body: bytes) -> None:
    with pytest.raises(WebhookRefused) as refused:
        parse_update(body)
    assert refused.value.status == 422
    assert refused.value.reason
