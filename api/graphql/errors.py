"""Error types that mutations return in their result unions; the panel translates `code`."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON

from application.errors import DomainError


@strawberry.type(description="A command was refused; nothing changed.")
class UserError:
    code: str = strawberry.field(description="A stable code, e.g. NOT_FOUND, INVALID_VALUE.")
    message: str = strawberry.field(description="A readable reason, in English.")
    field: str | None = strawberry.field(default=None,
                                         description="The input field at fault, if one is.")
    rule: str | None = strawberry.field(
        default=None, description="Which rule refused, as a stable code (e.g. "
        "AUTOCONFIG_NOT_BASE64); the panel says it in the reader's language.")
    params: JSON | None = strawberry.field(
        default=None, description="What the rule's sentence names (e.g. {\"max\": 20}).")

    @classmethod
    def of(cls, error: DomainError) -> UserError:
        return cls(code=error.code, message=error.message, field=error.field,
                   rule=getattr(error, "rule", None),
                   params=getattr(error, "params", None) or None)


@strawberry.type(description="The command was carried out.")
class Done:
    ok: bool = True
