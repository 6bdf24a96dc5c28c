"""Colleague chats and media on SQLite and PostgreSQL: who may read and write, leaving the
access group, the read models; clients' media of every kind through the simulator, downloaded in
the background (a download that fails twice, then succeeds), stored once by content, refused
over the limits with a note; an operator's image sent through the outbox."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest

from application import colleagues as col
from application import commands as c
from application.media import IncomingMedia, MediaLimits, ReceiveClientMedia, SendMedia
from application.ports import GatewayError, MediaFile
from application.routing import AddAccessMember, RemoveAccessMember
from domain.access import NotInAccessGroup
from domain.errors import NotFound
from domain.ids import operator_id
from domain.media import FileTooLarge
from domain.operators import Role
from infra.blobstore import LocalBlobStore
from infra.bootstrap import Container
from infra.channels.simulator.gateway import SimulatorWhatsAppGateway
from projections import colleagues as chats_view
from projections import inbox as inbox_view
from projections import media as media_view
from tests.conftest import caught_up, make_settings, running_container, wait_for

ADMIN = operator_id("admin")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
OGG = b"OggS\x00\x02" + b"\x00" * 22 + b"OpusHead" + b"\x00" * 100
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 200
WEBP = b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"\x00" * 100
PDF = b"%PDF-1.4\n" + b"0" * 300


class FlakyGateway(SimulatorWhatsAppGateway):
    """The simulator, whose next `failures` downloads fail as an unreachable gateway would."""

    def __init__(self) -> None:
        super().__init__("+15555550100")
        self.failures = 0
        self.downloads = 0
        self._flaky = threading.Lock()

    def download_media(self, source: str, max_bytes: int) -> MediaFile:
        with self._flaky:
            self.downloads += 1
            if self.failures > 0:
                self.failures -= 1
                raise GatewayError("The gateway did not answer.", code="GATEWAY_UNREACHABLE")
        return super().download_media(source, max_bytes)


@contextlib.contextmanager
def app(database_url: str, **overrides: Any) -> Iterator[Container]:
    values: dict[str, Any] = {"media_retry_first_seconds": 0.05, "media_retry_max_seconds": 0.2,
                              "media_poll_seconds": 0.05, "media_max_file_bytes": 4096,
                              "media_max_dialog_bytes": 8192}
    values.update(overrides)
    settings = make_settings(database_url, **values)
    with running_container(settings) as container:
        yield container


@pytest.fixture
def container(database_url: str) -> Iterator[Container]:
    with app(database_url) as built:
        yield built


def now() -> datetime:
    return datetime.now(UTC)


def operator(container: Container, login: str, *, member: bool = True) -> UUID:
    container.writer.execute_sync(c.RegisterOperator(
        login=login, display_name=login.title(), role=Role.OPERATOR, password_hash="x",
        actor="test"))
    oid = operator_id(login)
    if member:
        container.writer.execute_sync(AddAccessMember(operator_id=oid, actor="test"))
    return oid


def settled(container: Container) -> None:
    wait_for(lambda: caught_up(container))


def client_media(container: Container, media: IncomingMedia, *, external_id: str,
                 phone: str = "+79161234567", limits: MediaLimits | None = None) -> Any:
    return container.writer.execute_sync(ReceiveClientMedia(
        channel="simulator", external_id=external_id, phone=phone, name="Ivan", sent_at=now(),
        media=media, limits=limits or MediaLimits(4096, 8192)))


def media_row(container: Container, media_id: UUID) -> Any:
    with container.views.reader.connect() as conn:
        return media_view.media_of(conn, media_id)


def stored(container: Container, media_id: UUID) -> Any:
    container.media.wake()
    return wait_for(lambda: (row := media_row(container, media_id)) is not None
                    and row.state in ("stored", "failed", "refused") and row)


# -- colleague chats ----------------------------------------------------------------------------
def test_access_group_members_chat_and_see_unread_counts(container: Container) -> None:
    bob = operator(container, "bob")
    started = container.writer.execute_sync(col.StartDirectChat(
        operator_id=ADMIN, colleague_id=bob, at=now(), actor="t"))
    for i in range(3):
        container.writer.execute_sync(col.PostColleagueMessage(
            chat_id=started.chat_id, operator_id=ADMIN, text=f"note {i}", key=f"k{i}",
            at=now(), actor="t"))
    again = container.writer.execute_sync(col.PostColleagueMessage(
        chat_id=started.chat_id, operator_id=ADMIN, text="note 2", key="k2", at=now(),
        actor="t"))
    assert again.duplicate
    settled(container)
    with container.views.reader.connect() as conn:
        [chat] = chats_view.chats_of(conn, bob)
        assert (chat.kind, chat.unread, chat.last_message_text) == ("direct", 3, "note 2")
        assert chats_view.unread_messages(conn, ADMIN) == 0
    container.writer.execute_sync(col.MarkColleagueChatRead(
        chat_id=started.chat_id, operator_id=bob, actor="t"))
    settled(container)
    with container.views.reader.connect() as conn:
        assert chats_view.unread_messages(conn, bob) == 0


def test_only_access_group_members_read_or_write(container: Container) -> None:
    outsider = operator(container, "olga", member=False)
    bob = operator(container, "bob")
    with pytest.raises(NotInAccessGroup):
        container.writer.execute_sync(col.StartDirectChat(
            operator_id=outsider, colleague_id=bob, at=now(), actor="t"))
    with pytest.raises(NotInAccessGroup):  # nor can a member pull an outsider in
        container.writer.execute_sync(col.StartDirectChat(
            operator_id=bob, colleague_id=outsider, at=now(), actor="t"))
    carl = operator(container, "carl")
    chat = container.writer.execute_sync(col.StartDirectChat(
        operator_id=ADMIN, colleague_id=bob, at=now(), actor="t")).chat_id
    with pytest.raises(NotFound):  # a member, but not of this chat
        container.writer.execute_sync(col.PostColleagueMessage(
            chat_id=chat, operator_id=carl, text="hi", key="x", at=now(), actor="t"))
    settled(container)
    with container.views.reader.connect() as conn:
        assert chats_view.chat_entry(conn, carl, chat) is None


def test_leaving_the_access_group_ends_access_to_every_colleague_chat(
    container: Container
) -> None:
    bob = operator(container, "bob")
    carl = operator(container, "carl")
    direct = container.writer.execute_sync(col.StartDirectChat(
        operator_id=ADMIN, colleague_id=bob, at=now(), actor="t")).chat_id
    group = container.writer.execute_sync(col.StartGroupChat(
        chat_id=UUID(int=7), operator_id=ADMIN, title="Support", member_ids=(bob, carl),
        at=now(), actor="t")).chat_id
    container.writer.execute_sync(col.PostColleagueMessage(
        chat_id=group, operator_id=ADMIN, text="Welcome", key="w", at=now(), actor="t"))
    container.writer.execute_sync(RemoveAccessMember(operator_id=bob, at=now(), actor="t"))
    for chat in (direct, group):
        with pytest.raises(NotInAccessGroup):
            container.writer.execute_sync(col.PostColleagueMessage(
                chat_id=chat, operator_id=bob, text="still here?", key=f"b{chat}", at=now(),
                actor="t"))
    settled(container)
    with container.views.reader.connect() as conn:
        assert chats_view.chats_of(conn, bob) == []
        assert chats_view.chat_entry(conn, bob, group) is None
        assert chats_view.chat_messages(conn, group, last=10, before_seq=None)  # others keep it
        assert chats_view.unread_messages(conn, bob) == 0
        assert chats_view.chat_entry(conn, carl, group) is not None


def test_asking_a_colleague_about_a_dialog_never_reaches_the_client(
    container: Container
) -> None:
    bob = operator(container, "bob")
    received = container.writer.execute_sync(c.ReceiveClientMessage(
        channel="simulator", external_id="q1", phone="+79161234567", name="Ivan",
        text="Where is my order?", sent_at=now()))
    posted = container.writer.execute_sync(col.AskColleague(
        dialog_id=received.dialog_id, operator_id=ADMIN, colleague_ids=(bob,),
        text="Bob, do you know this client?", key="ask-1", at=now(), actor="t"))
    reply = container.writer.execute_sync(col.PostColleagueMessage(
        chat_id=posted.chat_id, operator_id=bob, text="Yes: a regular.", key="r1", at=now(),
        actor="t"))
    assert reply.seq == 2
    settled(container)
    with container.views.reader.connect() as conn:
        chat = chats_view.discussion_of(conn, bob, received.dialog_id)
        assert chat is not None and chat.client_name == "Ivan"
        texts = [m.text for m in inbox_view.dialog_messages(conn, received.dialog_id, last=10,
                                                             before_seq=None)]
    assert texts == ["Where is my order?"]  # the dialog itself holds the client's words only
    assert container.whatsapp.simulator is not None
    assert container.whatsapp.simulator.sent_to("+79161234567") == []


def test_a_stranger_to_a_dialog_cannot_open_its_discussion(container: Container) -> None:
    bob = operator(container, "bob")
    received = container.writer.execute_sync(c.ReceiveClientMessage(
        channel="simulator", external_id="q2", phone="+79161234568", name="Anna", text="Hi",
        sent_at=now()))
    with pytest.raises(NotFound):
        container.writer.execute_sync(col.AskColleague(
            dialog_id=received.dialog_id, operator_id=bob, colleague_ids=(ADMIN,), text="?",
            key="ask-2", at=now(), actor="t"))
    with pytest.raises(NotFound):  # a chat not one's own is no chat at all
        container.writer.execute_sync(col.LeaveChat(
            chat_id=container.writer.execute_sync(col.StartDirectChat(
                operator_id=ADMIN, colleague_id=bob, at=now(), actor="t")).chat_id,
            operator_id=operator(container, "carl"), at=now(), actor="t"))


# -- media ---------------------------------------------------------------------------------------
KINDS = [
    ("image", PNG, "image/jpeg", "image/png"),
    ("document", PDF, "application/pdf", "application/pdf"),
    ("voice", OGG, "audio/ogg; codecs=opus", "audio/ogg"),
    ("video", MP4, "video/mp4", "video/mp4"),
    ("sticker", WEBP, "image/webp", "image/webp"),
]


def test_every_kind_of_file_is_downloaded_in_the_background_and_stored_by_content(
    container: Container
) -> None:
    simulator = container.whatsapp.simulator
    assert simulator is not None
    for kind, content, declared, sniffed in KINDS:
        source = simulator.upload(MediaFile(content=content, mime_type=declared))
        got = client_media(container, IncomingMedia(
            kind=kind, mime_type=declared, file_name=f"{kind}.bin", caption=f"my {kind}",
            duration=7 if kind == "voice" else None, source=source), external_id=f"m-{kind}")
        assert got.state == "pending" and not got.duplicate
        row = stored(container, got.media_id)
        assert (row.state, row.kind, row.mime_type) == ("stored", kind, sniffed)
        assert container.blobs.get(row.sha256) == content
    again = client_media(container, IncomingMedia(
        kind="image", mime_type="image/png", source=simulator.upload(
            MediaFile(content=PNG, mime_type="image/png"))), external_id="m-image-again")
    assert stored(container, again.media_id).sha256 == media_row(
        container, client_media(container, IncomingMedia(kind="image", source="-"),
                                external_id="m-image").media_id).sha256  # kept once
    blobs = container.blobs
    assert isinstance(blobs, LocalBlobStore) and blobs.count() == len(KINDS)


def test_a_location_and_a_contact_arrive_with_their_details(container: Container) -> None:
    place = client_media(container, IncomingMedia(
        kind="location", latitude=55.7558, longitude=37.6173, place="Red Square, Moscow"),
        external_id="loc")
    person = client_media(container, IncomingMedia(
        kind="contact", contact_name="Olga Petrova", contact_phones=("+79160000001",)),
        external_id="vcard")
    settled(container)
    with container.views.reader.connect() as conn:
        rows = inbox_view.dialog_messages(conn, place.dialog_id, last=10, before_seq=None)
    by_kind = {r.media_kind: r for r in rows}
    assert by_kind["location"].media_state == "none"
    assert (by_kind["location"].media_latitude, by_kind["location"].text) == (
        55.7558, "[location: Red Square, Moscow]")
    assert by_kind["contact"].media_contact_name == "Olga Petrova"
    assert media_view.contact_phones(by_kind["contact"]) == ["+79160000001"]
    assert person.dialog_id == place.dialog_id


def test_a_download_that_fails_twice_then_succeeds(database_url: str) -> None:
    flaky = FlakyGateway()
    settings = make_settings(database_url, media_retry_first_seconds=0.05,
                             media_retry_max_seconds=0.2, media_poll_seconds=0.05)
    from infra.bootstrap import bootstrap
    from infra.migrations import migrate
    from infra.security import Argon2PasswordHasher

    migrate(settings)
    built = bootstrap(settings, hasher=Argon2PasswordHasher(fast=True), gateway=flaky)
    built.start()
    try:
        from infra.bootstrap import ensure_first_admin

        ensure_first_admin(built)
        flaky.failures = 2
        source = flaky.upload(MediaFile(content=PNG, mime_type="image/png"))
        got = client_media(built, IncomingMedia(kind="image", source=source),
                           external_id="flaky-1")
        row = stored(built, got.media_id)
        assert row.state == "stored" and row.attempts == 2
        assert flaky.downloads == 3
        events = [type(e).__name__ for e in built.store.events.get(got.media_id)]
        assert events == ["Recorded", "DownloadFailed", "DownloadFailed", "Attached"]
    finally:
        built.stop()


def test_a_message_still_arrives_when_its_file_is_over_the_limits(
    container: Container
) -> None:
    simulator = container.whatsapp.simulator
    assert simulator is not None
    declared = client_media(container, IncomingMedia(
        kind="video", size=10_000_000, source="sim-media-none"), external_id="big-declared")
    assert declared.state == "refused"
    big = simulator.upload(MediaFile(content=PDF * 20, mime_type="application/pdf"))
    silent = client_media(container, IncomingMedia(kind="document", source=big),
                          external_id="big-silent")  # its size was not declared
    row = stored(container, silent.media_id)
    assert (row.state, row.note_code) == ("refused", "FILE_TOO_LARGE")
    first = simulator.upload(MediaFile(content=b"%PDF" + b"1" * 4000, mime_type="application/pdf"))
    second = simulator.upload(MediaFile(content=b"%PDF" + b"2" * 4000, mime_type="application/pdf"))
    third = simulator.upload(MediaFile(content=b"%PDF" + b"3" * 4000, mime_type="application/pdf"))
    states = [stored(container, client_media(container, IncomingMedia(
        kind="document", source=s), external_id=f"fill-{i}").media_id)
        for i, s in enumerate((first, second, third))]
    assert [r.state for r in states] == ["stored", "stored", "refused"]
    assert states[2].note_code == "DIALOG_FILES_FULL"
    settled(container)
    with container.views.reader.connect() as conn:
        rows = inbox_view.dialog_messages(conn, declared.dialog_id, last=20, before_seq=None)
    assert len(rows) == 5  # every message arrived, with or without its file


def documents(container: Container, contents: list[bytes], prefix: str) -> list[Any]:
    """Each document sent in turn by the same client, its download waited for."""
    simulator = container.whatsapp.simulator
    assert simulator is not None
    return [stored(container, client_media(container, IncomingMedia(
        kind="document", source=simulator.upload(MediaFile(content=content,
                                                           mime_type="application/pdf"))),
        external_id=f"{prefix}-{i}").media_id) for i, content in enumerate(contents)]


def test_a_file_over_the_dialogs_total_is_refused_before_it_is_stored(
    container: Container
) -> None:
    blobs = container.blobs
    assert isinstance(blobs, LocalBlobStore)
    rows = documents(container, [b"%PDF" + bytes([48 + i]) * 4000 for i in range(3)], "total")
    assert [r.state for r in rows] == ["stored", "stored", "refused"]
    assert rows[2].note_code == "DIALOG_FILES_FULL"
    assert blobs.count() == 2  # the third was never written


def test_a_file_refused_once_stored_is_deleted_unless_another_message_has_the_same_bytes(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The read model is behind: every file passes the check before storing, and the
    # dialog's own count refuses the third and the fourth once they are stored.
    monkeypatch.setattr(media_view, "dialog_bytes", lambda conn, dialog_id: 0)
    blobs = container.blobs
    assert isinstance(blobs, LocalBlobStore)
    first, second, third = (b"%PDF" + bytes([65 + i]) * 4000 for i in range(3))
    rows = documents(container, [first, second, third, first], "behind")
    assert [r.state for r in rows] == ["stored", "stored", "refused", "refused"]
    assert [r.note_code for r in rows[2:]] == ["DIALOG_FILES_FULL"] * 2
    wait_for(lambda: blobs.count() == 2)  # the third deleted again
    settled(container)
    assert blobs.count() == 2
    assert blobs.get(rows[0].sha256) == first  # the fourth's bytes are the first's: kept


def test_an_operators_image_is_sent_through_the_outbox(container: Container) -> None:
    received = container.writer.execute_sync(c.ReceiveClientMessage(
        channel="simulator", external_id="x1", phone="+79161112233", name="Ivan",
        text="Send me the plan", sent_at=now()))
    sha = container.blobs.put(PNG)
    queued = container.writer.execute_sync(SendMedia(
        dialog_id=received.dialog_id, operator_id=ADMIN, key="img-1", kind="image", sha256=sha,
        size=len(PNG), mime_type="image/png", file_name="plan.png", caption="The plan",
        at=now(), actor="t", limits=MediaLimits(4096, 8192)))
    simulator = container.whatsapp.simulator
    assert simulator is not None
    [sent] = wait_for(lambda: simulator.sent_to("+79161112233"), timeout=15)
    assert sent.text == "The plan" and sent.media is not None
    assert sent.media["kind"] == "image" and sent.media["size"] == len(PNG)
    with pytest.raises(FileTooLarge):
        container.writer.execute_sync(SendMedia(
            dialog_id=received.dialog_id, operator_id=ADMIN, key="img-2", kind="document",
            sha256=sha, size=5000, mime_type="application/pdf", file_name="big.pdf",
            caption="", at=now(), actor="t", limits=MediaLimits(4096, 8192)))
    assert queued.message_id
