"""Error 131056, Meta's pair rate limit ("too many messages to the same user in a short time"),
on both backends: a reply refused with it is not failed but retried by the sending run, after a
pause that grows, and goes out once Meta takes it again. The run happens by hand on the test's
clock, against a fake Graph API on loopback."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from application import commands as c
from application import outbox as ob
from application.channel import UpdateMessengerSettings
from domain.channel import ChannelStatus
from domain.ids import operator_id
from infra.bootstrap import Container, bootstrap, ensure_first_admin
from infra.channels.cloud.fake import PHONE_NUMBER_ID, TOKEN, FakeGraph
from infra.channels.cloud.gateway import CloudWhatsAppGateway
from infra.migrations import migrate
from infra.security import Argon2PasswordHasher
from projections import outbox as outbox_view
from tests.conftest import caught_up, make_settings, wait_for
from tests.unit.routing_desk import FakeClock

ADMIN = operator_id("admin")
CLIENT = "+79161234567"


@contextlib.contextmanager
def cloud_installation(database_url: str, clock: FakeClock, graph: FakeGraph
                       ) -> Iterator[Container]:
    """The Cloud API as the WhatsApp gateway; the sending run goes by hand."""
    settings = make_settings(database_url, run_routing_jobs=False, run_sync_job=False,
                             outbox_max_attempts=5, outbox_retry_first_seconds=2,
                             outbox_lease_seconds=60)
    migrate(settings)
    gateway = CloudWhatsAppGateway(
        graph_url=graph.url, access_token=TOKEN, phone_number_id=PHONE_NUMBER_ID,
        last_client_message=lambda to: clock.now(), clock=clock, timeout=5)
    container = bootstrap(settings, hasher=Argon2PasswordHasher(fast=True), clock=clock,
                          gateway=gateway)
    container.start()
    try:
        ensure_first_admin(container)
        assert container.whatsapp.service.start_linking("operator:admin").status == \
            ChannelStatus.WORKING
        container.writer.execute_sync(UpdateMessengerSettings(
            in_service=True, employees_may_write_first=False, actor="operator:admin"))
        yield container
    finally:
        container.stop()
        gateway.close()


def a_reply_waits(container: Container) -> UUID:
    received = container.writer.execute_sync(c.ReceiveClientMessage(
        channel="cloud", external_id=f"wamid.{uuid.uuid4().hex}", phone=CLIENT, name="Ivan",
        text="Hello", sent_at=container.clock.now()))
    queued: ob.Queued = container.writer.execute_sync(ob.SendMessage(
        dialog_id=UUID(str(received.dialog_id)), operator_id=ADMIN, text="Good morning",
        key=uuid.uuid4().hex, at=container.clock.now(), actor="operator:admin"))
    return queued.message_id


def run(container: Container) -> Any:
    wait_for(lambda: caught_up(container))
    report = container.sync.run()
    wait_for(lambda: caught_up(container))
    return report


def requests_to_meta(graph: FakeGraph) -> int:
    return sum(1 for request in graph.server.requests if request[1].endswith("/messages"))


def test_a_reply_refused_for_the_pair_rate_limit_is_retried_later_and_then_sent(
        database_url: str) -> None:
    clock = FakeClock(datetime.now(UTC))
    graph = FakeGraph().start()
    try:
        with cloud_installation(database_url, clock, graph) as container:
            graph.pair_limited[CLIENT.lstrip("+")] = 2  # Meta refuses the next two sends
            message_id = a_reply_waits(container)
            assert run(container).retrying == 1
            with container.views.reader.connect() as conn:
                waiting = outbox_view.outgoing_message(conn, message_id)
            assert waiting is not None
            assert (waiting.status, waiting.failure_code) == ("queued", "CLOUD_PAIR_RATE_LIMIT")
            clock.advance(2)  # the outbox's first wait; the gateway still holds this client
            assert run(container).retrying == 1
            assert requests_to_meta(graph) == 1  # refused here, Meta not asked again
            clock.advance(4)  # 6 s after the 131056: Meta is asked, and refuses once more
            assert run(container).retrying == 1
            assert requests_to_meta(graph) == 2
            clock.advance(8)  # the hold has doubled to 12 s: not over yet
            assert run(container).retrying == 1 and requests_to_meta(graph) == 2
            clock.advance(16)
            assert run(container).sent == 1
            assert [m["text"]["body"] for m in graph.sent] == ["Good morning"]
    finally:
        graph.stop()
