"""Every configuration section that the audit records and `configurationAt` rebuilds. A feature
adds its own with one line here (a `Section` from `projections.audit.configuration`)."""

from __future__ import annotations

from domain.operators import Operator
from domain.queue import EmployeeQueue
from projections.audit.channel_sections import WHATSAPP
from projections.audit.client_sections import CLIENT_CARDS
from projections.audit.configuration import (
    ConfigChange,
    Configuration,
    Said,
    Section,
    Sections,
    State,
    says,
    value,
)
from projections.audit.routing_sections import ROUTING_SECTIONS
from projections.audit.sync_sections import SYNC
from projections.setup import SETUP_SECTIONS


def _operators(state: State, change: ConfigChange) -> State:
    data = change.data
    key = change.aggregate_id
    if change.is_(Operator.Registered):
        state[key] = {"login": data["login"], "name": data["display_name"],
                      "role": data["role"], "active": True}
    elif key in state:
        if change.is_(Operator.Renamed):
            state[key]["name"] = data["display_name"]
        elif change.is_(Operator.Deactivated):
            state[key]["active"] = False
        elif change.is_(Operator.Reactivated):
            state[key]["active"] = True
        elif change.is_(Operator.RoleChanged):
            state[key]["role"] = data["role"]
    return state


def role_said(role: str) -> Said:
    """A role in the reader's language (the panel's `role.<ROLE>`)."""
    return says(f"role.{str(role).upper()}", str(role))


def _describe_operators(state: State, config: Configuration) -> dict[str, str]:
    return {
        says("audit.field.operator", f"Operator {o['login']}", login=o["login"]): says(
            "audit.value.operator" if o["active"] else "audit.value.operatorInactive",
            f"{o['name']}, {o['role']}" + ("" if o["active"] else ", deactivated"),
            name=o["name"], role=role_said(o["role"]))
        for o in sorted(state.values(), key=lambda o: o["login"])
    }


def _operators_summary(change: ConfigChange) -> str:
    if change.is_(Operator.PasswordChanged):
        return says("audit.summary.passwordChanged", "Password changed")
    people = {Operator.PasswordReset: ("passwordReset", "One-time password given"),
              Operator.Reactivated: ("operatorReactivated", "Operator reactivated"),
              Operator.EmailChanged: ("emailChanged", "E-mail address changed")}
    for kind, (code, summary) in people.items():
        if change.is_(kind):
            return says(f"audit.summary.{code}", summary)
    if change.is_(Operator.RoleChanged):
        return says("audit.summary.roleChanged", f"Role changed to {change.data['role']}",
                    role=role_said(change.data["role"]))
    if change.is_(Operator.Registered):
        return says("audit.summary.operatorRegistered",
                    f"Operator {change.data['login']} registered as {change.data['role']}",
                    login=change.data["login"], role=role_said(change.data["role"]))
    if change.is_(Operator.Renamed):
        return says("audit.summary.operatorRenamed", "Operator renamed")
    return says("audit.summary.operatorDeactivated", "Operator deactivated")


def _queue(state: State, change: ConfigChange) -> State:
    members: list[str] = state.setdefault("members", [])
    member = str(change.data.get("operator_id"))
    if change.is_(EmployeeQueue.MemberAdded) and member not in members:
        members.append(member)
    elif change.is_(EmployeeQueue.MemberRemoved) and member in members:
        members.remove(member)
    elif change.is_(EmployeeQueue.MemberMoved) and member in members:
        members.remove(member)
        members.insert(int(change.data["position"]), member)
    return state


def login_of(config: Configuration, operator_id: str) -> str:
    operator = (config.get("operators") or {}).get(operator_id)
    return str(operator["login"]) if operator else operator_id


def _describe_queue(state: State, config: Configuration) -> dict[str, str]:
    logins = [login_of(config, m) for m in state.get("members", [])]  # in the queue's order
    return {says("audit.field.queue", "Employee queue"): value(logins)}


OPERATORS = Section(
    "operators", "Operators",
    (Operator.Registered, Operator.Renamed, Operator.Deactivated, Operator.PasswordChanged,
     Operator.Reactivated, Operator.RoleChanged, Operator.PasswordReset, Operator.EmailChanged),
    _operators, _describe_operators, summary=_operators_summary)
QUEUE = Section(
    "queue", "Employee queue",
    (EmployeeQueue.Created, EmployeeQueue.MemberAdded, EmployeeQueue.MemberRemoved,
     EmployeeQueue.MemberMoved),
    _queue, _describe_queue, lambda: {"members": []})


def all_sections() -> Sections:
    return Sections((*SETUP_SECTIONS, OPERATORS, QUEUE, *ROUTING_SECTIONS, WHATSAPP, SYNC,
                     CLIENT_CARDS))
