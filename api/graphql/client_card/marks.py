"""The inbox row's `clientMark`, read for a whole page of rows in one query. Imported by the
inbox's types, so it imports none of the GraphQL features."""

from __future__ import annotations

from typing import Any
from uuid import UUID
from weakref import WeakKeyDictionary

import strawberry
from anyio import to_thread
from strawberry.dataloader import DataLoader

from api.graphql.context import Context, Info
from projections import client_card as view


@strawberry.type(description="What the inbox row shows of the client card.")
class ClientMark:
    display_name: str
    organisation: str = strawberry.field(description="The phonebook's organisation; empty "
                                                     "when none.")
    in_phonebook: bool
    has_note: bool

    @classmethod
    def of(cls, card: view.CardView) -> ClientMark:
        return cls(display_name=card.display_name,
                   organisation=card.entry.company if card.entry else "",
                   in_phonebook=card.entry is not None, has_note=bool(card.note))


# The marks of one request's inbox rows, read in one query: a loader per request (a socket's
# context lives as long as the socket, hence no cache: each tick's rows are read afresh).
_loaders: WeakKeyDictionary[Context, DataLoader[UUID, view.CardView | None]] = (
    WeakKeyDictionary())


def _loader(context: Context) -> DataLoader[UUID, view.CardView | None]:
    loader = _loaders.get(context)
    if loader is None:
        engine = context.app.reads

        async def load(keys: list[UUID]) -> list[view.CardView | None]:
            def read() -> dict[UUID, view.CardView]:
                with engine.connect() as conn:
                    return view.cards(conn, keys)

            found = await to_thread.run_sync(read)
            return [found.get(key) for key in keys]

        loader = _loaders[context] = DataLoader(load_fn=load, cache=False)
    return loader


async def client_mark(root: Any, info: Info) -> ClientMark | None:
    """The resolver of `InboxEntry.clientMark` (`root.id` is the dialog's): the caller sees
    the row already (the inbox chose the rows)."""
    card = await _loader(info.context).load(UUID(str(root.id)))
    return ClientMark.of(card) if card else None
