"""Reads of the colleague-chat read model for the resolvers (in a thread)."""

from __future__ import annotations

from uuid import UUID

from anyio import to_thread

from api.graphql.colleagues.types import ColleagueChat, ColleagueChatView, ColleagueMessage
from application.services import Services
from projections import colleagues as view


def entry(app: Services, me: UUID, chat_id: UUID) -> ColleagueChat | None:
    with app.reads.connect() as conn:
        row = view.chat_entry(conn, me, chat_id)
        if row is None:
            return None
        return ColleagueChat.of(row, view.members_of(conn, chat_id), me)


def chat_view(app: Services, me: UUID, chat_id: UUID | None, *, dialog_id: UUID | None,
              last: int, before: int | None) -> ColleagueChatView | None:
    with app.reads.connect() as conn:
        row = view.chat_entry(conn, me, chat_id) if chat_id is not None else \
            view.discussion_of(conn, me, dialog_id) if dialog_id is not None else None
        if row is None:
            return None
        rows = view.chat_messages(conn, row.id, last=last + 1, before_seq=before)
        return ColleagueChatView(
            chat=ColleagueChat.of(row, view.members_of(conn, row.id), me),
            messages=[ColleagueMessage.of(r, me) for r in rows[-last:]],
            has_earlier=len(rows) > last)


async def entry_async(app: Services, me: UUID, chat_id: UUID) -> ColleagueChat | None:
    return await to_thread.run_sync(entry, app, me, chat_id)
