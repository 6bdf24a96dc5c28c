"""The ordered set of keyword routing rules. Rules are kept in the order they are tried; each
has keywords or phrases, a match mode, target operators and an on/off state (see routing.py)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import DomainError, InvalidValue, NotFound
from domain.ids import natural_id
from domain.routing import MAX_RULES, MatchMode, Rule, check_rule

ROUTING_RULES_ID = natural_id("routing-rules", "default")


class TargetNotEligible(DomainError):
    """A rule's target is outside the access group or the queue."""

    code = "TARGET_NOT_ELIGIBLE"


class RoutingRules(Aggregate):
    class Created(Aggregate.Created):
        actor: str

    class RuleAdded(Aggregate.Event):
        rule_id: UUID
        name: str
        keywords: list[str]
        match: str
        targets: list[UUID]
        enabled: bool
        actor: str

    class RuleChanged(Aggregate.Event):
        rule_id: UUID
        name: str
        keywords: list[str]
        match: str
        targets: list[UUID]
        enabled: bool
        actor: str

    class RuleSwitched(Aggregate.Event):
        rule_id: UUID
        enabled: bool
        actor: str

    class RuleMoved(Aggregate.Event):
        rule_id: UUID
        position: int
        actor: str

    class RuleRemoved(Aggregate.Event):
        rule_id: UUID
        actor: str

    @staticmethod
    def create_id() -> UUID:
        return ROUTING_RULES_ID

    @event(Created)
    def __init__(self, actor: str) -> None:
        self.rules: list[dict[str, Any]] = []

    # -- reading -----------------------------------------------------------------------------
    def as_rules(self) -> list[Rule]:
        return [
            Rule(id=r["id"], name=r["name"], keywords=tuple(r["keywords"]),
                 match=MatchMode(r["match"]), targets=tuple(r["targets"]), enabled=r["enabled"])
            for r in self.rules
        ]

    def _index(self, rule_id: UUID) -> int:
        for i, rule in enumerate(self.rules):
            if rule["id"] == rule_id:
                return i
        raise NotFound("No such routing rule.", field="id")

    # -- changing ----------------------------------------------------------------------------
    def add(
        self, *, rule_id: UUID, name: str, keywords: list[str], match: str,
        targets: list[UUID], enabled: bool, actor: str,
    ) -> None:
        if len(self.rules) >= MAX_RULES:
            raise InvalidValue(f"At most {MAX_RULES} routing rules.")
        if any(r["id"] == rule_id for r in self.rules):
            raise InvalidValue("This rule exists already.", field="id")
        name, keywords, mode, targets = check_rule(name=name, keywords=keywords, match=match,
                                                   targets=targets)
        self._add(rule_id=rule_id, name=name, keywords=keywords, match=mode.value,
                  targets=targets, enabled=enabled, actor=actor)

    @event(RuleAdded)
    def _add(
        self, rule_id: UUID, name: str, keywords: list[str], match: str, targets: list[UUID],
        enabled: bool, actor: str,
    ) -> None:
        self.rules.append({"id": rule_id, "name": name, "keywords": list(keywords),
                           "match": match, "targets": list(targets), "enabled": enabled})

    def change(
        self, *, rule_id: UUID, name: str, keywords: list[str], match: str,
        targets: list[UUID], enabled: bool, actor: str,
    ) -> bool:
        current = self.rules[self._index(rule_id)]
        name, keywords, mode, targets = check_rule(name=name, keywords=keywords, match=match,
                                                   targets=targets)
        if (current["name"], current["keywords"], current["match"], current["targets"],
                current["enabled"]) == (name, keywords, mode.value, targets, enabled):
            return False
        self._change(rule_id=rule_id, name=name, keywords=keywords, match=mode.value,
                     targets=targets, enabled=enabled, actor=actor)
        return True

    @event(RuleChanged)
    def _change(
        self, rule_id: UUID, name: str, keywords: list[str], match: str, targets: list[UUID],
        enabled: bool, actor: str,
    ) -> None:
        self.rules[self._index(rule_id)].update(
            name=name, keywords=list(keywords), match=match, targets=list(targets),
            enabled=enabled)

    def switch(self, rule_id: UUID, enabled: bool, actor: str) -> bool:
        if self.rules[self._index(rule_id)]["enabled"] == enabled:
            return False
        self._switch(rule_id=rule_id, enabled=enabled, actor=actor)
        return True

    @event(RuleSwitched)
    def _switch(self, rule_id: UUID, enabled: bool, actor: str) -> None:
        self.rules[self._index(rule_id)]["enabled"] = enabled

    def move(self, rule_id: UUID, position: int, actor: str) -> bool:
        """Moves a rule to `position` (0 is tried first); out-of-range positions are clamped."""
        current = self._index(rule_id)
        position = max(0, min(position, len(self.rules) - 1))
        if position == current:
            return False
        self._move(rule_id=rule_id, position=position, actor=actor)
        return True

    @event(RuleMoved)
    def _move(self, rule_id: UUID, position: int, actor: str) -> None:
        rule = self.rules.pop(self._index(rule_id))
        self.rules.insert(position, rule)

    def remove(self, rule_id: UUID, actor: str) -> None:
        self._index(rule_id)
        self._remove(rule_id=rule_id, actor=actor)

    @event(RuleRemoved)
    def _remove(self, rule_id: UUID, actor: str) -> None:
        del self.rules[self._index(rule_id)]
