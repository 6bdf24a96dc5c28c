"""`callBack` (operators and admins, in a dialog of theirs): the PBX rings their extension,
then the client's number; refused with NOT_FOUND, NO_EXTENSION, PBX_NOT_CONFIGURED or
NO_PHONE_NUMBER, and then nothing is recorded or dialled."""

from __future__ import annotations

from typing import Annotated

import strawberry

from api.graphql.calls.types import CallBackSuccess
from api.graphql.context import Info
from api.graphql.errors import UserError
from api.graphql.inbox.queries import parse_id
from api.graphql.permissions import CanWrite
from application.calls import CallRequested
from application.errors import DomainError

CallBackResult = Annotated[CallBackSuccess | UserError, strawberry.union("CallBackResult")]


@strawberry.type
class CallsMutation:
    @strawberry.mutation(permission_classes=[CanWrite],
                         description="Calls the client back through the PBX: it rings your "
                                     "extension (the employees' numbers), and once you pick up "
                                     "dials the client's number. The call and its outcome show "
                                     "in the dialog's messages (`Message.call`).")
    async def call_back(self, info: Info, dialog_id: strawberry.ID) -> CallBackResult:
        did = parse_id(dialog_id)
        if did is None:
            return UserError(code="NOT_FOUND", message="No such dialog among yours.",
                             field="dialogId")
        me = info.context.me
        try:
            call: CallRequested = await info.context.app.call_backs.call_back(
                did, me.operator_id, me.actor)
        except DomainError as error:
            return UserError.of(error)
        return CallBackSuccess(call_id=strawberry.ID(str(call.call_id)), dialog_id=dialog_id,
                               extension=call.extension, number=call.number)
