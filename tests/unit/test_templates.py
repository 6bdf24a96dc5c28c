"""Message templates in the domain: parameters counted and filled as Meta numbers them,
refusals that name what is wrong, and a template message that is still one when replayed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest

from domain.errors import InvalidValue
from domain.outbox import OutgoingMessage
from domain.templates import (
    MessageTemplates,
    Template,
    TemplateNotApproved,
    TemplateNotFound,
    TemplateParameters,
    parameter_count,
)

AT = datetime(2026, 12, 8, 12, 0, tzinfo=UTC)
ORDER = Template(name="order_update", language="en_US", status="APPROVED", category="UTILITY",
                 body="Hello {{1}}, your order {{2}} has shipped. Thanks, {{1}}!", parameters=2)


def replayed(aggregate: Any) -> Any:
    copy = None
    for event in aggregate.collect_events():
        copy = event.mutate(copy)
    return copy


def test_the_parameters_are_counted_and_filled_wherever_they_stand() -> None:
    assert parameter_count("Nothing to fill") == 0
    assert parameter_count(ORDER.body) == 2
    assert ORDER.render(["Ivan", "A-17"]) == \
        "Hello Ivan, your order A-17 has shipped. Thanks, Ivan!"


@pytest.mark.parametrize("parameters", [["Ivan"], ["Ivan", "A-17", "more"], ["Ivan", "  "],
                                        ["Ivan", "two\nlines"], ["Ivan", "a\ttab"],
                                        ["Ivan", "five     spaces"], ["Ivan", "x" * 1025]])
def test_parameters_meta_would_refuse_are_refused_here(parameters: list[str]) -> None:
    with pytest.raises(TemplateParameters) as refused:
        ORDER.render(parameters)
    assert refused.value.field == "parameters"


def test_only_an_approved_template_in_that_language_may_be_sent() -> None:
    templates = MessageTemplates(actor="operator:admin")
    templates.synchronise([ORDER, Template(name="offer", language="en_US", status="PENDING",
                                           category="MARKETING", body="Sale", parameters=0)],
                          at=AT, actor="operator:admin")
    again = replayed(templates)
    assert again.approved("order_update", "en_US") == ORDER
    assert again.synchronised_at == AT
    with pytest.raises(TemplateNotFound):
        again.approved("order_update", "ru")
    with pytest.raises(TemplateNotApproved):
        again.approved("offer", "en_US")


def test_a_list_with_gaps_in_its_numbering_is_refused_and_records_nothing() -> None:
    templates = MessageTemplates(actor="operator:admin")
    templates.collect_events()
    gapped = Template(name="odd", language="en", status="APPROVED", category="UTILITY",
                      body="{{1}} and {{3}}", parameters=3)
    with pytest.raises(InvalidValue):
        templates.synchronise([gapped], at=AT, actor="operator:admin")
    assert templates.collect_events() == []


def test_a_template_message_is_still_one_when_replayed_and_free_text_is_not() -> None:
    def queued(key: str) -> OutgoingMessage:
        return OutgoingMessage.queue(
            dialog_id=uuid4(), client_id=uuid4(), phone="+79161234567", channel="cloud",
            text="Hello Ivan", operator_id=uuid4(), key=key, at=AT, actor="operator:olga")

    message = queued("k1")
    message.choose_template(name="order_update", language="en_US", parameters=["Ivan", "A"],
                            actor="operator:olga")
    assert replayed(message).template == ("order_update", "en_US", ("Ivan", "A"))
    assert replayed(queued("k2")).template is None
