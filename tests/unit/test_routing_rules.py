"""Keyword rules as clients really write: case, punctuation, ё/е and word forms do not matter;
the first matching rule wins; with none, or with every target gone, the queue."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from domain.errors import InvalidValue
from domain.routing import QUEUE, MatchMode, Rule, check_rule, route, stems
from domain.routing_rules import RoutingRules

OLGA, PETR, ANNA = uuid4(), uuid4(), uuid4()


def rule(keywords: list[str], match: MatchMode = MatchMode.ANY, targets: tuple[UUID, ...] = (OLGA,),
         enabled: bool = True, name: str = "r") -> Rule:
    return Rule(id=uuid4(), name=name, keywords=tuple(keywords), match=match, targets=targets,
                enabled=enabled)


TABLE = [
    # (keywords, mode, message, matches)
    (["оплата"], MatchMode.ANY, "Хочу оплатить заказ", True),
    (["оплата"], MatchMode.ANY, "Как внести оплату?", True),
    (["оплата"], MatchMode.ANY, "Проблема с ОПЛАТОЙ!!!", True),
    (["оплатить"], MatchMode.ANY, "оплата не проходит", True),
    (["счёт"], MatchMode.ANY, "пришлите, пожалуйста, счета", True),
    (["счет"], MatchMode.ANY, "Где мой счёт?", True),
    (["счёт"], MatchMode.ANY, "СЧЕТА не пришли", True),
    (["доставка"], MatchMode.ANY, "когда доставку привезут", True),
    (["доставка"], MatchMode.ANY, "Здравствуйте, где заказ?", False),
    (["refund"], MatchMode.ANY, "I was never refunded.", True),
    (["refund"], MatchMode.ANY, "REFUNDS please", True),
    (["payment"], MatchMode.ANY, "My payments failed", True),
    (["invoice"], MatchMode.ANY, "Send the invoices, please", True),
    (["delivery"], MatchMode.ANY, "two deliveries are late", True),
    (["pay"], MatchMode.ANY, "I am paying now", True),
    (["pay"], MatchMode.ANY, "hello there", False),
    (["оплата", "счёт"], MatchMode.ALL, "Оплатил счета вчера", True),
    (["оплата", "счёт"], MatchMode.ALL, "оплата по счету", True),
    (["оплата", "счёт"], MatchMode.ALL, "оплата прошла", False),
    (["оплата", "счёт"], MatchMode.ANY, "оплата прошла", True),
    (["возврат денег"], MatchMode.PHRASE, "Хочу возврат денег, срочно", True),
    (["возврат денег"], MatchMode.PHRASE, "возврата денег нет", True),
    (["возврат денег"], MatchMode.PHRASE, "денег возврат", False),
    (["возврат денег"], MatchMode.PHRASE, "возврат моих денег", False),
    (["возврат денег"], MatchMode.ANY, "денег возврат", True),
    (["money back"], MatchMode.PHRASE, "I want my MONEY-BACK!", True),
    (["money back"], MatchMode.PHRASE, "back my money", False),
    (["ёлка"], MatchMode.ANY, "Елки в наличии?", True),
    (["Оплата", "payment"], MatchMode.ANY, "payment, please", True),
]


@pytest.mark.parametrize(("keywords", "mode", "text", "expected"), TABLE)
def test_a_message_matches_a_rule_as_a_person_would_expect(
    keywords: list[str], mode: MatchMode, text: str, expected: bool
) -> None:
    assert rule(keywords, mode).matches(stems(text)) is expected


@pytest.mark.parametrize("form", ["оплатить", "оплату", "оплатой", "оплаты", "Оплата"])
def test_the_forms_of_oplata_share_one_stem(form: str) -> None:
    assert stems(form) == stems("оплата")


def test_yo_and_ye_case_and_punctuation_do_not_matter() -> None:
    assert stems("«СЧЁТ»!") == stems("счет") == stems("Счета...")


def test_the_first_matching_rule_wins() -> None:
    billing = rule(["оплата"], targets=(OLGA,), name="billing")
    also = rule(["оплата", "доставка"], targets=(PETR,), name="also")
    chosen = route("оплатой", [ANNA], [billing, also], group=[OLGA, PETR, ANNA])
    assert chosen.recipients == [OLGA]
    assert chosen.rule_name == "billing"
    chosen = route("доставка", [ANNA], [billing, also], group=[OLGA, PETR, ANNA])
    assert chosen.recipients == [PETR]


def test_a_rule_switched_off_is_passed_over() -> None:
    off = rule(["оплата"], enabled=False)
    chosen = route("оплата", [ANNA], [off], group=[OLGA, ANNA])
    assert chosen.rule == QUEUE and chosen.recipients == [ANNA]


def test_with_no_rule_matching_the_whole_queue_gets_it() -> None:
    chosen = route("привет", [ANNA, PETR], [rule(["оплата"])], group=[OLGA, PETR, ANNA])
    assert chosen.recipients == [ANNA, PETR]
    assert chosen.rule == QUEUE and chosen.rule_id is None and not chosen.fallback


def test_a_rule_whose_targets_all_left_the_group_falls_back_to_the_queue() -> None:
    billing = rule(["оплата"], targets=(OLGA, PETR))
    chosen = route("оплата", [ANNA], [billing], group=[ANNA])
    assert chosen.recipients == [ANNA]
    assert chosen.fallback and chosen.rule_id == billing.id and chosen.to_queue
    partly = route("оплата", [ANNA], [billing], group=[ANNA, PETR])
    assert partly.recipients == [PETR] and not partly.fallback


def test_nobody_outside_the_access_group_receives_anything() -> None:
    assert route("привет", [ANNA, PETR], [], group=[PETR]).recipients == [PETR]


@pytest.mark.parametrize(("field", "kwargs"), [
    ("name", {"name": " "}),
    ("keywords", {"keywords": []}),
    ("keywords", {"keywords": ["!!!"]}),
    ("match", {"match": "sometimes"}),
    ("targets", {"targets": []}),
])
def test_a_malformed_rule_is_refused_naming_the_field(field: str, kwargs: dict) -> None:
    values = {"name": "billing", "keywords": ["оплата"], "match": "any", "targets": [OLGA]}
    values.update(kwargs)
    with pytest.raises(InvalidValue) as refused:
        check_rule(**values)
    assert refused.value.field == field


def test_rules_keep_their_order_and_move_and_switch_as_events() -> None:
    rules = RoutingRules(actor="operator:admin")
    ids = [uuid4(), uuid4(), uuid4()]
    for i, rid in enumerate(ids):
        rules.add(rule_id=rid, name=f"r{i}", keywords=[f"слово{i}"], match="any",
                  targets=[OLGA], enabled=True, actor="operator:admin")
    assert rules.move(ids[2], 0, actor="operator:admin")
    assert [r.id for r in rules.as_rules()] == [ids[2], ids[0], ids[1]]
    assert not rules.move(ids[2], 0, actor="operator:admin")
    assert rules.switch(ids[0], False, actor="operator:admin")
    assert not rules.as_rules()[1].enabled
    rules.remove(ids[1], actor="operator:admin")
    assert [r.id for r in rules.as_rules()] == [ids[2], ids[0]]
    events = rules.collect_events()
    assert all(e.actor == "operator:admin" for e in events)
