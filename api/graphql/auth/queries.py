from __future__ import annotations

import strawberry

from api.graphql.auth.types import Operator
from api.graphql.context import Info
from api.graphql.permissions import IsAuthenticated


@strawberry.type
class AuthQuery:
    @strawberry.field(permission_classes=[IsAuthenticated], description="The signed-in operator.")
    def me(self, info: Info) -> Operator:
        return Operator.of(info.context.me)
