"""Routing without changing anything: which rule a sample message matches and who would get it
(`routePreview`), and past traffic replayed through a proposed rule set (`routingWhatIf`).

Both take what the read models hold — rules, the queue, the access group, presence — and run
the same pure routing the handlers run, so a replay through the current rules reproduces the
live decisions exactly."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol
from uuid import UUID, uuid4

from domain.distribution import Mode, Policy
from domain.presence import Status
from domain.routing import Route, Rule, check_rule, route, stems

SAMPLES = 50
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def proposed_rule(
    *, name: str, keywords: Sequence[str], match: str, targets: Sequence[UUID], enabled: bool,
    rule_id: UUID | None = None,
) -> Rule:
    """A rule as an admin proposes it, checked like a saved one (targets are not: a proposal
    may name anyone, and routing skips whoever is outside the access group)."""
    name, cleaned, mode, chosen = check_rule(name=name, keywords=keywords, match=match,
                                             targets=targets)
    return Rule(id=rule_id or uuid4(), name=name, keywords=tuple(cleaned), match=mode,
                targets=tuple(chosen), enabled=enabled)


# -- preview --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Preview:
    route: Route
    matched_keywords: list[str]
    would_assign: UUID | None  # evenly / in order, as presence and load stand now
    mode: Mode


@dataclass(frozen=True)
class Desk:
    """An operator's presence as the read model has it."""

    status: Status
    holding: int
    last_taken_at: datetime | None


def preview(
    text: str, *, rules: Sequence[Rule], queue: Sequence[UUID], group: Sequence[UUID],
    policy: Policy, desks: Mapping[UUID, Desk],
) -> Preview:
    chosen = route(text, queue, rules, group)
    rule = next((r for r in rules if r.id == chosen.rule_id), None)
    message = set(stems(text))
    matched = [k for k in (rule.keywords if rule else ())
               if all(w in message for w in stems(k))]
    return Preview(route=chosen, matched_keywords=matched, mode=policy.mode,
                   would_assign=_pick(policy, chosen.recipients, desks))


def _pick(policy: Policy, pool: Sequence[UUID], desks: Mapping[UUID, Desk]) -> UUID | None:
    if policy.mode == Mode.EVERYBODY:
        return None
    free = []
    for rank, oid in enumerate(pool):
        desk = desks.get(oid)
        capacity = policy.capacity_of(oid)
        if desk is None or desk.status != Status.ONLINE or (
                capacity and desk.holding >= capacity):
            continue
        if policy.mode == Mode.IN_ORDER:
            return oid
        free.append((desk.holding, desk.last_taken_at or EPOCH, rank, oid))
    return min(free)[-1] if free else None


# -- what if --------------------------------------------------------------------------------
class PastDecision(Protocol):
    """A live routing decision as the routing read model keeps it."""

    @property
    def dialog_id(self) -> UUID: ...
    @property
    def routed_at(self) -> datetime: ...
    @property
    def text(self) -> str: ...
    @property
    def rule_id(self) -> UUID | None: ...
    @property
    def rule_name(self) -> str: ...
    @property
    def fallback(self) -> bool: ...
    @property
    def recipients(self) -> list[UUID]: ...
    @property
    def queue(self) -> list[UUID]: ...
    @property
    def group(self) -> list[UUID]: ...


@dataclass
class RuleTally:
    rule_id: UUID | None  # None: the queue
    name: str
    live: int = 0
    proposed: int = 0


@dataclass(frozen=True)
class Difference:
    dialog_id: UUID
    routed_at: datetime
    text: str
    live_rule: str
    proposed_rule: str
    live_recipients: list[UUID]
    proposed_recipients: list[UUID]


@dataclass
class WhatIf:
    messages: int = 0
    changed: int = 0
    live_by_operator: Counter[UUID] = field(default_factory=Counter)
    proposed_by_operator: Counter[UUID] = field(default_factory=Counter)
    by_rule: dict[str, RuleTally] = field(default_factory=dict)
    differences: list[Difference] = field(default_factory=list)

    @property
    def operators(self) -> list[UUID]:
        seen = set(self.live_by_operator) | set(self.proposed_by_operator)
        return sorted(seen, key=lambda o: (-(self.proposed_by_operator[o]
                                             - self.live_by_operator[o]), str(o)))


QUEUE_NAME = "Employee queue"


def _label(rule_id: UUID | None, name: str, fallback: bool) -> str:
    if rule_id is None:
        return QUEUE_NAME
    return f"{name} → {QUEUE_NAME}" if fallback else name


def what_if(decisions: Iterable[PastDecision], proposed: Sequence[Rule]) -> WhatIf:
    """Replays each past decision's message through `proposed`, with the queue and the access
    group as they were then, and tallies who would have received what, per operator and rule."""
    report = WhatIf()
    for rule in proposed:
        report.by_rule[str(rule.id)] = RuleTally(rule.id, rule.name)
    report.by_rule["queue"] = RuleTally(None, QUEUE_NAME)
    for past in decisions:
        report.messages += 1
        replay = route(past.text, past.queue, proposed, past.group)
        report.live_by_operator.update(past.recipients)
        report.proposed_by_operator.update(replay.recipients)
        live_key = str(past.rule_id) if past.rule_id and not past.fallback else "queue"
        if live_key not in report.by_rule:
            report.by_rule[live_key] = RuleTally(past.rule_id, past.rule_name)
        report.by_rule[live_key].live += 1
        report.by_rule[str(replay.rule_id) if replay.rule_id and not replay.fallback
                       else "queue"].proposed += 1
        if (replay.recipients != past.recipients or replay.rule_id != past.rule_id
                or replay.fallback != past.fallback):
            report.changed += 1
            if len(report.differences) < SAMPLES:
                report.differences.append(Difference(
                    dialog_id=past.dialog_id, routed_at=past.routed_at, text=past.text[:200],
                    live_rule=_label(past.rule_id, past.rule_name, past.fallback),
                    proposed_rule=_label(replay.rule_id, replay.rule_name, replay.fallback),
                    live_recipients=list(past.recipients),
                    proposed_recipients=list(replay.recipients)))
    return report


__all__ = ["Desk", "Difference", "PastDecision", "Preview", "Rule", "RuleTally", "WhatIf",
           "preview", "proposed_rule", "what_if"]
