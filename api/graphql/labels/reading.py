"""The labels an inbox entry or a dialog shows: one query for every entry of an answer (a
DataLoader per request or subscription, without a cache, so that a subscription's next change
reads them afresh)."""

from __future__ import annotations

from typing import Any
from uuid import UUID
from weakref import WeakKeyDictionary

from anyio import to_thread
from strawberry.dataloader import DataLoader

from api.graphql.context import Context, Info
from api.graphql.labels.types import Label
from projections.labels import labels_of

_loaders: WeakKeyDictionary[Context, DataLoader[UUID, list[Label]]] = WeakKeyDictionary()


def _loader(context: Context) -> DataLoader[UUID, list[Label]]:
    loader = _loaders.get(context)
    if loader is None:
        engine = context.app.reads

        async def load(ids: list[UUID]) -> list[list[Label]]:
            def read() -> list[list[Label]]:
                with engine.connect() as conn:
                    found = labels_of(conn, ids)
                return [[Label.of(row) for row in found.get(i, ())] for i in ids]

            return await to_thread.run_sync(read)

        loader = _loaders[context] = DataLoader(load_fn=load, cache=False)
    return loader


async def labels_of_dialog(root: Any, info: Info) -> list[Label]:
    """The resolver of `InboxEntry.labels` and `Dialog.labels`: `root.id` is the dialog's."""
    return await _loader(info.context).load(UUID(str(root.id)))
