from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from api.graphql.setup.types import SetupStep, WizardStep

WORDING = ("How the panel says it in the reader's language: {code, params} (a catalogue key; "
           "a parameter may itself be {code, params} or {value}) or {value} (data to format: "
           "null for nothing, yes/no, numbers, lists); null for entries recorded before codes.")


@strawberry.type
class ChangedValue:
    label: str
    before: str
    after: str
    field_code: str | None = strawberry.field(
        default=None, description="The label's catalogue key (`audit.field.<code>`).")
    field_params: JSON | None = strawberry.field(default=None,
                                                 description="The label's parameters.")
    before_data: JSON | None = strawberry.field(default=None, description=WORDING)
    after_data: JSON | None = strawberry.field(default=None, description=WORDING)


@strawberry.type(description="One setup or settings event: who, when, and what it changed.")
class HistoryEntry:
    position: int = strawberry.field(description="Its place in the event log.")
    at: datetime
    actor: str
    section: str
    event: str
    summary: str
    changes: list[ChangedValue]
    summary_code: str | None = strawberry.field(
        default=None, description="The summary's catalogue key (null: show `summary`).")
    summary_params: JSON | None = strawberry.field(default=None,
                                                   description="The summary's parameters.")


@strawberry.type
class ConfigEntry:
    label: str
    value: str
    field_code: str | None = strawberry.field(
        default=None, description="The label's catalogue key (`audit.field.<code>`).")
    field_params: JSON | None = strawberry.field(default=None,
                                                 description="The label's parameters.")
    value_data: JSON | None = strawberry.field(default=None, description=WORDING)


@strawberry.type
class ConfigSection:
    name: str
    title: str
    entries: list[ConfigEntry]
    state: JSON = strawberry.field(description="The section's state as data (no secrets).")


@strawberry.type
class WizardAt:
    current_step: SetupStep
    completed: bool
    steps: list[WizardStep]


@strawberry.type(description="The whole configuration as it stood at `asOf`, built from the "
                             "events.")
class Configuration:
    as_of: datetime
    position: int = strawberry.field(description="The last event it includes (0: none).")
    last_change_at: datetime | None
    sections: list[ConfigSection]
    wizard: WizardAt
