"""Who receives a client's message. With no routing rule matching, the whole employee queue."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

QUEUE = "queue"


@dataclass(frozen=True)
class Route:
    recipients: list[UUID]
    rule: str


def route(text: str, queue_members: list[UUID]) -> Route:
    """Keyword rules come later; today every message goes to every queue member."""
    return Route(recipients=list(queue_members), rule=QUEUE)
