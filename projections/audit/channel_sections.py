"""The WhatsApp channel's configuration section for the audit and time travel: the messenger
settings (in service, employees may write first) and the linked number. QR codes and reconnects
are the channel's status history, not configuration."""

from __future__ import annotations

from domain.channel import WhatsAppChannel
from projections.audit.configuration import ConfigChange, Configuration, Section, State


def _fold(state: State, change: ConfigChange) -> State:
    data = change.data
    if change.is_(WhatsAppChannel.SettingsUpdated):
        state["in_service"] = bool(data["in_service"])
        state["employees_may_write_first"] = bool(data["employees_may_write_first"])
    elif change.is_(WhatsAppChannel.Linked):
        state["phone"] = data["phone"]
        state["device"] = data["device"]
    elif change.is_(WhatsAppChannel.Unlinked):
        state["phone"] = ""
        state["device"] = ""
    return state


def _describe(state: State, config: Configuration) -> dict[str, str]:
    linked = state.get("phone")
    return {
        "WhatsApp linked as": f"{linked} ({state.get('device')})" if linked else "not linked",
        "WhatsApp in service": "yes" if state.get("in_service") else "no",
        "Employees may write first": "yes" if state.get("employees_may_write_first") else "no",
    }


def _summary(change: ConfigChange) -> str:
    data = change.data
    if change.is_(WhatsAppChannel.Linked):
        return f"WhatsApp linked as {data['phone']}"
    if change.is_(WhatsAppChannel.Unlinked):
        return f"WhatsApp unlinked: {data['reason']}"
    return ("WhatsApp " + ("in service" if data["in_service"] else "out of service")
            + "; employees " + ("may" if data["employees_may_write_first"] else "may not")
            + " write first")


WHATSAPP = Section(
    "whatsapp", "WhatsApp",
    (WhatsAppChannel.SettingsUpdated, WhatsAppChannel.Linked, WhatsAppChannel.Unlinked),
    _fold, _describe,
    lambda: {"in_service": False, "employees_may_write_first": False, "phone": "",
             "device": ""},
    summary=_summary)
