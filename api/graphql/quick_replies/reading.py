"""Reading quick replies for the caller: the shared ones and their own, whether they may edit
each, and each text filled in for one of their dialogs."""

from __future__ import annotations

from uuid import UUID

import sqlalchemy as sa
from anyio import to_thread

from api.graphql.quick_replies.types import QuickReply
from application.auth import Principal
from application.quick_replies import fill, manages_shared
from application.services import Services
from projections import inbox as view
from projections.quick_replies import quick_reply, visible_quick_replies


def placeholder_values(conn: sa.Connection, me: Principal, dialog_id: UUID, company: str
                       ) -> dict[str, str] | None:
    """What {client_name}, {operator_name} and {company} stand for in this dialog: the client's
    name (else their number), the signed-in operator's name, and the company's own name
    (SWITCHBOARD_COMPANY_NAME; while it is not set, {company} stays as written, for the operator
    to see and fill in). None: not one of your dialogs."""
    row = view.inbox_entry(conn, me.operator_id, dialog_id)
    if row is None:
        return None
    return {"client_name": row.client_name.strip() or row.phone,
            "operator_name": me.display_name,
            "company": company.strip() or "{company}"}


def can_edit(me: Principal, owner_id: UUID | None) -> bool:
    if owner_id is None:
        return manages_shared(me.role)
    return owner_id == me.operator_id


async def visible(app: Services, me: Principal, search: str,
                  dialog_id: UUID | None) -> list[QuickReply]:
    engine = app.reads

    def read() -> list[QuickReply]:
        with engine.connect() as conn:
            values = placeholder_values(conn, me, dialog_id, app.settings.company_name) \
                if dialog_id else None
            return [QuickReply.of(row, can_edit=can_edit(me, row.owner_id),
                                  filled_text=fill(row.text, values) if values else None)
                    for row in visible_quick_replies(conn, me.operator_id, search)]

    return await to_thread.run_sync(read)


async def one(app: Services, me: Principal, reply_id: UUID) -> QuickReply | None:
    engine = app.reads

    def read() -> QuickReply | None:
        with engine.connect() as conn:
            row = quick_reply(conn, reply_id)
        if row is None or row.owner_id not in (None, me.operator_id):
            return None
        return QuickReply.of(row, can_edit=can_edit(me, row.owner_id))

    return await to_thread.run_sync(read)
