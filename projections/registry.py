"""Every read model the projector runs. Add a feature's projection here."""

from __future__ import annotations

from projections.audit import AuditProjection
from projections.base import Projection
from projections.channel import ChannelProjection
from projections.colleagues import ColleaguesProjection
from projections.inbox import InboxProjection
from projections.media import MediaProjection
from projections.notifications import NotificationsProjection
from projections.operators import OperatorsProjection
from projections.outbox import OutboxProjection
from projections.presence import PresenceProjection
from projections.routing import RoutingProjection
from projections.sessions import SessionsProjection
from projections.setup import PhonebookProjection
from projections.sync import SyncProjection


def all_projections() -> list[Projection]:
    return [OperatorsProjection(), SessionsProjection(), InboxProjection(), AuditProjection(),
            PhonebookProjection(), ChannelProjection(),
            RoutingProjection(), PresenceProjection(), NotificationsProjection(),
            OutboxProjection(), SyncProjection(), ColleaguesProjection(), MediaProjection()]
