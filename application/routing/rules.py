"""Keyword routing rules: adding, changing, switching, ordering and removing them. A rule's
targets must be active operators in the access group and the queue."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from application.ports import UnitOfWork
from application.routing.shared import group_members, queue_members
from domain.errors import NotFound
from domain.operators import Operator
from domain.routing import check_rule
from domain.routing_rules import ROUTING_RULES_ID, RoutingRules, TargetNotEligible


# -- commands -------------------------------------------------------------------------------
@dataclass(frozen=True)
class AddRoutingRule:
    rule_id: UUID
    name: str
    keywords: tuple[str, ...]
    match: str
    targets: tuple[UUID, ...]
    enabled: bool
    actor: str


@dataclass(frozen=True)
class ChangeRoutingRule:
    rule_id: UUID
    name: str
    keywords: tuple[str, ...]
    match: str
    targets: tuple[UUID, ...]
    enabled: bool
    actor: str


@dataclass(frozen=True)
class SwitchRoutingRule:
    rule_id: UUID
    enabled: bool
    actor: str


@dataclass(frozen=True)
class MoveRoutingRule:
    rule_id: UUID
    position: int
    actor: str


@dataclass(frozen=True)
class RemoveRoutingRule:
    rule_id: UUID
    actor: str


# -- handlers -------------------------------------------------------------------------------
def add_routing_rule(cmd: AddRoutingRule, uow: UnitOfWork) -> UUID:
    _check_targets(uow, cmd.name, cmd.keywords, cmd.match, cmd.targets)
    rules = _rules(uow, cmd.actor)
    rules.add(rule_id=cmd.rule_id, name=cmd.name, keywords=list(cmd.keywords), match=cmd.match,
              targets=list(cmd.targets), enabled=cmd.enabled, actor=cmd.actor)
    return cmd.rule_id


def change_routing_rule(cmd: ChangeRoutingRule, uow: UnitOfWork) -> bool:
    rules = _existing_rules(uow)
    _check_targets(uow, cmd.name, cmd.keywords, cmd.match, cmd.targets)
    return rules.change(rule_id=cmd.rule_id, name=cmd.name, keywords=list(cmd.keywords),
                        match=cmd.match, targets=list(cmd.targets), enabled=cmd.enabled,
                        actor=cmd.actor)


def switch_routing_rule(cmd: SwitchRoutingRule, uow: UnitOfWork) -> bool:
    rules = _existing_rules(uow)
    if cmd.enabled:
        rule = next((r for r in rules.as_rules() if r.id == cmd.rule_id), None)
        if rule is not None:
            _check_targets(uow, rule.name, rule.keywords, rule.match.value, rule.targets)
    return rules.switch(cmd.rule_id, cmd.enabled, actor=cmd.actor)


def move_routing_rule(cmd: MoveRoutingRule, uow: UnitOfWork) -> bool:
    return _existing_rules(uow).move(cmd.rule_id, cmd.position, actor=cmd.actor)


def remove_routing_rule(cmd: RemoveRoutingRule, uow: UnitOfWork) -> bool:
    _existing_rules(uow).remove(cmd.rule_id, actor=cmd.actor)
    return True


# -- helpers --------------------------------------------------------------------------------
def _rules(uow: UnitOfWork, actor: str) -> RoutingRules:
    rules = uow.get(RoutingRules, ROUTING_RULES_ID)
    if rules is None:
        rules = RoutingRules(actor=actor)
        uow.add(rules)
    return rules


def _existing_rules(uow: UnitOfWork) -> RoutingRules:
    rules = uow.get(RoutingRules, ROUTING_RULES_ID)
    if rules is None:
        raise NotFound("No such routing rule.", field="id")
    return rules


def _check_targets(
    uow: UnitOfWork, name: str, keywords: Sequence[str], match: str, targets: Sequence[UUID]
) -> None:
    """A rule's targets must be active operators in the access group and the queue."""
    check_rule(name=name, keywords=keywords, match=match, targets=targets)
    group = set(group_members(uow))
    queue = set(queue_members(uow))
    for oid in targets:
        operator = uow.get(Operator, oid)
        if operator is None or not operator.active:
            raise TargetNotEligible("A target is not an active operator.", field="targets")
        if oid not in group:
            raise TargetNotEligible(f"{operator.display_name} is not in the access group.",
                                    field="targets")
        if oid not in queue:
            raise TargetNotEligible(f"{operator.display_name} is not in the employee queue.",
                                    field="targets")


HANDLERS: dict[type, Callable[[Any, UnitOfWork], Any]] = {
    AddRoutingRule: add_routing_rule,
    ChangeRoutingRule: change_routing_rule,
    SwitchRoutingRule: switch_routing_rule,
    MoveRoutingRule: move_routing_rule,
    RemoveRoutingRule: remove_routing_rule,
}
