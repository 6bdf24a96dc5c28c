"""`createQuickReply`, `updateQuickReply`, `deleteQuickReply`: admins and operators (auditors
change nothing). Shared ones are managed by those whose role may (admins); personal ones by
their owner alone — someone else's is not found. A refusal answers a UserError and changes
nothing."""

from __future__ import annotations

import uuid
from typing import Annotated
from uuid import UUID

import strawberry

from api.graphql.catch_up import read_models_caught_up
from api.graphql.context import Info
from api.graphql.errors import Done, UserError
from api.graphql.inbox.queries import parse_id
from api.graphql.permissions import CanWrite
from api.graphql.quick_replies.reading import one
from api.graphql.quick_replies.types import QuickReplySuccess
from application import quick_replies as qr
from application.errors import DomainError

CreateQuickReplyResult = Annotated[QuickReplySuccess | UserError,
                                   strawberry.union("CreateQuickReplyResult")]
UpdateQuickReplyResult = Annotated[QuickReplySuccess | UserError,
                                   strawberry.union("UpdateQuickReplyResult")]
DeleteQuickReplyResult = Annotated[Done | UserError, strawberry.union("DeleteQuickReplyResult")]
PROJECTION = "quick_replies"


def _not_found() -> UserError:
    return UserError(code="QUICK_REPLY_NOT_FOUND", field="id",
                     message="No such quick reply among yours and the shared ones.")


async def _answer(info: Info, reply_id: UUID) -> QuickReplySuccess | UserError:
    app = info.context.app
    await read_models_caught_up(app, PROJECTION)
    found = await one(app, info.context.me, reply_id)
    return QuickReplySuccess(quick_reply=found) if found is not None else _not_found()


@strawberry.type
class QuickRepliesMutation:
    @strawberry.mutation(permission_classes=[CanWrite],
                         description="A new quick reply: personal (yours alone), or shared "
                                     "(everybody's; admins only). The shortcut is one word, "
                                     "unique among the shared ones and yours.")
    async def create_quick_reply(self, info: Info, shortcut: str, text: str,
                                 shared: bool = False) -> CreateQuickReplyResult:
        me = info.context.me
        app = info.context.app
        try:
            reply_id: UUID = await app.bus.execute(qr.CreateQuickReply(
                reply_id=uuid.uuid4(), operator_id=me.operator_id, shared=shared,
                may_manage_shared=qr.manages_shared(me.role), shortcut=shortcut, text=text,
                at=app.clock.now(), actor=me.actor))
        except DomainError as error:
            return UserError.of(error)
        return await _answer(info, reply_id)

    @strawberry.mutation(permission_classes=[CanWrite],
                         description="Changes a quick reply's shortcut and/or text (a null "
                                     "argument keeps it): your own, or a shared one (admins).")
    async def update_quick_reply(self, info: Info, id: strawberry.ID,
                                 shortcut: str | None = None,
                                 text: str | None = None) -> UpdateQuickReplyResult:
        reply_id = parse_id(id)
        if reply_id is None:
            return _not_found()
        me = info.context.me
        app = info.context.app
        try:
            await app.bus.execute(qr.UpdateQuickReply(
                reply_id=reply_id, operator_id=me.operator_id,
                may_manage_shared=qr.manages_shared(me.role), shortcut=shortcut, text=text,
                at=app.clock.now(), actor=me.actor))
        except DomainError as error:
            return UserError.of(error)
        return await _answer(info, reply_id)

    @strawberry.mutation(permission_classes=[CanWrite],
                         description="Deletes a quick reply: your own, or a shared one "
                                     "(admins).")
    async def delete_quick_reply(self, info: Info, id: strawberry.ID) -> DeleteQuickReplyResult:
        reply_id = parse_id(id)
        if reply_id is None:
            return _not_found()
        me = info.context.me
        app = info.context.app
        try:
            await app.bus.execute(qr.DeleteQuickReply(
                reply_id=reply_id, operator_id=me.operator_id,
                may_manage_shared=qr.manages_shared(me.role), at=app.clock.now(),
                actor=me.actor))
        except DomainError as error:
            return UserError.of(error)
        await read_models_caught_up(app, PROJECTION)
        return Done()
