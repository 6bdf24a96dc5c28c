"""The sync schedule's configuration section for the audit and time travel: whether outgoing
messages are synchronised, and how often. Runs asked for by hand ("send now") are actions, not
configuration; they stay in the schedule's own events."""

from __future__ import annotations

from domain.sync import SyncSchedule
from projections.audit.configuration import ConfigChange, Configuration, Section, State


def _fold(state: State, change: ConfigChange) -> State:
    data = change.data
    state.update(set=True, enabled=bool(data["enabled"]), mode=str(data["mode"]),
                 interval_seconds=int(data["interval_seconds"]), cron=str(data["cron"]))
    return state


def _schedule(state: State) -> str:
    if state.get("mode") == "cron":
        return f"cron {state.get('cron')}"
    return f"every {state.get('interval_seconds')} s"


def _describe(state: State, config: Configuration) -> dict[str, str]:
    if not state.get("set"):
        return {"Synchronise messages": "not set (the installation's default)"}
    return {"Synchronise messages": "on" if state.get("enabled") else "off",
            "Sync schedule": _schedule(state)}


def _summary(change: ConfigChange) -> str:
    data = change.data
    if not data["enabled"]:
        return "Synchronisation switched off"
    state: State = {"mode": data["mode"], "cron": data["cron"],
                    "interval_seconds": data["interval_seconds"]}
    return f"Synchronisation on, {_schedule(state)}"


SYNC = Section(
    "sync", "Synchronisation", (SyncSchedule.Created, SyncSchedule.Configured),
    _fold, _describe, lambda: {"set": False}, summary=_summary)
