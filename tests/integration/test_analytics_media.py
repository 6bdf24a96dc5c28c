"""`message_facts.media_kind` follows the media feature's events, whichever comes first: a
client's image (media recorded after the message), a voice note held while WhatsApp was out of
service (media recorded before the message is released), an operator's document."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from uuid import UUID

import sqlalchemy as sa

from application import media as md
from application.channel import UpdateMessengerSettings
from domain.ids import message_id, operator_id
from domain.outbox import outgoing_id
from infra.projection.verify import verify
from projections.analytics.messages import message_facts
from tests.conftest import caught_up, make_settings, running_container, wait_for


def client_media(container, external: str, kind: str):  # type: ignore[no-untyped-def]
    return container.writer.execute_sync(md.ReceiveClientMedia(
        channel="simulator", external_id=external, phone="+79161112233", name="Ivan",
        sent_at=datetime.now(UTC), media=md.IncomingMedia(
            kind=kind, mime_type="image/jpeg" if kind == "image" else "audio/ogg", size=2048,
            source=f"https://files.example.invalid/{external}")))


def test_media_kinds_reach_the_message_facts(database_url: str) -> None:
    settings = make_settings(database_url, run_media_jobs=False, run_routing_jobs=False,
                             run_sync_job=False)
    with running_container(settings) as container:
        received = client_media(container, "img-1", "image")
        writer = container.writer
        writer.execute_sync(UpdateMessengerSettings(in_service=False,
                                                    employees_may_write_first=False,
                                                    actor="admin"))
        held = client_media(container, "voice-1", "voice")
        assert held.received.held
        writer.execute_sync(UpdateMessengerSettings(in_service=True,
                                                    employees_may_write_first=False,
                                                    actor="admin"))
        data = b"%PDF-1.4 invoice"
        writer.execute_sync(md.SendMedia(
            dialog_id=received.received.dialog_id, operator_id=operator_id("admin"),
            key="doc-1", kind="document", sha256=hashlib.sha256(data).hexdigest(),
            size=len(data), mime_type="application/pdf", file_name="invoice.pdf", caption="",
            at=datetime.now(UTC), actor="operator:admin"))
        wait_for(lambda: caught_up(container))
        with container.views.reader.connect() as conn:
            kinds: dict[UUID, str] = dict(conn.execute(  # type: ignore[arg-type]
                sa.select(message_facts.c.id, message_facts.c.media_kind)).all())
        assert kinds[message_id("simulator", "img-1")] == "image"
        assert kinds[message_id("simulator", "voice-1")] == "voice"
        assert kinds[outgoing_id("doc-1")] == "document"
        runner = next(r for r in container.projector.runners if r.name == "analytics_messages")
        result = verify(container.store, container.views, runner)
        assert result.ok, result.differences
