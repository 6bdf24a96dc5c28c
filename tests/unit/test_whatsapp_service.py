"""The WhatsApp service drives the simulator gateway through the QR lifecycle, second by second on
an injectable clock: codes rotate (60 s, then 20 s), six unscanned codes fail the linking, "refresh"
starts over, a scan or a pairing code links, a lost connection reconnects with backoff."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from application.channel import CheckChannel
from application.registry import all_handlers
from application.whatsapp import WhatsAppService
from domain.channel import AlreadyLinked, ChannelStatus, NotLinked, WhatsAppChannel
from domain.ids import natural_id
from infra.channels.simulator.gateway import PhoneRefused, SimulatorWhatsAppGateway
from infra.eventstore import open_event_store
from infra.settings import Settings
from infra.writer import GroupCommitWriter

ADMIN = "operator:admin"


class Clock:
    def __init__(self) -> None:
        self.at = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


class World:
    def __init__(self, tmp: Path) -> None:
        self.store = open_event_store(Settings(database_url=f"sqlite:///{tmp}/events.db"))
        self.writer = GroupCommitWriter(self.store, all_handlers())
        self.clock = Clock()
        self.phone = SimulatorWhatsAppGateway("+15555550100", now=self.clock.now)
        self.service = WhatsAppService(bus=self.writer, gateway=self.phone, clock=self.clock,
                                       pairing_wait_seconds=0.5)
        self.phone.listen(self.service.gateway_reported)

    def run(self, seconds: int) -> Any:
        """Lets `seconds` pass, one supervisor tick per second."""
        state = None
        for _ in range(seconds):
            self.clock.advance(1)
            state = self.service.tick()
        return state

    def events(self, kind: type) -> list[Any]:
        channel_id = natural_id("whatsapp-channel", "default")
        return [e for e in self.store.repository.event_store.get(channel_id)
                if isinstance(e, kind)]

    def state(self) -> Any:
        return self.writer.execute_sync(CheckChannel(now=self.clock.now())).state


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    built = World(tmp_path)
    try:
        yield built
    finally:
        built.store.close()


def test_linking_shows_the_first_code_at_once_for_60_seconds(world: World) -> None:
    state = world.service.start_linking(ADMIN)
    assert state.status == ChannelStatus.SCAN_QR_CODE
    assert state.qr_sequence == 1
    assert state.qr_expires_at == world.clock.now() + timedelta(seconds=60)
    assert world.run(59).qr_sequence == 1
    assert world.run(1).qr_sequence == 2


def test_codes_rotate_every_20_seconds_and_the_linking_fails_after_six(world: World) -> None:
    world.service.start_linking(ADMIN)
    world.run(60)
    sequences = [world.run(20).qr_sequence for _ in range(4)]
    assert sequences == [3, 4, 5, 6]
    state = world.run(19)
    assert (state.status, state.qr_sequence) == (ChannelStatus.SCAN_QR_CODE, 6)
    state = world.run(1)
    assert state.status == ChannelStatus.FAILED
    issued = world.events(WhatsAppChannel.QrCodeIssued)
    assert [e.sequence for e in issued] == [1, 2, 3, 4, 5, 6]
    assert len({e.value for e in issued}) == 6  # every code is a new one
    assert len(world.events(WhatsAppChannel.LinkFailed)) == 1
    world.run(120)
    assert len(world.events(WhatsAppChannel.QrCodeIssued)) == 6  # nothing after failing


def test_refresh_starts_the_series_over_with_a_60_second_code(world: World) -> None:
    world.service.start_linking(ADMIN)
    world.run(160)
    assert world.state().status == ChannelStatus.FAILED
    state = world.service.refresh(ADMIN)
    assert state.status == ChannelStatus.SCAN_QR_CODE and state.qr_sequence == 1
    assert state.qr_expires_at == world.clock.now() + timedelta(seconds=60)


def test_refreshing_in_the_middle_of_a_series_starts_over_too(world: World) -> None:
    world.service.start_linking(ADMIN)
    world.run(90)  # codes at 0, 60 and 80 s
    assert world.state().qr_sequence == 3
    assert world.service.refresh(ADMIN).qr_sequence == 1


def test_scanning_the_current_code_links_with_the_number_and_device(world: World) -> None:
    world.service.start_linking(ADMIN)
    world.run(70)
    world.phone.scan()
    state = world.state()
    assert state.status == ChannelStatus.WORKING
    assert (state.phone, state.device) == ("+15555550100", "Switchboard simulator")


def test_an_expired_code_cannot_be_scanned(world: World) -> None:
    world.service.start_linking(ADMIN)
    old = world.events(WhatsAppChannel.QrCodeIssued)[-1].value
    world.run(60)
    with pytest.raises(PhoneRefused) as refused:
        world.phone.scan(old)
    assert refused.value.code == "QR_CODE_EXPIRED"
    current = world.events(WhatsAppChannel.QrCodeIssued)[-1].value
    world.phone.scan(current)
    assert world.state().status == ChannelStatus.WORKING


def test_a_pairing_code_links_the_number_it_was_asked_for(world: World) -> None:
    state = world.service.request_pairing_code("8 916 123-45-67", ADMIN)
    assert state.status == ChannelStatus.SCAN_QR_CODE and state.qr_sequence == 1
    issued = world.events(WhatsAppChannel.PairingCodeIssued)[-1]
    assert issued.phone == "+79161234567" and len(issued.code) == 9
    with pytest.raises(PhoneRefused):
        world.phone.enter_pairing_code("WRNG-CODE")
    world.phone.enter_pairing_code(issued.code.lower())
    assert world.state().phone == "+79161234567"


def test_unlinking_logs_out_and_linking_again_needs_a_new_scan(world: World) -> None:
    world.service.start_linking(ADMIN)
    world.phone.scan()
    state = world.service.unlink(ADMIN)
    assert state.status == ChannelStatus.STOPPED
    assert world.phone.status().status == "STOPPED"
    with pytest.raises(NotLinked):
        world.service.unlink(ADMIN)
    assert world.service.start_linking(ADMIN).qr_sequence == 1
    world.phone.scan()
    assert world.state().status == ChannelStatus.WORKING
    with pytest.raises(AlreadyLinked):
        world.service.start_linking(ADMIN)


def test_a_dropped_connection_shows_as_reconnecting_and_retries_with_backoff(
    world: World
) -> None:
    world.service.start_linking(ADMIN)
    world.phone.scan()
    world.phone.drop()
    state = world.state()
    assert state.status == ChannelStatus.STARTING and state.reconnecting
    world.run(60)
    failures = world.events(WhatsAppChannel.ReconnectFailed)
    gaps = [(b.retry_at - a.retry_at).total_seconds() for a, b in pairwise(failures)]
    assert len(failures) >= 3
    assert gaps == sorted(gaps) and gaps[0] < gaps[-1]  # the waits grow
    world.phone.restore()
    state = world.state()
    assert state.status == ChannelStatus.WORKING and not state.reconnecting
    assert len(world.events(WhatsAppChannel.Reconnected)) == 1


def test_a_connection_lost_without_a_report_is_found_by_polling(world: World) -> None:
    world.service.start_linking(ADMIN)
    world.phone.scan()
    world.phone._listeners.clear()  # a webhook that never arrives
    world.phone.drop()
    world.run(31)
    assert world.state().reconnecting
    world.phone.restore()
    world.run(40)
    assert world.state().status == ChannelStatus.WORKING


def test_at_start_the_gateway_is_told_whom_the_history_says_it_is_linked_as(
    world: World
) -> None:
    world.service.start_linking(ADMIN)
    world.phone.scan()
    restarted = SimulatorWhatsAppGateway("+15555550100", now=world.clock.now)
    service = WhatsAppService(bus=world.writer, gateway=restarted, clock=world.clock)
    assert restarted.status().status == "STOPPED"
    service.tick()
    assert restarted.status().status == "WORKING"
    assert world.state().status == ChannelStatus.WORKING
    assert world.events(WhatsAppChannel.ConnectionLost) == []


def test_a_gateway_that_cannot_start_fails_the_linking_with_its_reason(world: World) -> None:
    from application.ports import GatewayError

    def broken() -> Any:
        raise GatewayError("WAHA is not reachable at http://waha:3000.")

    world.phone.start = broken  # type: ignore[method-assign]
    state = world.service.start_linking(ADMIN)
    assert state.status == ChannelStatus.FAILED
    assert "not reachable" in state.reason
