"""`messageTemplates` (the approved templates) and `replyWindow` (whether a dialog takes free
text now), for everyone signed in; a dialog that is not yours has no window to tell."""

from __future__ import annotations

import strawberry
from anyio import to_thread

from api.graphql.context import Info
from api.graphql.inbox.queries import parse_id
from api.graphql.permissions import IsAuthenticated
from api.graphql.templates.types import MessageTemplate, ReplyWindow
from api.graphql.time import utc
from projections import inbox as view
from projections.channel import last_client_message_at
from projections.templates import approved_templates


@strawberry.type
class TemplatesQuery:
    @strawberry.field(permission_classes=[IsAuthenticated],
                      description="The approved WhatsApp templates, as last synchronised.")
    async def message_templates(self, info: Info) -> list[MessageTemplate]:
        engine = info.context.app.reads

        def read() -> list[MessageTemplate]:
            with engine.connect() as conn:
                return [MessageTemplate.of(row) for row in approved_templates(conn)]

        return await to_thread.run_sync(read)

    @strawberry.field(permission_classes=[IsAuthenticated],
                      description="Whether one of your dialogs takes free text now; null if "
                                  "the dialog is not yours.")
    async def reply_window(self, info: Info, dialog_id: strawberry.ID) -> ReplyWindow | None:
        did = parse_id(dialog_id)
        if did is None:
            return None
        me = info.context.me.operator_id
        app = info.context.app
        engine = app.reads
        templates = app.templates

        def read() -> ReplyWindow | None:
            with engine.connect() as conn:
                row = view.inbox_entry(conn, me, did)
                if row is None:
                    return None
                window = templates.reply_window(row.channel)
                if window is None:
                    return ReplyWindow(closed=False)
                last = last_client_message_at(conn, row.phone)
            closes = utc(last) + window if last is not None else None
            return ReplyWindow(closed=closes is None or app.clock.now() >= closes,
                               closes_at=closes,
                               last_client_message_at=utc(last) if last else None,
                               templates_available=templates.available)

        return await to_thread.run_sync(read)
