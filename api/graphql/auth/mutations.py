from __future__ import annotations

from typing import Annotated

import strawberry

from api.graphql.auth.types import LoginError, LoginSuccess, Operator
from api.graphql.context import Info
from api.graphql.errors import Done
from api.graphql.permissions import IsAuthenticated
from application.auth import SignInFailed, SignInThrottled

LoginResult = Annotated[LoginSuccess | LoginError, strawberry.union("LoginResult")]


@strawberry.type
class AuthMutation:
    @strawberry.mutation(description="Signs in with a login and password; open to anyone.")
    async def login(self, info: Info, login: str, password: str) -> LoginResult:
        auth = info.context.app.auth
        try:
            signed_in = await auth.sign_in(login, password, info.context.address)
        except SignInThrottled as error:
            return LoginError(code=error.code, message=error.message,
                              retry_after_seconds=error.retry_after)
        except SignInFailed as error:
            return LoginError(code=error.code, message=error.message)
        return LoginSuccess(token=signed_in.token, expires_at=signed_in.principal.expires_at,
                            operator=Operator.of(signed_in.principal))

    @strawberry.mutation(permission_classes=[IsAuthenticated],
                         description="Ends this session: its token stops working.")
    async def logout(self, info: Info) -> Done:
        await info.context.app.auth.sign_out(info.context.me)
        return Done()
