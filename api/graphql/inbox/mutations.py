from __future__ import annotations

from typing import Annotated

import strawberry
from anyio import to_thread

from api.graphql.context import Info
from api.graphql.errors import UserError
from api.graphql.inbox.queries import parse_id
from api.graphql.inbox.types import InboxEntry, MarkReadSuccess, TypingSuccess
from api.graphql.permissions import IsAuthenticated
from application import commands as c
from application.errors import DomainError
from application.handlers import Read
from projections import inbox as view

MarkReadResult = Annotated[MarkReadSuccess | UserError, strawberry.union("MarkReadResult")]
TypingResult = Annotated[TypingSuccess | UserError, strawberry.union("TypingResult")]
TYPING_REFUSALS = {"NOT_FOUND": "No such dialog among yours.",
                   "ALREADY_TAKEN": "Another operator has taken this dialog."}


@strawberry.type
class InboxMutation:
    @strawberry.mutation(permission_classes=[IsAuthenticated],
                         description="Marks every message of the dialog read, for you.")
    async def mark_read(self, info: Info, dialog_id: strawberry.ID) -> MarkReadResult:
        me = info.context.me
        did = parse_id(dialog_id)
        if did is None:
            return UserError(code="NOT_FOUND", message="No such dialog among yours.",
                             field="dialogId")
        try:
            marked: Read = await info.context.app.bus.execute(
                c.MarkRead(dialog_id=did, operator_id=me.operator_id, actor=me.actor))
        except DomainError as error:
            return UserError.of(error)
        info.context.app.receipts.read(marked)  # the client sees it read, in the background
        engine = info.context.app.reads

        def read() -> tuple[InboxEntry | None, int]:
            with engine.connect() as conn:
                row = view.inbox_entry(conn, me.operator_id, did)
                unread = view.unread_dialogs(conn, me.operator_id)
            return (InboxEntry.of(row) if row else None), unread

        entry, unread = await to_thread.run_sync(read)
        if entry is None:
            return UserError(code="NOT_FOUND", message="No such dialog among yours.",
                             field="dialogId")
        if entry.unread_count:  # the read model may be a few milliseconds behind the command
            entry.unread_count = 0
            # a dialog a colleague holds is not among the unread dialogs counted for me
            if entry.assignee is None or str(entry.assignee.id) == str(me.operator_id):
                unread -= 1
        return MarkReadSuccess(dialog=entry, unread_dialogs=max(unread, 0))

    @strawberry.mutation(permission_classes=[IsAuthenticated],
                         description="You are typing a reply in the dialog (`typing`), or "
                                     "stopped: the client sees \"typing…\" where the "
                                     "messenger shows it. Call it while typing (the messenger "
                                     "hears it at most every few seconds) and with false after "
                                     "a pause or on sending.")
    async def typing(self, info: Info, dialog_id: strawberry.ID, typing: bool) -> TypingResult:
        me = info.context.me
        did = parse_id(dialog_id)
        if did is None:
            return UserError(code="NOT_FOUND", message=TYPING_REFUSALS["NOT_FOUND"],
                             field="dialogId")
        refused = await to_thread.run_sync(
            info.context.app.receipts.typing, did, me.operator_id, typing)
        if refused:
            return UserError(code=refused, message=TYPING_REFUSALS.get(refused, refused),
                             field="dialogId")
        return TypingSuccess(dialog_id=dialog_id, typing=typing)
