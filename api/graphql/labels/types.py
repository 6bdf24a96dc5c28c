"""Labels as the API shows them."""

from __future__ import annotations

from typing import Any

import strawberry


@strawberry.type(description="A label the company puts on dialogs (\"VIP\", \"Refund\"…).")
class Label:
    id: strawberry.ID
    name: str
    color: str = strawberry.field(
        description="A palette name (gray, red, orange, yellow, green, teal, blue, purple, pink) "
                    "or #rrggbb.")

    @classmethod
    def of(cls, value: Any) -> Label:
        """From a read-model row or the application's answer (both have id, name, color)."""
        return cls(id=strawberry.ID(str(value.id)), name=value.name, color=value.color)


@strawberry.type
class LabelSuccess:
    label: Label


@strawberry.type
class DeleteLabelSuccess:
    id: strawberry.ID = strawberry.field(description="The label deleted (and taken off every "
                                                     "dialog).")


@strawberry.type
class SetDialogLabelsSuccess:
    dialog_id: strawberry.ID
    labels: list[Label] = strawberry.field(description="The dialog's labels now, in order.")
