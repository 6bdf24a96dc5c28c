"""The client card's read model, on SQLite and PostgreSQL: the phonebook entry is found by any of
its numbers, a second import's changes and an operator's name and note land on their rows, and
the rows are the same whether the projection reads the log in one batch or one event at a
time."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from application import commands as c
from application.client_card import NameClient, NoteClient
from application.setup import ContactRow, ImportContacts, StartPhonebookImport
from domain.ids import operator_id
from infra.bootstrap import Container
from infra.projection.projector import ProjectionRunner
from projections.client_card import ClientCardProjection, cards
from tests.conftest import caught_up, make_settings, running_container, wait_for
from tests.integration.test_projections import snapshot

NOW = datetime(2026, 12, 9, 12, 0, tzinfo=UTC)
FIRST, SECOND, STRANGER = "+79161230011", "+79161230012", "+79161230022"


def imported(container: Container, rows: list[ContactRow]) -> None:
    import_id = uuid4()
    container.writer.execute_sync(StartPhonebookImport(import_id=import_id, source="csv",
                                                       rows=len(rows), actor="admin"))
    container.writer.execute_sync(ImportContacts(import_id=import_id, rows=rows, done=len(rows),
                                                 actor="system:phonebook", source="csv"))


def test_the_card_finds_the_entry_by_any_number_and_rebuilds_the_same_one_event_at_a_time(
    database_url: str
) -> None:
    settings = make_settings(database_url)
    with running_container(settings) as container:
        run = container.writer.execute_sync
        imported(container, [ContactRow(row=2, name="Anna", company="Horns", phones=[FIRST],
                                        position="Accountant", comment="", reference="REF-1")])
        imported(container, [ContactRow(row=2, name="Anna Smirnova", company="Horns & Hooves",
                                        phones=[FIRST, SECOND], position="CFO")])
        by_second = run(c.ReceiveClientMessage(channel="simulator", external_id="m1",
                                               phone=SECOND, name="Anya", text="Hi",
                                               sent_at=NOW)).dialog_id
        stranger = run(c.ReceiveClientMessage(channel="simulator", external_id="m2",
                                              phone=STRANGER, name="", text="Hello",
                                              sent_at=NOW)).dialog_id
        admin = operator_id("admin")
        assert run(NameClient(dialog_id=stranger, name="Boris", operator_id=admin, admin=True,
                              actor="operator:admin"))
        assert run(NoteClient(dialog_id=stranger, note="Calls back", operator_id=admin,
                              admin=True, actor="operator:admin"))
        wait_for(lambda: caught_up(container))

        with container.views.reader.connect() as conn:
            found = cards(conn, [by_second, stranger])
        entry = found[by_second].entry
        assert entry is not None
        assert (entry.name, entry.company, entry.position, entry.comment, entry.reference,
                entry.source) == ("Anna Smirnova", "Horns & Hooves", "CFO", "", "REF-1", "csv")
        assert found[stranger].entry is None
        assert (found[stranger].display_name, found[stranger].note,
                found[stranger].named_by) == ("Boris", "Calls back", "operator:admin")

        rows = snapshot(container, ClientCardProjection())
        container.projector.stop()
        one_by_one = ProjectionRunner(container.store, container.views, ClientCardProjection(),
                                      batch_size=1, postgres=settings.is_postgres)
        one_by_one.reset()
        one_by_one.run_until_caught_up()
        assert snapshot(container, ClientCardProjection()) == rows
