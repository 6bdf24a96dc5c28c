"""Colleague chats and media, as the domain decides them: membership, edits within a window,
read state, and a file's way from pending to stored, failed or refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from domain.colleagues import (
    ColleagueChat,
    EditWindowClosed,
    NotAChatMember,
    NotTheAuthor,
    direct_chat_id,
    discussion_id,
)
from domain.errors import InvalidValue, NotAllowed
from domain.failures import RetryPolicy
from domain.media import (
    DialogFiles,
    DialogFilesFull,
    FileTooLarge,
    Media,
    MediaState,
    clean_file_name,
)

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
ANN, BOB, CAT = uuid4(), uuid4(), uuid4()
WINDOW = timedelta(minutes=15)


def direct() -> ColleagueChat:
    return ColleagueChat.start_direct(ANN, BOB, at=T0, actor="t")


class TestColleagueChats:
    def test_a_direct_chat_is_the_same_chat_whoever_starts_it(self) -> None:
        assert direct_chat_id(ANN, BOB) == direct_chat_id(BOB, ANN) == direct().id

    def test_nobody_chats_with_themselves(self) -> None:
        with pytest.raises(InvalidValue):
            ColleagueChat.start_direct(ANN, ANN, at=T0, actor="t")

    def test_a_message_is_unread_for_the_others_and_read_for_its_author(self) -> None:
        chat = direct()
        assert chat.post(message_id=uuid4(), author_id=ANN, text="Hi", at=T0, actor="t")
        assert (chat.unread_for(ANN), chat.unread_for(BOB)) == (0, 1)
        assert chat.mark_read(BOB, actor="t")
        assert not chat.mark_read(BOB, actor="t")  # nothing left unread: no event
        assert chat.unread_for(BOB) == 0

    def test_the_same_message_posted_twice_is_one_message(self) -> None:
        chat = direct()
        mid = uuid4()
        assert chat.post(message_id=mid, author_id=ANN, text="Hi", at=T0, actor="t")
        assert not chat.post(message_id=mid, author_id=ANN, text="Hi", at=T0, actor="t")
        assert chat.message_count == 1

    def test_only_members_write_and_read(self) -> None:
        chat = direct()
        with pytest.raises(NotAChatMember):
            chat.post(message_id=uuid4(), author_id=CAT, text="Psst", at=T0, actor="t")
        with pytest.raises(NotAChatMember):
            chat.mark_read(CAT, actor="t")

    def test_the_author_edits_within_the_window_and_not_after(self) -> None:
        chat = direct()
        mid = uuid4()
        chat.post(message_id=mid, author_id=ANN, text="Meet at 3", at=T0, actor="t")
        assert chat.edit(message_id=mid, by=ANN, text="Meet at 4", at=T0 + timedelta(minutes=14),
                         window=WINDOW, actor="t")
        with pytest.raises(NotTheAuthor):
            chat.edit(message_id=mid, by=BOB, text="No", at=T0, window=WINDOW, actor="t")
        with pytest.raises(EditWindowClosed):
            chat.edit(message_id=mid, by=ANN, text="Meet at 5",
                      at=T0 + timedelta(minutes=16), window=WINDOW, actor="t")

    def test_a_group_gains_members_who_start_with_everything_unread(self) -> None:
        chat = ColleagueChat.start_group(uuid4(), title=" Night  shift ", by=ANN, members=[BOB],
                                         at=T0, actor="t")
        assert chat.title == "Night shift"
        chat.post(message_id=uuid4(), author_id=BOB, text="Who is on?", at=T0, actor="t")
        assert chat.add_member(CAT, by=ANN, at=T0, actor="t")
        assert not chat.add_member(CAT, by=ANN, at=T0, actor="t")
        assert chat.unread_for(CAT) == 1
        chat.leave(CAT, at=T0, actor="t")
        assert not chat.has(CAT)

    def test_a_direct_chat_takes_no_third_person_and_cannot_be_left(self) -> None:
        chat = direct()
        with pytest.raises(NotAllowed):
            chat.add_member(CAT, by=ANN, at=T0, actor="t")
        with pytest.raises(NotAllowed):
            chat.leave(ANN, at=T0, actor="t")

    def test_a_discussion_belongs_to_its_dialog(self) -> None:
        dialog = uuid4()
        chat = ColleagueChat.start_discussion(dialog, by=ANN, at=T0, actor="t")
        assert chat.id == discussion_id(dialog) and chat.dialog_id == dialog
        assert chat.join(BOB, at=T0, actor="t")
        with pytest.raises(NotAChatMember):
            direct().join(CAT, at=T0, actor="t")

    def test_an_empty_message_is_refused(self) -> None:
        with pytest.raises(InvalidValue):
            direct().post(message_id=uuid4(), author_id=ANN, text="   ", at=T0, actor="t")


def pending_image() -> Media:
    return Media.record(message_id=uuid4(), dialog_id=uuid4(), direction="in",
                        channel="waha", kind="image", mime_type="image/JPEG", size=2048,
                        file_name="../../etc/photo.jpg", source="http://waha/api/files/x.jpg",
                        at=T0, actor="t")


class TestMedia:
    def test_a_clients_file_waits_for_its_download(self) -> None:
        media = pending_image()
        assert media.state == MediaState.PENDING
        assert media.file_name == "photo.jpg" and media.mime_type == "image/jpeg"

    def test_a_location_or_a_contact_has_nothing_to_download(self) -> None:
        place = Media.record(message_id=uuid4(), dialog_id=None, direction="in",
                             channel="cloud", kind="location", latitude=55.75, longitude=37.62,
                             at=T0, actor="t")
        assert place.state == MediaState.NONE
        with pytest.raises(InvalidValue):
            Media.record(message_id=uuid4(), dialog_id=None, direction="in", channel="cloud",
                         kind="location", latitude=123.0, longitude=0.0, at=T0, actor="t")

    def test_a_failed_download_is_tried_again_later_then_given_up(self) -> None:
        media = pending_image()
        policy = RetryPolicy(max_attempts=3, first_delay_seconds=1, max_delay_seconds=10)
        outcomes = [media.download_failed(code="GATEWAY_REFUSED", reason="500", retryable=True,
                                          now=T0, policy=policy, actor="t")
                    for _ in range(3)]
        assert outcomes == [MediaState.PENDING, MediaState.PENDING, MediaState.FAILED]
        assert media.download_failed(code="x", reason="x", retryable=True, now=T0,
                                     policy=policy, actor="t") is None

    def test_an_attached_file_is_named_by_its_sha256_and_attached_once(self) -> None:
        media = pending_image()
        assert media.attach(sha256="a" * 64, size=10, mime_type="image/jpeg", at=T0, actor="t")
        assert not media.attach(sha256="a" * 64, size=10, mime_type="image/jpeg", at=T0,
                                actor="t")
        with pytest.raises(InvalidValue):
            pending_image().attach(sha256="../secret", size=1, mime_type="", at=T0, actor="t")

    def test_a_dialog_keeps_files_up_to_its_total_and_each_up_to_the_file_limit(self) -> None:
        files = DialogFiles(dialog_id=uuid4(), actor="t")
        files.count(media_id=uuid4(), size=600, max_file_bytes=1000, max_dialog_bytes=1000,
                    actor="t")
        with pytest.raises(FileTooLarge):
            files.count(media_id=uuid4(), size=1001, max_file_bytes=1000,
                        max_dialog_bytes=10_000, actor="t")
        with pytest.raises(DialogFilesFull):
            files.count(media_id=uuid4(), size=500, max_file_bytes=1000, max_dialog_bytes=1000,
                        actor="t")
        assert files.kept == 600

    def test_file_names_lose_their_directories_and_control_characters(self) -> None:
        assert clean_file_name("C:\\Users\\x\\re\x00port?.pdf") == "report.pdf"
