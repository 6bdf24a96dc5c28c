"""The sync schedule's configuration section for the audit and time travel: whether outgoing
messages are synchronised, and how often. Runs asked for by hand ("send now") are actions, not
configuration; they stay in the schedule's own events."""

from __future__ import annotations

from domain.sync import SyncSchedule
from projections.audit.configuration import (
    ConfigChange,
    Configuration,
    Said,
    Section,
    State,
    says,
)


def _fold(state: State, change: ConfigChange) -> State:
    data = change.data
    state.update(set=True, enabled=bool(data["enabled"]), mode=str(data["mode"]),
                 interval_seconds=int(data["interval_seconds"]), cron=str(data["cron"]))
    return state


def _schedule(state: State) -> Said:
    if state.get("mode") == "cron":
        return says("audit.value.cron", f"cron {state.get('cron')}", cron=state.get("cron"))
    seconds = state.get("interval_seconds")
    return says("audit.value.every", f"every {seconds} s", count=seconds)


def _describe(state: State, config: Configuration) -> dict[str, str]:
    field = says("audit.field.syncEnabled", "Synchronise messages")
    if not state.get("set"):
        return {field: says("audit.value.syncDefault", "not set (the installation's default)")}
    return {field: says("audit.value.on", "on") if state.get("enabled")
            else says("audit.value.off", "off"),
            says("audit.field.syncSchedule", "Sync schedule"): _schedule(state)}


def _summary(change: ConfigChange) -> str:
    data = change.data
    if not data["enabled"]:
        return says("audit.summary.syncOff", "Synchronisation switched off")
    state: State = {"mode": data["mode"], "cron": data["cron"],
                    "interval_seconds": data["interval_seconds"]}
    schedule = _schedule(state)
    return says("audit.summary.syncOn", f"Synchronisation on, {schedule}", schedule=schedule)


SYNC = Section(
    "sync", "Synchronisation", (SyncSchedule.Created, SyncSchedule.Configured),
    _fold, _describe, lambda: {"set": False}, summary=_summary)
