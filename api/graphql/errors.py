"""Error types that mutations return in their result unions; the panel translates `code`."""

from __future__ import annotations

import strawberry

from application.errors import DomainError


@strawberry.type(description="A command was refused; nothing changed.")
class UserError:
    code: str = strawberry.field(description="A stable code, e.g. NOT_FOUND, INVALID_VALUE.")
    message: str = strawberry.field(description="A readable reason, in English.")
    field: str | None = strawberry.field(default=None,
                                         description="The input field at fault, if one is.")

    @classmethod
    def of(cls, error: DomainError) -> UserError:
        return cls(code=error.code, message=error.message, field=error.field)


@strawberry.type(description="The command was carried out.")
class Done:
    ok: bool = True
