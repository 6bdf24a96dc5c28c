"""Decoding stored events quickly: what every projection, rebuild and writer start-up pays per
event. The same JSON the eventsourcing library writes, read back to the same domain events —
only faster:

* orjson parses the bytes (the library's `json.JSONDecoder` with an object hook calls back into
  Python for every object, tagged value or not);
* one walk turns the tagged values (`{"_type_": "uuid_hex", "_data_": …}`) back into objects,
  and the same UUID text gives the same `UUID` object (so the projections' dictionaries, keyed by
  ids, compare them by identity instead of calling `UUID.__eq__`);
* the event class, its version and id conversion are looked up once per topic.

Anything orjson refuses (NaN, integers beyond 64 bits) falls back to the library's decoder, so
what was stored is always read.
"""

from __future__ import annotations

from collections.abc import Hashable
from datetime import datetime
from typing import Any, cast
from uuid import UUID

import orjson
from eventsourcing.persistence import (
    Cipher,
    Compressor,
    JSONTranscoder,
    Mapper,
    MapperDeserialisationError,
    StoredEvent,
    Transcoder,
    TranscodingNotRegisteredError,
    find_id_convertor,
)
from eventsourcing.utils import resolve_topic

INTERNED_UUIDS = 200_000  # ids kept for reuse; the cache starts afresh beyond that


class FastJSONTranscoder(JSONTranscoder):
    """The library's JSON transcoder (it still encodes), decoding with orjson."""

    def __init__(self) -> None:
        super().__init__()
        self._uuids: dict[str, UUID] = {}

    def decode(self, data: bytes) -> Any:
        try:
            parsed = orjson.loads(data)
        except orjson.JSONDecodeError:
            return super().decode(data)
        if type(parsed) is not dict:
            return self._walk(parsed)
        # An event's state: its fields' tagged values turned back in place, without a call per
        # field (the walk below, for whatever nests deeper).
        for key, item in parsed.items():
            if type(item) is dict:
                if len(item) == 2 and "_type_" in item and "_data_" in item:
                    name, value = item["_type_"], item["_data_"]
                    if name == "uuid_hex":
                        found = self._uuids.get(value)
                        parsed[key] = found if found is not None else self._tagged(name, value)
                    elif name == "datetime_iso":
                        parsed[key] = datetime.fromisoformat(value)
                    else:
                        parsed[key] = self._tagged(name, value)
                else:
                    parsed[key] = self._walk(item)
            elif type(item) is list:
                parsed[key] = self._walk(item)
        return parsed

    def _walk(self, value: Any) -> Any:
        kind = type(value)
        if kind is dict:
            if len(value) == 2 and "_type_" in value and "_data_" in value:
                return self._tagged(value["_type_"], value["_data_"])
            return {key: self._walk(item) if type(item) in _CONTAINERS else item
                    for key, item in value.items()}
        if kind is list:
            return [self._walk(item) if type(item) in _CONTAINERS else item for item in value]
        return value

    def intern(self, value: UUID) -> UUID:
        """The shared object for this id (an event's originator id, read as a column)."""
        return self._uuids.setdefault(value.hex, value)

    def _tagged(self, name: str, data: Any) -> Any:
        if name == "uuid_hex":
            found = self._uuids.get(data)
            if found is None:
                if len(self._uuids) >= INTERNED_UUIDS:
                    self._uuids = {}
                found = self._uuids[data] = UUID(data)
            return found
        if name == "datetime_iso":
            return datetime.fromisoformat(data)
        try:
            transcoding = self.names[name]
        except KeyError:
            raise TranscodingNotRegisteredError(
                f"Data serialized with name '{name}' is not deserializable. Please register a "
                "custom transcoding for this type.") from None
        # As the library's object hook: the data's own tagged values are decoded first.
        return transcoding.decode(self._walk(data) if type(data) in _CONTAINERS else data)


_CONTAINERS = (dict, list)


class FastMapper(Mapper[UUID]):
    """The library's mapper, with the per-topic work done once."""

    def __init__(self, transcoder: Transcoder, compressor: Compressor | None = None,
                 cipher: Cipher | None = None) -> None:
        super().__init__(transcoder=transcoder, compressor=compressor, cipher=cipher)
        self._classes: dict[str, tuple[type, int]] = {}

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        if self.cipher or self.compressor:
            return super().to_domain_event(stored_event)
        return self.event(stored_event.topic, stored_event.state, stored_event.originator_id,
                          stored_event.originator_version)

    def event(self, topic: str, data: bytes, originator_id: Any, originator_version: int) -> Any:
        """The domain event stored with this topic, state and originator (read straight off a
        row of the log: no stored-event object in between)."""
        if self.cipher or self.compressor:
            return super().to_domain_event(StoredEvent(
                originator_id=originator_id, originator_version=originator_version,
                topic=topic, state=data))
        known = self._classes.get(topic)
        if known is None:
            cls = resolve_topic(topic)
            known = self._classes[topic] = (cls, getattr(cls, "class_version", 1))
        cls, class_version = known
        try:
            state: dict[str, Any] = self.transcoder.decode(data)
        except Exception as e:
            raise MapperDeserialisationError(
                f"Failed to deserialise state of stored event with topic '{topic}', "
                f"originator_id '{originator_id}' and originator_version "
                f"{originator_version}: {e}") from e
        convert = find_id_convertor(cls, cast(Hashable, type(originator_id)))
        originator_id = convert(originator_id)
        if type(originator_id) is UUID and isinstance(self.transcoder, FastJSONTranscoder):
            originator_id = self.transcoder.intern(originator_id)
        state["originator_id"] = originator_id
        state["originator_version"] = originator_version
        from_version = state.pop("class_version", 1)
        while from_version < class_version:
            getattr(cls, f"upcast_v{from_version}_v{from_version + 1}")(state)
            from_version += 1
        domain_event: Any = object.__new__(cls)
        object.__setattr__(domain_event, "__dict__", state)
        return domain_event
