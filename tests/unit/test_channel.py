"""The WhatsApp channel aggregate: the linked-device lifecycle, the QR series, reconnecting with
backoff, the messenger settings and what is kept while out of service."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from domain.channel import (
    AlreadyLinked,
    ChannelNotReady,
    ChannelStatus,
    Due,
    EmployeesMayNotWriteFirst,
    LinkMethod,
    NotLinked,
    NotLinking,
    WhatsAppChannel,
    qr_lifetime,
    reconnect_delay,
)
from domain.clients import Client
from domain.errors import InvalidValue, NotAllowed

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
ADMIN = "operator:admin"


def seconds(n: float) -> datetime:
    return T0 + timedelta(seconds=n)


def linking() -> WhatsAppChannel:
    channel = WhatsAppChannel(actor=ADMIN)
    channel.start_linking(method=LinkMethod.QR, now=T0, actor=ADMIN)
    return channel


def linked() -> WhatsAppChannel:
    channel = linking()
    channel.link(phone="+79990001122", device="WAHA WEBJS", actor="system")
    return channel


def test_a_new_channel_is_stopped_out_of_service_and_closed_to_employees_writing_first() -> None:
    channel = WhatsAppChannel(actor="system")
    assert channel.status == ChannelStatus.STOPPED
    assert not channel.in_service and not channel.employees_may_write_first


def test_the_first_qr_code_lives_60_seconds_and_each_next_one_20() -> None:
    assert qr_lifetime(1) == timedelta(seconds=60)
    assert [qr_lifetime(n) for n in range(2, 7)] == [timedelta(seconds=20)] * 5
    channel = linking()
    channel.issue_qr_code(sequence=1, value="2@a", now=T0, actor="system")
    assert channel.status == ChannelStatus.SCAN_QR_CODE
    assert channel.qr_expires_at == seconds(60)
    assert channel.check(now=seconds(59), actor="system") == Due.NOTHING
    assert channel.check(now=seconds(60), actor="system") == Due.QR_CODE
    channel.issue_qr_code(sequence=2, value="2@b", now=seconds(60), actor="system")
    assert channel.qr_expires_at == seconds(80)


def test_after_six_expired_codes_the_linking_fails_with_the_reason() -> None:
    channel = linking()
    now = T0
    for sequence in range(1, 7):
        channel.issue_qr_code(sequence=sequence, value=f"2@{sequence}", now=now, actor="system")
        now += qr_lifetime(sequence)
    assert channel.check(now=now - timedelta(seconds=1), actor="system") == Due.NOTHING
    assert channel.check(now=now, actor="system") == Due.NOTHING
    assert channel.status == ChannelStatus.FAILED
    assert "6 QR codes expired" in channel.reason
    assert isinstance(channel.pending_events[-1], WhatsAppChannel.LinkFailed)


def test_a_seventh_code_or_one_out_of_order_is_refused() -> None:
    channel = linking()
    with pytest.raises(NotAllowed):
        channel.issue_qr_code(sequence=2, value="2@x", now=T0, actor="system")
    for sequence in range(1, 7):
        channel.issue_qr_code(sequence=sequence, value="2@x", now=T0, actor="system")
    with pytest.raises(NotAllowed):
        channel.issue_qr_code(sequence=7, value="2@x", now=T0, actor="system")


def test_refreshing_the_code_starts_a_new_series_even_after_failure() -> None:
    channel = linking()
    channel.issue_qr_code(sequence=1, value="2@a", now=T0, actor="system")
    channel.fail(reason="No code was scanned.", actor="system")
    channel.refresh(now=seconds(300), actor=ADMIN)
    assert channel.status == ChannelStatus.STARTING and channel.qr_sequence == 0
    channel.issue_qr_code(sequence=1, value="2@b", now=seconds(301), actor="system")
    assert channel.qr_expires_at == seconds(361)


def test_a_gateway_that_offers_no_code_within_a_minute_fails_the_linking() -> None:
    channel = linking()
    channel.check(now=seconds(59), actor="system")
    assert channel.status == ChannelStatus.STARTING
    channel.check(now=seconds(60), actor="system")
    assert channel.status == ChannelStatus.FAILED


def test_a_pairing_code_is_recorded_for_a_number_while_linking_only() -> None:
    channel = WhatsAppChannel(actor=ADMIN)
    with pytest.raises(NotLinking):
        channel.issue_pairing_code(phone="+79161234567", code="ABCD-EFGH", actor=ADMIN)
    channel.start_linking(method=LinkMethod.PAIRING_CODE, now=T0, actor=ADMIN)
    channel.issue_pairing_code(phone="+79161234567", code="abcd-efgh", actor=ADMIN)
    assert channel.pairing_code == "ABCD-EFGH"
    assert "+79161234567" in channel.reason


def test_a_link_records_the_number_and_device_and_clears_the_codes() -> None:
    channel = linking()
    channel.issue_qr_code(sequence=1, value="2@a", now=T0, actor="system")
    channel.link(phone="+79990001122", device="WAHA WEBJS", actor="system")
    assert (channel.status, channel.phone, channel.device) == (
        ChannelStatus.WORKING, "+79990001122", "WAHA WEBJS")
    assert channel.qr_value == "" and channel.qr_expires_at is None


def test_linking_twice_is_refused_and_unlinking_then_linking_again_works() -> None:
    channel = linked()
    with pytest.raises(AlreadyLinked):
        channel.start_linking(method=LinkMethod.QR, now=T0, actor=ADMIN)
    channel.unlink(reason="Unlinked by an admin.", actor=ADMIN)
    assert channel.status == ChannelStatus.STOPPED and channel.phone == ""
    with pytest.raises(NotLinked):
        channel.unlink(reason="again", actor=ADMIN)
    channel.start_linking(method=LinkMethod.QR, now=seconds(10), actor=ADMIN)
    channel.link(phone="+79990001123", device="phone 2", actor="system")
    assert channel.phone == "+79990001123"


def test_a_lost_connection_reconnects_with_growing_backoff_until_it_is_back() -> None:
    assert [reconnect_delay(n).total_seconds() for n in range(1, 6)] == [2, 4, 8, 16, 32]
    assert reconnect_delay(50) == timedelta(minutes=5)
    channel = linked()
    channel.lose_connection(reason="The phone lost its connection.", now=T0, actor="system")
    assert channel.status == ChannelStatus.STARTING and channel.reconnecting
    assert channel.retry_at == seconds(2)
    assert channel.check(now=seconds(1), actor="system") == Due.NOTHING
    assert channel.check(now=seconds(2), actor="system") == Due.RECONNECT
    channel.reconnect_failed(reason="still offline", now=seconds(2), actor="system")
    assert channel.reconnect_attempt == 1 and channel.retry_at == seconds(6)
    channel.reconnect_failed(reason="still offline", now=seconds(6), actor="system")
    assert channel.retry_at == seconds(14)
    channel.reconnect(actor="system")
    assert channel.status == ChannelStatus.WORKING and not channel.reconnecting
    assert channel.phone == "+79990001122"


def test_gateway_reports_become_transitions_and_repeats_record_nothing() -> None:
    channel = linking()
    channel.gateway_reported(status=ChannelStatus.WORKING, phone="+79990001122", device="d",
                             reason="", now=T0, actor="system")
    assert channel.status == ChannelStatus.WORKING
    before = len(channel.pending_events)
    channel.gateway_reported(status=ChannelStatus.WORKING, phone="+79990001122", device="d",
                             reason="", now=T0, actor="system")
    assert len(channel.pending_events) == before
    channel.gateway_reported(status=ChannelStatus.STARTING, phone="", device="", reason="",
                             now=T0, actor="system")
    assert channel.reconnecting
    channel.gateway_reported(status=ChannelStatus.WORKING, phone="", device="", reason="",
                             now=T0, actor="system")
    assert channel.status == ChannelStatus.WORKING and not channel.reconnecting
    channel.gateway_reported(status=ChannelStatus.SCAN_QR_CODE, phone="", device="", reason="",
                             now=T0, actor="system")
    assert channel.status == ChannelStatus.STOPPED
    assert "logged this device out" in channel.reason


def test_a_stale_working_report_does_not_relink_what_an_admin_unlinked() -> None:
    channel = linked()
    channel.unlink(reason="Unlinked by an admin.", actor=ADMIN)
    channel.gateway_reported(status=ChannelStatus.WORKING, phone="+79990001122", device="d",
                             reason="", now=T0, actor="system")
    assert channel.status == ChannelStatus.STOPPED


def test_every_change_of_status_is_an_event_with_its_reason_and_who_acted() -> None:
    channel = linked()
    channel.lose_connection(reason="Wi-Fi gone", now=T0, actor="system")
    channel.unlink(reason="Unlinked by an admin.", actor=ADMIN)
    for event in channel.pending_events[1:]:
        assert event.actor
        if not isinstance(event, WhatsAppChannel.QrCodeIssued):
            assert getattr(event, "reason", "x")


def test_employees_may_write_first_only_when_the_switch_is_on() -> None:
    channel = linked()
    with pytest.raises(EmployeesMayNotWriteFirst):
        channel.ensure_employees_may_write_first()
    channel.update_settings(in_service=True, employees_may_write_first=True, actor=ADMIN)
    channel.ensure_employees_may_write_first()


def test_settings_that_change_nothing_record_nothing() -> None:
    channel = WhatsAppChannel(actor=ADMIN)
    assert not channel.update_settings(in_service=False, employees_may_write_first=False,
                                       actor=ADMIN)
    assert channel.update_settings(in_service=True, employees_may_write_first=False, actor=ADMIN)


def test_sending_needs_the_channel_in_service_and_connected() -> None:
    channel = linked()
    with pytest.raises(ChannelNotReady):
        channel.ensure_ready_to_send()
    channel.update_settings(in_service=True, employees_may_write_first=False, actor=ADMIN)
    channel.ensure_ready_to_send()
    channel.lose_connection(reason="gone", now=T0, actor="system")
    with pytest.raises(ChannelNotReady):
        channel.ensure_ready_to_send()


def test_messages_are_held_only_while_out_of_service_and_released_all_at_once() -> None:
    channel = linked()
    held = [uuid4(), uuid4()]
    for hid in held:
        channel.hold(hid, actor="client:+79161234567")
    with pytest.raises(NotAllowed):
        channel.release_held(ADMIN)
    channel.update_settings(in_service=True, employees_may_write_first=False, actor=ADMIN)
    with pytest.raises(NotAllowed):
        channel.hold(uuid4(), actor="client:+79161234567")
    assert channel.release_held(ADMIN) == held
    assert channel.release_held(ADMIN) == []


def test_a_malformed_qr_value_is_refused() -> None:
    channel = linking()
    with pytest.raises(InvalidValue):
        channel.issue_qr_code(sequence=1, value="  ", now=T0, actor="system")


def test_a_client_known_only_by_lid_is_kept_and_later_merged_into_the_number() -> None:
    lid = Client.register(phone="lid:123456789012345", name="Ivan", actor="client:lid")
    dialog = uuid4()
    lid.start_episode(dialog, actor="client:lid")
    number = Client.register(phone="+79161234567", name="Ivan", actor="system")
    lid.merge_into(number, actor="system")
    assert number.current_dialog_id == dialog
    assert lid.merged_into == number.id and lid.current_dialog_id is None
    with pytest.raises(InvalidValue):
        Client.register(phone="lid:<script>", name="x", actor="x")
