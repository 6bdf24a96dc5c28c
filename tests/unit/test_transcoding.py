"""Stored events read back quickly, and exactly as the eventsourcing library would read them."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID, uuid4

from eventsourcing.persistence import DatetimeAsISO, DecimalAsStr, JSONTranscoder, UUIDAsHex

from infra.transcoding import FastJSONTranscoder


def transcoders() -> tuple[FastJSONTranscoder, JSONTranscoder]:
    ours, theirs = FastJSONTranscoder(), JSONTranscoder()
    for transcoder in (ours, theirs):
        for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO()):
            transcoder.register(transcoding)
    return ours, theirs


def test_tagged_values_come_back_wherever_they_stand() -> None:
    ours, theirs = transcoders()
    state = {"id": uuid4(), "at": datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
             "amount": Decimal("12.50"), "recipients": [uuid4(), uuid4()],
             "nested": {"who": uuid4(), "when": [datetime(2026, 1, 1)]}, "text": "счёт",
             "count": 3, "ratio": 0.5, "none": None, "flag": True}
    encoded = theirs.encode(state)
    assert ours.decode(encoded) == theirs.decode(encoded) == state


def test_the_same_id_decodes_to_the_same_object() -> None:
    ours, _ = transcoders()
    same = uuid4()
    first = ours.decode(ours.encode({"id": same}))["id"]
    again = ours.decode(ours.encode({"other": same}))["other"]
    assert first == same and first is again


def test_what_orjson_refuses_is_still_read_by_the_librarys_decoder() -> None:
    ours, theirs = transcoders()
    encoded = theirs.encode({"nan": float("nan"), "big": 2**70, "id": UUID(int=7)})
    decoded = ours.decode(encoded)
    assert decoded["nan"] != decoded["nan"] and decoded["big"] == 2**70
    assert decoded["id"] == UUID(int=7)
