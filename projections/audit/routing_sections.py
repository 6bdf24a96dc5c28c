"""Routing's configuration sections for the audit and time travel: the access group, the
keyword routing rules (in order) and the distribution settings."""

from __future__ import annotations

from domain.access import AccessGroup
from domain.distribution import DEFAULT_POLICY, Distribution
from domain.routing_rules import RoutingRules
from projections.audit.configuration import (
    ConfigChange,
    Configuration,
    Said,
    Section,
    State,
    says,
    value,
)


def login_of(config: Configuration, operator_id: str) -> str:
    operator = (config.get("operators") or {}).get(operator_id)
    return str(operator["login"]) if operator else operator_id


# -- the access group ---------------------------------------------------------------------------
def _access(state: State, change: ConfigChange) -> State:
    members: list[str] = state.setdefault("members", [])
    member = str(change.data.get("operator_id"))
    if change.is_(AccessGroup.MemberAdded) and member not in members:
        members.append(member)
    elif change.is_(AccessGroup.MemberRemoved) and member in members:
        members.remove(member)
    return state


def _describe_access(state: State, config: Configuration) -> dict[str, str]:
    logins = sorted(login_of(config, m) for m in state.get("members", []))
    return {says("audit.field.access", "Access group"): value(logins)}


def _access_summary(change: ConfigChange) -> str:
    if change.is_(AccessGroup.Created):
        return says("audit.summary.accessCreated", "Access group created")
    if change.is_(AccessGroup.MemberAdded):
        return says("audit.summary.accessAdded", "Operator added to the access group")
    return says("audit.summary.accessRemoved", "Operator removed from the access group")


# -- the routing rules --------------------------------------------------------------------------
def _rules(state: State, change: ConfigChange) -> State:
    rules: list[dict[str, object]] = state.setdefault("rules", [])
    data = change.data
    index = next((i for i, r in enumerate(rules) if r["id"] == data.get("rule_id")), None)
    if change.is_(RoutingRules.RuleAdded):
        rules.append({"id": data["rule_id"], "name": data["name"], "keywords": data["keywords"],
                      "match": data["match"], "targets": data["targets"],
                      "enabled": data["enabled"]})
    elif index is None:
        return state
    elif change.is_(RoutingRules.RuleChanged):
        rules[index].update(name=data["name"], keywords=data["keywords"], match=data["match"],
                            targets=data["targets"], enabled=data["enabled"])
    elif change.is_(RoutingRules.RuleSwitched):
        rules[index]["enabled"] = data["enabled"]
    elif change.is_(RoutingRules.RuleMoved):
        rule = rules.pop(index)
        rules.insert(int(data["position"]), rule)
    elif change.is_(RoutingRules.RuleRemoved):
        del rules[index]
    return state


def _describe_rules(state: State, config: Configuration) -> dict[str, str]:
    described: dict[str, str] = {}
    for i, rule in enumerate(state.get("rules", []), start=1):
        targets = ", ".join(login_of(config, str(t)) for t in rule["targets"])
        keywords = ", ".join(rule["keywords"])
        off = "" if rule["enabled"] else " (off)"
        label = says("audit.field.rule", f"Rule {i}: {rule['name']}", index=i, name=rule["name"])
        described[label] = says(
            "audit.value.rule" if rule["enabled"] else "audit.value.ruleOff",
            f"{rule['match']} of {keywords} → {targets}{off}",
            match=says(f"routing.match.{str(rule['match']).upper()}", str(rule["match"])),
            keywords=value(rule["keywords"]),
            targets=value([login_of(config, str(t)) for t in rule["targets"]]))
    return described or {says("audit.field.rules", "Routing rules"): value(None)}


def _rules_summary(change: ConfigChange) -> str:
    name = change.data.get("name", "")
    match change.kind.rpartition(".")[2]:
        case "RuleAdded":
            return says("audit.summary.ruleAdded", f"Routing rule {name} added", name=name)
        case "RuleChanged":
            return says("audit.summary.ruleChanged", f"Routing rule {name} changed", name=name)
        case "RuleSwitched":
            on = bool(change.data.get("enabled"))
            return says("audit.summary.ruleOn" if on else "audit.summary.ruleOff",
                        "Routing rule switched " + ("on" if on else "off"))
        case "RuleMoved":
            place = int(change.data.get("position", 0)) + 1
            return says("audit.summary.ruleMoved", f"Routing rule moved to place {place}",
                        place=place)
        case "RuleRemoved":
            return says("audit.summary.ruleRemoved", "Routing rule removed")
    return says("audit.summary.rulesCreated", "Routing rules created")


# -- distribution -------------------------------------------------------------------------------
def _distribution_initial() -> State:
    return {"mode": DEFAULT_POLICY.mode.value,
            "idle_timeout_seconds": DEFAULT_POLICY.idle_timeout_seconds,
            "capacity": DEFAULT_POLICY.capacity,
            "reopen_window_hours": DEFAULT_POLICY.reopen_window_hours, "capacities": {}}


def _distribution(state: State, change: ConfigChange) -> State:
    data = change.data
    if change.is_(Distribution.Configured):
        for key in ("mode", "idle_timeout_seconds", "capacity", "reopen_window_hours"):
            state[key] = data[key]
    elif change.is_(Distribution.OperatorCapacitySet):
        capacities: dict[str, int] = state.setdefault("capacities", {})
        if data["capacity"] is None:
            capacities.pop(str(data["operator_id"]), None)
        else:
            capacities[str(data["operator_id"])] = data["capacity"]
    return state


MODES = {"everybody": "to everybody", "evenly": "evenly", "in_order": "strictly in order"}


def _capacity(capacity: int | None) -> Said:
    return value(capacity) if capacity else says("audit.value.noLimit", "no limit")


def _describe_distribution(state: State, config: Configuration) -> dict[str, str]:
    mode = str(state.get("mode", ""))
    seconds, hours = state.get("idle_timeout_seconds"), state.get("reopen_window_hours")
    described: dict[str, str] = {
        says("audit.field.distribution", "Distribution"): says(
            f"routing.mode.{mode.upper()}", MODES.get(mode, mode)),
        says("audit.field.idleTimeout", "Idle timeout"): says(
            "audit.value.seconds", f"{seconds} s", count=seconds),
        says("audit.field.capacity", "Capacity"): _capacity(state.get("capacity")),
        says("audit.field.reopenWindow", "Reopen window"): says(
            "audit.value.hours", f"{hours} h", count=hours),
    }
    for oid, capacity in sorted((state.get("capacities") or {}).items()):
        login = login_of(config, oid)
        described[says("audit.field.capacityOf", f"Capacity of {login}", login=login)] = (
            _capacity(capacity))
    return described


ACCESS = Section(
    "access", "Access group",
    (AccessGroup.Created, AccessGroup.MemberAdded, AccessGroup.MemberRemoved),
    _access, _describe_access, lambda: {"members": []}, _access_summary)
RULES = Section(
    "routing_rules", "Routing rules",
    (RoutingRules.Created, RoutingRules.RuleAdded, RoutingRules.RuleChanged,
     RoutingRules.RuleSwitched, RoutingRules.RuleMoved, RoutingRules.RuleRemoved),
    _rules, _describe_rules, lambda: {"rules": []}, _rules_summary)
DISTRIBUTION = Section(
    "distribution", "Distribution",
    (Distribution.Created, Distribution.Configured, Distribution.OperatorCapacitySet),
    _distribution, _describe_distribution, _distribution_initial)

ROUTING_SECTIONS = (ACCESS, RULES, DISTRIBUTION)
