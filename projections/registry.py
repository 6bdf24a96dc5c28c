"""Every read model the projector runs. Add a feature's projection here."""

from __future__ import annotations

from projections.analytics.delivery import AnalyticsDeliveryProjection
from projections.analytics.dialogs import AnalyticsDialogsProjection
from projections.analytics.labels import AnalyticsLabelsProjection
from projections.analytics.messages import AnalyticsMessagesProjection
from projections.analytics.operator_load import AnalyticsOperatorLoadProjection
from projections.analytics.routing_hits import AnalyticsRoutingHitsProjection
from projections.analytics.rows import DEFAULT_BUSINESS_TIMEZONE
from projections.audit.trail import AuditProjection
from projections.base import Projection
from projections.channel import ChannelProjection
from projections.client_card import ClientCardProjection
from projections.colleagues import ColleaguesProjection
from projections.inbox import InboxProjection
from projections.labels import LabelsProjection
from projections.media import MediaProjection
from projections.notifications import NotificationsProjection
from projections.operators import OperatorsProjection
from projections.outbox import OutboxProjection
from projections.presence import PresenceProjection
from projections.quick_replies import QuickRepliesProjection
from projections.routing import RoutingProjection
from projections.search import SearchProjection
from projections.sessions import SessionsProjection
from projections.setup import PhonebookProjection
from projections.sync import SyncProjection
from projections.templates import TemplatesProjection
from projections.webhook_refusals import WebhookRefusalsProjection


def all_projections(business_timezone: str = DEFAULT_BUSINESS_TIMEZONE) -> list[Projection]:
    """`business_timezone`: the zone whose days and hours the analytics tables count in."""
    return [OperatorsProjection(), SessionsProjection(), InboxProjection(), AuditProjection(),
            PhonebookProjection(), ChannelProjection(),
            RoutingProjection(), PresenceProjection(), NotificationsProjection(),
            OutboxProjection(), SyncProjection(), ColleaguesProjection(), MediaProjection(),
            TemplatesProjection(), WebhookRefusalsProjection(), QuickRepliesProjection(),
            LabelsProjection(),  # after the inbox: it tells the inbox's recipients
            ClientCardProjection(),
            SearchProjection(),
            *analytics_projections(business_timezone)]


def analytics_projections(business_timezone: str = DEFAULT_BUSINESS_TIMEZONE
                          ) -> list[Projection]:
    """The analysts' read models (schema `analytics`)."""
    return [AnalyticsMessagesProjection(business_timezone),
            AnalyticsDialogsProjection(business_timezone),
            AnalyticsOperatorLoadProjection(business_timezone),
            AnalyticsRoutingHitsProjection(business_timezone),
            AnalyticsDeliveryProjection(business_timezone),
            AnalyticsLabelsProjection(business_timezone)]
