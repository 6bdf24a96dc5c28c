"""Search over conversations, on SQLite (FTS5) and PostgreSQL (a GIN index) alike: word forms in
Russian and English, numbers in any spelling, captions, file names and client names; fragments
with what matched marked; newest first, page by page; the index verifies and rebuilds like any
read model (and on SQLite its FTS5 table follows the rebuilt rows)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest
import sqlalchemy as sa

from application import commands as c
from application.conversation import RevokeClientMessage
from application.media import IncomingMedia, ReceiveClientMedia
from application.search import EmptySearch, SearchTooLong, parse_search
from infra.bootstrap import Container
from infra.projection.verify import rebuild_aside, verify
from projections import search as view
from tests.conftest import wait_for

T0 = datetime(2026, 12, 9, 9, 0, tzinfo=UTC)
NOBODY = uuid4()


def receive(container: Container, text: str, *, phone: str = "+79161234567",
            name: str = "Ivan", minute: int = 0, external_id: str | None = None) -> UUID:
    received = container.writer.execute_sync(c.ReceiveClientMessage(
        channel="simulator", external_id=external_id or uuid4().hex, phone=phone, name=name,
        text=text, sent_at=T0 + timedelta(minutes=minute)))
    assert received.dialog_id is not None, received
    return UUID(str(received.dialog_id))


def caught_up(container: Container) -> bool:
    """The index and the inbox (a match's place in its dialog) hold everything stored."""
    return all(r.status().lag == 0 for r in container.projector.runners
               if r.name in ("search", "inbox"))


def found(container: Container, text: str, *, first: int = 20,
          after: tuple[int, UUID] | None = None, everything: bool = True,
          operator_id: UUID = NOBODY) -> view.SearchPage:
    wait_for(lambda: caught_up(container))
    with container.views.reader.connect() as conn:
        return view.search(conn, parse_search(text), operator_id=operator_id,
                           everything=everything, first=first, after=after)


def marked(match: view.Match) -> list[str]:
    return [text for fragment in match.fragments for text, mark in fragment.parts if mark]


def texts(page: view.SearchPage) -> list[list[str]]:
    return [["".join(t for t, _ in m.fragments[0].parts) for m in r.matches]
            for r in page.results]


def test_russian_and_english_word_forms_find_each_other_and_are_marked(
        container: Container) -> None:
    receive(container, "Оформите, пожалуйста, возвратом за заказ", phone="+79160000001")
    receive(container, "Пришлите счёт на оплату", phone="+79160000002", minute=1)
    receive(container, "The refund was refunded twice", phone="+79160000003", minute=2)
    receive(container, "Совсем о другом", phone="+79160000004", minute=3)

    [refund] = found(container, "возврат").results
    assert marked(refund.matches[0]) == ["возвратом"]
    assert refund.phone == "+79160000001" and refund.match_count == 1
    [bill] = found(container, "СЧЕТА").results
    assert marked(bill.matches[0]) == ["счёт"]
    [english] = found(container, "refunds").results
    assert marked(english.matches[0]) == ["refund", "refunded"]
    assert found(container, "счёт оплата").results[0].dialog_id == bill.dialog_id
    assert found(container, "счёт возврат").results == []  # every word, in one message


def test_a_number_is_found_in_any_spelling_in_the_client_and_in_messages(
        container: Container) -> None:
    client = receive(container, "Здравствуйте", phone="+79161234567", name="Анна")
    written = receive(container, "Перезвоните на 8 (903) 765-43-21, пожалуйста",
                      phone="+79160000009", minute=1)
    for spelling in ("+7 916 123-45-67", "89161234567", "9161234567", "8-916-123-4567",
                     "123-45-67"):
        page = found(container, spelling)
        assert [r.dialog_id for r in page.results] == [client], spelling
        [match] = page.results[0].matches
        assert match.message_id is None  # the client's number, not a message
        assert marked(match) == ["+79161234567"]
    for spelling in ("+79037654321", "8 903 765 43 21", "765-43-21"):
        [hit] = found(container, spelling).results
        assert hit.dialog_id == written
        assert marked(hit.matches[0]) == ["8 (903) 765-43-21"]


def test_client_names_captions_and_file_names_are_found(container: Container) -> None:
    dialog = receive(container, "Добрый день", phone="+79160000010", name="Пётр Сидоров")
    container.writer.execute_sync(ReceiveClientMedia(
        channel="simulator", external_id="media-1", phone="+79160000010", name="Пётр Сидоров",
        sent_at=T0 + timedelta(minutes=5), media=IncomingMedia(
            kind="document", mime_type="application/pdf", file_name="Договор_поставки.pdf",
            caption="Подписанный экземпляр", source="http://127.0.0.1:9/file")))
    [by_name] = found(container, "Петра").results
    assert by_name.dialog_id == dialog and by_name.client_name == "Пётр Сидоров"
    assert [f.field for f in by_name.matches[0].fragments] == ["CLIENT_NAME"]
    [by_file] = found(container, "договорам поставку").results
    fields = {f.field: f.parts for f in by_file.matches[0].fragments}
    assert fields["FILE_NAME"] == [("Договор", True), ("_", False), ("поставки", True),
                                   (".pdf", False)]
    [by_caption] = found(container, "подписанного экземпляра").results
    assert by_caption.matches[0].message_id is not None
    assert by_caption.matches[0].seq == 2


def test_an_edit_is_found_by_its_new_text_and_a_deleted_message_only_by_those_who_read_all(
        container: Container) -> None:
    receive(container, "Хочу отменить заказ", external_id="m-1")
    container.writer.execute_sync(c.EditClientMessage(
        channel="simulator", external_id="m-1", text="Хочу изменить заказ",
        edited_at=T0 + timedelta(minutes=1)))
    assert found(container, "отменить").results == []
    assert len(found(container, "изменить").results) == 1
    container.writer.execute_sync(RevokeClientMessage(
        channel="simulator", external_id="m-1", revoked_at=T0 + timedelta(minutes=2)))
    [kept] = found(container, "изменить").results
    assert kept.matches[0].revoked
    assert found(container, "изменить", everything=False).results == []  # nor anything else


def test_results_are_dialogs_newest_first_page_by_page(container: Container) -> None:
    dialogs = [receive(container, f"Доставка номер {i}", phone=f"+7916000002{i}", minute=i)
               for i in range(5)]
    receive(container, "Ещё про доставку", phone="+79160000020", minute=9)  # the first, again
    order = [dialogs[0], dialogs[4], dialogs[3], dialogs[2], dialogs[1]]
    seen: list[UUID] = []
    after = None
    while True:
        page = found(container, "доставки", first=2, after=after)
        seen += [r.dialog_id for r in page.results]
        if not page.has_next:
            break
        after = view.decode_cursor(page.results[-1].cursor)
    assert seen == order
    first = found(container, "доставки", first=1).results[0]
    assert (first.match_count, len(first.matches)) == (2, 2)
    assert texts(found(container, "доставки", first=1)) == [["Ещё про доставку",
                                                              "Доставка номер 0"]]


def test_a_renamed_client_is_found_by_the_new_name_only(container: Container) -> None:
    receive(container, "Первое", name="Ivan")
    receive(container, "Второе", name="Иван Кузнецов", minute=1)
    assert [r.client_name for r in found(container, "Кузнецов").results] == ["Иван Кузнецов"]
    assert found(container, "Ivan").results == []


@pytest.mark.parametrize("text,error", [("", EmptySearch), ("  !!! ", EmptySearch),
                                        ("а" * 2000, SearchTooLong)])
def test_an_empty_or_overlong_search_is_refused_with_a_code(text: str, error: type) -> None:
    with pytest.raises(error) as raised:
        parse_search(text)
    assert raised.value.code in ("SEARCH_EMPTY", "SEARCH_TOO_LONG")


def test_the_index_verifies_and_a_rebuild_finds_the_same(container: Container) -> None:
    for i in range(12):
        receive(container, f"Возврат товара {i}" if i % 3 else f"Оплата счёта {i}",
                phone=f"+7916000003{i % 4}", minute=i)
    runner = next(r for r in container.projector.runners if r.name == "search")
    wait_for(lambda: caught_up(container))
    container.projector.stop()
    assert verify(container.store, container.views, runner).ok
    before = found(container, "возвраты")
    with container.views.writer.begin() as conn:  # a broken index: a row gone, one changed
        conn.execute(view.documents.delete().where(view.documents.c.kind == "client"))
        conn.execute(view.documents.update().values(terms="x"))
    assert found(container, "возвраты").results == []
    assert not verify(container.store, container.views, runner).ok
    rebuild_aside(container.store, container.views, runner)
    assert verify(container.store, container.views, runner).ok
    after = found(container, "возвраты")
    assert [r.dialog_id for r in after.results] == [r.dialog_id for r in before.results]
    assert len(after.results) == 4
    with container.views.reader.connect() as conn:
        total = conn.execute(sa.select(sa.func.count()).select_from(view.documents)).scalar()
    assert total == 12 + 4  # twelve messages, four clients
