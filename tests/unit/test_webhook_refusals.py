"""A refused webhook item's record: one per item (its own id, else a hash of it), with the raw
item capped, refusing a record that says nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.errors import InvalidValue
from domain.webhook_refusals import EXCERPT_MAX, RefusedWebhookItem, refused_item_id

AT = datetime(2026, 12, 9, 12, 0, tzinfo=UTC)


def record(**given: object) -> RefusedWebhookItem:
    values: dict[str, object] = {
        "channel": "waha", "where": "payload (message)", "item_id": "evt_1",
        "reason": "Malformed message: timestamp: Field required", "raw": b'{"id": "evt_1"}',
        "received_at": AT, "actor": "channel:waha"}
    values.update(given)
    return RefusedWebhookItem.record(**values)  # type: ignore[arg-type]


def test_a_record_keeps_the_channel_where_the_id_the_reason_and_the_raw_item() -> None:
    [recorded] = record().collect_events()
    assert isinstance(recorded, RefusedWebhookItem.Recorded)
    assert (recorded.channel, recorded.where, recorded.item_id, recorded.excerpt,
            recorded.received_at) == ("waha", "payload (message)", "evt_1", '{"id": "evt_1"}', AT)


def test_the_same_item_delivered_again_has_the_same_id_and_another_item_another() -> None:
    assert record().id == record(raw=b"a retry's bytes do not matter with an id").id
    assert record().id != record(item_id="evt_2").id
    assert record().id != record(channel="telegram").id
    assert refused_item_id("cloud", "", b"{1}") == refused_item_id("cloud", "", b"{1}")
    assert refused_item_id("cloud", "", b"{1}") != refused_item_id("cloud", "", b"{2}")


def test_the_excerpt_is_capped_and_undecodable_bytes_do_not_fail_it() -> None:
    assert len(record(raw=b"x" * 10_000).excerpt) == EXCERPT_MAX
    assert record(raw=b"\xff\xfe ok").excerpt.endswith(" ok")


@pytest.mark.parametrize("given", [{"channel": ""}, {"reason": "  "}, {"channel": "x" * 40}])
def test_a_record_without_a_channel_or_a_reason_is_refused(given: dict[str, object]) -> None:
    with pytest.raises(InvalidValue):
        record(**given)
