"""`nameClient` and `noteClient`: operators (in a dialog they may read) and admins (any dialog)
name a client and keep a note; auditors only read."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from uuid import UUID

import strawberry

from api.graphql.catch_up import read_models_caught_up
from api.graphql.client_card.queries import card_for
from api.graphql.client_card.types import ClientCard, NameClientSuccess, NoteClientSuccess
from api.graphql.context import Info
from api.graphql.errors import UserError
from api.graphql.inbox.queries import parse_id
from api.graphql.permissions import CanWrite
from application import oversight
from application.auth import Principal
from application.client_card import NOT_YOURS, NameClient, NoteClient
from application.errors import DomainError

NameClientResult = Annotated[NameClientSuccess | UserError, strawberry.union("NameClientResult")]
NoteClientResult = Annotated[NoteClientSuccess | UserError, strawberry.union("NoteClientResult")]


async def _card_after(info: Info, dialog_id: UUID) -> ClientCard | UserError:
    await read_models_caught_up(info.context.app, "client_card")
    card = await card_for(info, dialog_id)
    return card or UserError(code="NOT_FOUND", message=NOT_YOURS, field="dialogId")


async def _change(info: Info, dialog_id: strawberry.ID,
                  command: Callable[[UUID, Principal], object]
                  ) -> tuple[ClientCard, bool] | UserError:
    """Runs a change of the card of a dialog the caller may read; the card after it and
    whether anything changed, or the refusal."""
    did = parse_id(dialog_id)
    if did is None:
        return UserError(code="NOT_FOUND", message=NOT_YOURS, field="dialogId")
    try:
        changed: bool = await info.context.app.bus.execute(command(did, info.context.me))
    except DomainError as error:
        return UserError.of(error)
    card = await _card_after(info, did)
    return card if isinstance(card, UserError) else (card, changed)


@strawberry.type
class ClientCardMutation:
    @strawberry.mutation(permission_classes=[CanWrite],
                         description="Names the client of a dialog you may read (1 to 120 "
                                     "characters): shown on the card when the phonebook does "
                                     "not know the number.")
    async def name_client(self, info: Info, dialog_id: strawberry.ID,
                          name: str) -> NameClientResult:
        done = await _change(info, dialog_id, lambda did, me: NameClient(
            dialog_id=did, name=name, operator_id=me.operator_id,
            admin=oversight.acts_on_every_dialog(me.role), actor=me.actor))
        return done if isinstance(done, UserError) else NameClientSuccess(card=done[0],
                                                                          changed=done[1])

    @strawberry.mutation(permission_classes=[CanWrite],
                         description="Keeps a note about the client of a dialog you may read "
                                     "(1 to 2,000 characters; it replaces the earlier note).")
    async def note_client(self, info: Info, dialog_id: strawberry.ID,
                          note: str) -> NoteClientResult:
        done = await _change(info, dialog_id, lambda did, me: NoteClient(
            dialog_id=did, note=note, operator_id=me.operator_id,
            admin=oversight.acts_on_every_dialog(me.role), actor=me.actor))
        return done if isinstance(done, UserError) else NoteClientSuccess(card=done[0],
                                                                          changed=done[1])
