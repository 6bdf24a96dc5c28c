"""Every read model the projector runs. Add a feature's projection here."""

from __future__ import annotations

from projections.base import Projection
from projections.inbox import InboxProjection
from projections.operators import OperatorsProjection
from projections.sessions import SessionsProjection


def all_projections() -> list[Projection]:
    return [OperatorsProjection(), SessionsProjection(), InboxProjection()]
