"""The WhatsApp channel's configuration section for the audit and time travel: the messenger
settings (in service, employees may write first) and the linked number. QR codes and reconnects
are the channel's status history, not configuration."""

from __future__ import annotations

from domain.channel import WhatsAppChannel
from projections.audit.configuration import (
    ConfigChange,
    Configuration,
    Section,
    State,
    says,
    value,
)


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
    linked, device = state.get("phone"), state.get("device")
    return {
        says("audit.field.whatsappLinked", "WhatsApp linked as"): (
            says("audit.value.linked", f"{linked} ({device})", phone=linked, device=device)
            if linked else says("audit.value.notLinked", "not linked")),
        says("audit.field.whatsappInService", "WhatsApp in service"): value(
            bool(state.get("in_service"))),
        says("audit.field.employeesWriteFirst", "Employees may write first"): value(
            bool(state.get("employees_may_write_first"))),
    }


def _summary(change: ConfigChange) -> str:
    data = change.data
    if change.is_(WhatsAppChannel.Linked):
        return says("audit.summary.whatsappLinked", f"WhatsApp linked as {data['phone']}",
                    phone=data["phone"])
    if change.is_(WhatsAppChannel.Unlinked):
        return says("audit.summary.whatsappUnlinked", f"WhatsApp unlinked: {data['reason']}",
                    reason=data["reason"])
    service = "in service" if data["in_service"] else "out of service"
    first = "may" if data["employees_may_write_first"] else "may not"
    return says(f"audit.summary.whatsapp.{'on' if data['in_service'] else 'off'}."
                f"{'first' if data['employees_may_write_first'] else 'notFirst'}",
                f"WhatsApp {service}; employees {first} write first")


WHATSAPP = Section(
    "whatsapp", "WhatsApp",
    (WhatsAppChannel.SettingsUpdated, WhatsAppChannel.Linked, WhatsAppChannel.Unlinked),
    _fold, _describe,
    lambda: {"in_service": False, "employees_may_write_first": False, "phone": "",
             "device": ""},
    summary=_summary)
