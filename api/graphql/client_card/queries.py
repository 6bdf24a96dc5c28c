"""`clientCard(dialogId)` for those who may read the dialog."""

from __future__ import annotations

from uuid import UUID

import strawberry
from anyio import to_thread

from api.graphql.client_card.types import ClientCard, reads_every_dialog
from api.graphql.context import Info
from api.graphql.inbox.queries import parse_id
from api.graphql.permissions import IsAuthenticated
from projections import client_card as view


async def card_for(info: Info, dialog_id: UUID) -> ClientCard | None:
    """The dialog's card, when the caller may read the dialog; else None."""
    me = info.context.me
    every = reads_every_dialog(info)
    engine = info.context.app.reads

    def read() -> view.CardView | None:
        with engine.connect() as conn:
            if not view.may_read(conn, dialog_id, me.operator_id, every_dialog=every):
                return None
            return view.cards(conn, [dialog_id]).get(dialog_id)

    card = await to_thread.run_sync(read)
    return ClientCard.of(card, reveal_revoked=every) if card else None


@strawberry.type
class ClientCardQuery:
    @strawberry.field(permission_classes=[IsAuthenticated],
                      description="The client card of a dialog you may read (admins and "
                                  "auditors: any); null otherwise.")
    async def client_card(self, info: Info, dialog_id: strawberry.ID) -> ClientCard | None:
        did = parse_id(dialog_id)
        return None if did is None else await card_for(info, did)
