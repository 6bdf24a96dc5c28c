from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from application.auth import Principal


@strawberry.enum
class OperatorRole(Enum):
    ADMIN = "admin"
    OPERATOR = "operator"
    AUDITOR = "auditor"
    SUPERVISOR = "supervisor"


@strawberry.type(description="An employee who signs in to the panel.")
class Operator:
    id: strawberry.ID
    login: str
    display_name: str
    role: OperatorRole

    @classmethod
    def of(cls, principal: Principal) -> Operator:
        return cls(
            id=strawberry.ID(str(principal.operator_id)), login=principal.login,
            display_name=principal.display_name, role=OperatorRole(principal.role.value),
        )


@strawberry.type(description="A signed-in session: send the token as `Authorization: Bearer …`.")
class LoginSuccess:
    token: str
    expires_at: datetime
    operator: Operator


@strawberry.type(description="Signing in was refused.")
class LoginError:
    code: str = strawberry.field(description="INVALID_CREDENTIALS or TOO_MANY_ATTEMPTS.")
    message: str
    retry_after_seconds: int | None = None
