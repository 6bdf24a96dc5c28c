"""The inbox's read model of conversation events, on SQLite and PostgreSQL: a reply typed on the
phone, a reaction and a deletion land on the right rows, and the rows are the same whether the
projection reads them in one batch or one event at a time."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from application import commands as c
from application.conversation import ReactToMessage, RecordPhoneReply, RevokeClientMessage
from infra.bootstrap import Container
from infra.projection.projector import ProjectionRunner
from projections.inbox import InboxProjection, messages, reactions_of
from tests.conftest import caught_up, make_settings, running_container, wait_for
from tests.integration.test_projections import snapshot

NOW = datetime(2026, 12, 8, 12, 0, tzinfo=UTC)
PHONE = "+79161234567"


def conversation(container: Container) -> None:
    run = container.writer.execute_sync
    for external_id, text in (("false_A", "Hello"), ("false_B", "Wrong chat")):
        run(c.ReceiveClientMessage(channel="waha", external_id=external_id, phone=PHONE,
                                   name="Ivan", text=text, sent_at=NOW))
    assert run(RecordPhoneReply(channel="waha", external_id="true_P", recipient=PHONE,
                                text="From the phone", sent_at=NOW))
    assert run(ReactToMessage(channel="waha", target_external_id="false_A", sender=PHONE,
                              emoji="👍", at=NOW))
    assert run(ReactToMessage(channel="waha", target_external_id="true_P", sender=PHONE,
                              emoji="🙏", at=NOW))
    assert run(RevokeClientMessage(channel="waha", external_id="false_B", revoked_at=NOW))


def test_conversation_events_land_on_their_rows_whatever_the_batches(database_url: str) -> None:
    settings = make_settings(database_url)
    with running_container(settings) as container:
        conversation(container)
        wait_for(lambda: caught_up(container))
        rows = snapshot(container, InboxProjection())
        shown = sorted((r["text"], r["direction"], bool(r["from_phone"]),
                        r["revoked_at"] is not None, reactions_of(r["reactions"]))
                       for r in _as_dicts(container))
        assert shown == [
            ("From the phone", "out", True, False, {PHONE: "🙏"}),
            ("Hello", "in", False, False, {PHONE: "👍"}),
            ("Wrong chat", "in", False, True, {}),
        ]
        container.projector.stop()
        one_by_one = ProjectionRunner(container.store, container.views, InboxProjection(),
                                      batch_size=1, postgres=settings.is_postgres)
        one_by_one.reset()
        one_by_one.run_until_caught_up()
        assert snapshot(container, InboxProjection()) == rows


def _as_dicts(container: Container) -> list[dict[str, object]]:
    with container.views.reader.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(messages))]
