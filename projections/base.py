"""What every projection has: tables on the shared metadata, the events it reads, and `apply`."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any, ClassVar

import sqlalchemy as sa
from eventsourcing.utils import get_topic

READ_SCHEMA = "read"
metadata = sa.MetaData(schema=READ_SCHEMA)

projection_tracking = sa.Table(
    "projection_tracking",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("position", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("updated_at", sa.DateTime(timezone=True)),
)

view_changes = sa.Table(
    "view_changes",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True,
              autoincrement=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
)


class Changes:
    """What a batch changed that live subscribers care about: feed -> key -> ids."""

    def __init__(self) -> None:
        self.feeds: defaultdict[str, defaultdict[str, set[str]]] = defaultdict(
            lambda: defaultdict(set)
        )

    def add(self, feed: str, key: object, item: object) -> None:
        self.feeds[feed][str(key)].add(str(item))

    def __bool__(self) -> bool:
        return bool(self.feeds)

    def as_dict(self) -> dict[str, dict[str, list[str]]]:
        return {
            feed: {key: sorted(items) for key, items in keys.items()}
            for feed, keys in self.feeds.items()
        }


class Unwatched(Changes):
    """Changes nobody listens to (a read model built aside): not even turned into text."""

    def add(self, feed: str, key: object, item: object) -> None:
        pass


class Projection:
    """A read model. Subclasses set `name`, `tables`, `events`, and implement `apply`."""

    name: ClassVar[str]
    tables: ClassVar[Sequence[sa.Table]]
    events: ClassVar[Sequence[type]]
    # Background: nobody waits on it live (the analysts' tables); the projector moves these
    # after the others, in their own transactions.
    background: ClassVar[bool] = False

    @classmethod
    def topics(cls) -> list[str]:
        return [get_topic(e) for e in cls.events]

    def apply(self, conn: sa.Connection, event: Any, position: int, changes: Changes) -> None:
        raise NotImplementedError

    def apply_batch(
        self, conn: sa.Connection, events: Sequence[tuple[int, Any]], changes: Changes
    ) -> None:
        """Applies a batch in order. Override to write hot events in bulk (fewer round trips);
        the result must equal applying each event in turn."""
        for position, event in events:
            self.apply(conn, event, position, changes)


class BatchProjection(Projection):
    """A read model that folds each batch as a whole (`apply_batch`); one event is a batch of
    one."""

    def apply(self, conn: sa.Connection, event: Any, position: int, changes: Changes) -> None:
        self.apply_batch(conn, [(position, event)], changes)

    def apply_batch(
        self, conn: sa.Connection, events: Sequence[tuple[int, Any]], changes: Changes
    ) -> None:
        raise NotImplementedError
