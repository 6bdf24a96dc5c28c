"""Configuration sections: the kernel of the audit and of time travel.

A section is a named part of the configuration (the publication, the PBX, the employee queue, …):
the event classes it cares about, a pure fold `(state, change) -> state` over JSON-safe state,
and `describe(state, configuration) -> {label: readable value}` for the audit's before/after.
The audit projection records every change of every section and can rebuild the whole
configuration at any position of the log. A feature adds its section with one line in
`projections/audit/sections.py`.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

State = dict[str, Any]
Configuration = Mapping[str, State]
SECRET_MARKERS = ("password", "secret", "hash", "token", "encrypted")
ENVELOPE = ("originator_id", "originator_version", "timestamp", "originator_topic", "actor")


@dataclass(frozen=True)
class ConfigChange:
    """One configuration event as the audit keeps it: secrets redacted, values JSON-safe."""

    position: int
    at: datetime
    actor: str
    topic: str
    aggregate_id: str
    data: dict[str, Any]

    def is_(self, *classes: type) -> bool:
        return self.topic in {get_topic(cls) for cls in classes}

    @property
    def kind(self) -> str:
        """The event's name, e.g. "Installation.PublicationSet"."""
        return self.topic.rpartition(":")[2]


def _json_safe(value: Any) -> Any:
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_json_safe(v) for v in value]
    return value


def is_secret(name: str) -> bool:
    lowered = name.lower()
    return any(marker in lowered for marker in SECRET_MARKERS)


def change_of(event: Any, position: int) -> ConfigChange:
    """The generic record of a domain event: its own fields, each secret replaced by "set"."""
    data = {
        name: ("set" if value else "") if is_secret(name) else _json_safe(value)
        for name, value in vars(event).items() if name not in ENVELOPE
    }
    return ConfigChange(
        position=position, at=event.timestamp, actor=str(getattr(event, "actor", "")),
        topic=get_topic(type(event)), aggregate_id=str(event.originator_id), data=data,
    )


def dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


class Said(str):
    """English text that also knows how the panel says it in the reader's language: a catalogue
    key with parameters (`code`, `params`; a parameter may itself be a `Said`), or, without a
    code, a raw value the panel formats itself (`raw`: yes/no, numbers, lists, "—" for nothing).
    It compares, hashes and stores as its English text, so every reader of the text is
    unchanged; `wording()` is what the panel gets."""

    code: str
    params: dict[str, Any]
    raw: Any

    def __new__(cls, text: str, code: str = "", params: Mapping[str, Any] | None = None,
                raw: Any = None) -> Said:
        said = super().__new__(cls, text)
        said.code, said.params, said.raw = code, dict(params or {}), _json_safe(raw)
        return said


def says(code: str, english: str, /, **params: Any) -> Said:
    """`english` for English readers, `code` (a catalogue key) with `params` in the reader's
    language."""
    return Said(english, code, params)


def value(raw: Any) -> Said:
    """A value the panel shows as data in the reader's format: "—" for nothing, yes/no,
    numbers with Intl, lists joined."""
    return Said(readable(raw), raw=raw)


def wording(text: Any) -> Any:
    """What the panel gets for a text: `{"code", "params"}` to translate, `{"value"}` to format
    (plain text is data, shown as it is)."""
    if isinstance(text, Said) and text.code:
        return {"code": text.code,
                "params": {k: wording(v) if isinstance(v, Said) else _json_safe(v)
                           for k, v in text.params.items()}}
    if isinstance(text, Said):
        return {"value": text.raw}
    return {"value": _json_safe(text)}


def no_description(state: State, configuration: Configuration) -> dict[str, str]:
    return {key: value(raw) for key, raw in sorted(state.items())}


def readable(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(readable(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {readable(v)}" for k, v in value.items())
    return str(value)


NOTHING = value(None)


@dataclass(frozen=True)
class Section:
    name: str
    title: str
    events: tuple[type, ...]
    fold: Callable[[State, ConfigChange], State]
    describe: Callable[[State, Configuration], dict[str, str]] = no_description
    initial: Callable[[], State] = dict
    summary: Callable[[ConfigChange], str] | None = None
    topics: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "topics", frozenset(get_topic(e) for e in self.events))

    def apply(self, state: State, change: ConfigChange) -> State:
        """The fold on a copy: states held elsewhere never change under their holder."""
        return self.fold(copy.deepcopy(state), change)

    def summarize(self, change: ConfigChange) -> str:
        if self.summary is not None:
            return self.summary(change)
        return event_said(change)


def event_said(change: ConfigChange) -> Said:
    """An event's name as its summary: `audit.event.<Aggregate.Event>` in the catalogues."""
    return says(f"audit.event.{change.kind}", humanize(change.kind.rpartition(".")[2]))


def humanize(name: str) -> str:
    words: list[str] = []
    for char in name:
        if char.isupper() and words:
            words.append(" ")
        words.append(char.lower() if words else char)
    return "".join(words)


class Sections:
    """The registry: which section each event topic belongs to."""

    def __init__(self, sections: tuple[Section, ...]) -> None:
        self.all = sections
        self.by_name = {s.name: s for s in sections}
        self.by_topic: dict[str, Section] = {}
        for section in sections:
            for topic in section.topics:
                if topic in self.by_topic:
                    raise RuntimeError(f"{topic} is in two configuration sections")
                self.by_topic[topic] = section
        if len(self.by_name) != len(sections):
            raise RuntimeError("Two configuration sections have the same name")

    @property
    def events(self) -> tuple[type, ...]:
        return tuple(e for s in self.all for e in s.events)

    def initial(self) -> dict[str, State]:
        return {s.name: s.initial() for s in self.all}

    def describe(self, configuration: Configuration) -> dict[str, dict[str, str]]:
        return {s.name: s.describe(configuration.get(s.name) or s.initial(), configuration)
                for s in self.all}


def diff(before: dict[str, str], after: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """The labels whose readable value changed, before and after. A label that only appears or
    disappears while reading "—" (a section's "nothing yet", such as "Routing rules: —" giving
    way to the first rule) changed nothing a reader could see, and is left out."""
    keys = [k for k in dict.fromkeys([*before, *after])
            if before.get(k, NOTHING) != after.get(k, NOTHING)]
    return ({k: before.get(k, NOTHING) for k in keys}, {k: after.get(k, NOTHING) for k in keys})
