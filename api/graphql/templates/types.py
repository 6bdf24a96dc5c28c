"""Message templates and the reply window as the API shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from api.graphql.outbox.types import OutgoingMessage


@strawberry.type(description="An approved WhatsApp template: the only message the Cloud API "
                             "sends once 24 hours have passed since the client's last message.")
class MessageTemplate:
    name: str
    language: str = strawberry.field(description="Meta's language code, e.g. en_US.")
    category: str
    body: str = strawberry.field(description="The text with its parameters as {{1}}, {{2}}…")
    parameter_count: int = strawberry.field(description="How many parameters the body takes.")

    @classmethod
    def of(cls, row: Any) -> MessageTemplate:
        return cls(name=row.name, language=row.language, category=row.category, body=row.body,
                   parameter_count=row.parameters)


@strawberry.type(description="Whether free text may be written in a dialog now. Only a channel "
                             "with a reply window (the Cloud API: 24 hours after the client's "
                             "last message) ever closes; then only a template may be sent.")
class ReplyWindow:
    closed: bool
    closes_at: datetime | None = strawberry.field(
        default=None, description="When it closes (or closed); null: it never does.")
    last_client_message_at: datetime | None = None
    templates_available: bool = strawberry.field(
        default=False, description="Whether templates can be sent here (the Cloud API with a "
                                   "business account set).")


@strawberry.type
class SyncMessageTemplatesSuccess:
    count: int = strawberry.field(description="How many templates the account has (any status).")
    templates: list[MessageTemplate] = strawberry.field(description="The approved ones.")


@strawberry.type
class SendTemplateSuccess:
    outgoing: OutgoingMessage
    duplicate: bool = strawberry.field(
        description="The same idempotency key was sent before: this is that message.")
