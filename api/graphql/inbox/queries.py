from __future__ import annotations

from typing import Annotated
from uuid import UUID

import strawberry
from anyio import to_thread

from api.graphql.context import Info
from api.graphql.inbox.oversight import InboxScope, ensure_all_allowed, entry_for
from api.graphql.inbox.types import (
    Dialog,
    DialogStatus,
    InboxConnection,
    InboxEdge,
    InboxEntry,
    InboxFilter,
    Message,
    Messenger,
    PageInfo,
    decode_cursor,
)
from api.graphql.permissions import IsAuthenticated
from application.oversight import reads_every_dialog
from projections import inbox as view
from projections import oversight as all_view

MAX_PAGE = 200


def parse_id(value: str) -> UUID | None:
    try:
        return UUID(str(value))
    except ValueError:
        return None


@strawberry.type
class InboxQuery:
    @strawberry.field(permission_classes=[IsAuthenticated],
                      description="Your dialogs, newest activity first, `first` at a time.")
    async def inbox(
        self, info: Info, first: int = 30, after: str | None = None,
        filter: InboxFilter = InboxFilter.ALL,
        channel: Annotated[Messenger | None, strawberry.argument(
            description="Only dialogs through this messenger (OTHER: none yet); null: all."
        )] = None,
        label: Annotated[strawberry.ID | None, strawberry.argument(
            description="Only dialogs with this label (an unknown one: none); null: any."
        )] = None,
        scope: Annotated[InboxScope, strawberry.argument(
            description="OWN (default): your dialogs; ALL: every dialog with who holds it "
                        "(`assignee`), for admins, supervisors and auditors (FORBIDDEN for "
                        "operators)."
        )] = InboxScope.OWN,
        operator: Annotated[strawberry.ID | None, strawberry.argument(
            description="With scope ALL: only the dialogs this operator holds; null: anyone's."
        )] = None,
        state: Annotated[DialogStatus | None, strawberry.argument(
            description="With scope ALL: only dialogs in this state (OPEN: nobody holds it); "
                        "null: any."
        )] = None,
    ) -> InboxConnection:
        if not 1 <= first <= MAX_PAGE:
            raise ValueError(f"`first` is between 1 and {MAX_PAGE}.")
        before = decode_cursor(after)
        label_id = parse_id(label) if label is not None else None
        if label is not None and label_id is None:
            raise ValueError("`label` is a label's id.")
        everyone = scope == InboxScope.ALL
        if everyone:
            ensure_all_allowed(info)
        elif operator is not None or state is not None:
            raise ValueError("`operator` and `state` filter the scope ALL.")
        holder = parse_id(operator) if operator is not None else None
        if operator is not None and holder is None:
            raise ValueError("`operator` is an operator's id.")
        me = info.context.me.operator_id
        engine = info.context.app.reads

        def read() -> tuple[view.InboxPage, int]:
            with engine.connect() as conn:
                if everyone:
                    return all_view.all_dialogs_page(
                        conn, me, first=first, before_position=before, view=filter.value,
                        medium=channel.value if channel else None, label=label_id,
                        holder=holder, state=state.value if state else None,
                    ), view.unread_dialogs(conn, me)
                page = view.inbox_page(conn, me, first=first, before_position=before,
                                       unread_only=filter == InboxFilter.UNREAD,
                                       view=filter.value,
                                       medium=channel.value if channel else None,
                                       label=label_id)
                return page, view.unread_dialogs(conn, me)

        page, unread = await to_thread.run_sync(read)
        entries = [InboxEntry.of(row) for row in page.rows]
        return InboxConnection(
            edges=[InboxEdge(cursor=e.cursor, node=e) for e in entries],
            page_info=PageInfo(has_next_page=page.has_next,
                               end_cursor=entries[-1].cursor if entries else None),
            unread_dialogs=unread,
        )

    @strawberry.field(permission_classes=[IsAuthenticated],
                      description="One of your dialogs with its last messages (admins, "
                                  "supervisors and auditors: any dialog); null otherwise.")
    async def dialog(
        self, info: Info, id: strawberry.ID, last: int = 50, before: int | None = None
    ) -> Dialog | None:
        dialog_id = parse_id(id)
        if dialog_id is None:
            return None
        if not 1 <= last <= MAX_PAGE:
            raise ValueError(f"`last` is between 1 and {MAX_PAGE}.")
        engine = info.context.app.reads
        audits = reads_every_dialog(info.context.me.role)  # they keep deleted texts

        def read() -> Dialog | None:
            with engine.connect() as conn:
                row = entry_for(conn, info, dialog_id)
                if row is None:
                    return None
                rows = view.dialog_messages(conn, dialog_id, last=last + 1, before_seq=before)
            earlier = len(rows) > last
            entry = InboxEntry.of(row)
            return Dialog(id=id, channel=entry.channel, entry=entry, has_earlier=earlier,
                          messages=[Message.of(r, reveal_revoked=audits) for r in rows[-last:]])

        return await to_thread.run_sync(read)
