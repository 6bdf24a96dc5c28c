"""Quick replies as the API shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from api.graphql.time import utc


@strawberry.type(description="A ready text picked in the reply box by typing / and its "
                             "shortcut. Shared ones are everybody's (admins manage them); "
                             "personal ones are yours alone.")
class QuickReply:
    id: strawberry.ID
    shortcut: str = strawberry.field(description="One word, without the leading /.")
    text: str = strawberry.field(description="The text as written, with its placeholders: "
                                             "{client_name}, {operator_name}, {company}.")
    shared: bool
    can_edit: bool = strawberry.field(description="Whether you may change or delete it.")
    filled_text: str | None = strawberry.field(
        default=None, description="The text with its placeholders filled in for the dialog "
                                  "asked about (dialogId); null without one, or when the "
                                  "dialog is not yours.")
    updated_at: datetime

    @classmethod
    def of(cls, row: Any, *, can_edit: bool, filled_text: str | None = None) -> QuickReply:
        return cls(id=strawberry.ID(str(row.id)), shortcut=row.shortcut, text=row.text,
                   shared=row.owner_id is None, can_edit=can_edit, filled_text=filled_text,
                   updated_at=utc(row.updated_at))


@strawberry.type
class QuickReplySuccess:
    quick_reply: QuickReply
