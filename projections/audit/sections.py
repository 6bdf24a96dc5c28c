"""Every configuration section that the audit records and `configurationAt` rebuilds. A feature
adds its own with one line here (a `Section` from `projections.audit.configuration`)."""

from __future__ import annotations

from domain.operators import Operator
from domain.queue import EmployeeQueue
from projections.audit.channel_sections import WHATSAPP
from projections.audit.client_sections import CLIENT_CARDS
from projections.audit.configuration import ConfigChange, Configuration, Section, Sections, State
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
    return state


def _describe_operators(state: State, config: Configuration) -> dict[str, str]:
    return {
        f"Operator {o['login']}": f"{o['name']}, {o['role']}" + ("" if o["active"] else
                                                                  ", deactivated")
        for o in sorted(state.values(), key=lambda o: o["login"])
    }


def _operators_summary(change: ConfigChange) -> str:
    if change.is_(Operator.PasswordChanged):
        return "Password changed"
    if change.is_(Operator.Registered):
        return f"Operator {change.data['login']} registered as {change.data['role']}"
    return "Operator renamed" if change.is_(Operator.Renamed) else "Operator deactivated"


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
    return {"Employee queue": ", ".join(logins) or "—"}


OPERATORS = Section(
    "operators", "Operators",
    (Operator.Registered, Operator.Renamed, Operator.Deactivated, Operator.PasswordChanged),
    _operators, _describe_operators, summary=_operators_summary)
QUEUE = Section(
    "queue", "Employee queue",
    (EmployeeQueue.Created, EmployeeQueue.MemberAdded, EmployeeQueue.MemberRemoved,
     EmployeeQueue.MemberMoved),
    _queue, _describe_queue, lambda: {"members": []})


def all_sections() -> Sections:
    return Sections((*SETUP_SECTIONS, OPERATORS, QUEUE, *ROUTING_SECTIONS, WHATSAPP, SYNC,
                     CLIENT_CARDS))
