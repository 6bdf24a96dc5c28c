"""The root schema only combines the features' queries, mutations and subscriptions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from api.graphql.analytics.queries import AnalyticsQuery
from api.graphql.audit.queries import AuditQuery
from api.graphql.auth.mutations import AuthMutation
from api.graphql.auth.queries import AuthQuery
from api.graphql.calls.mutations import CallsMutation
from api.graphql.calls.queries import CallsQuery
from api.graphql.channel.mutations import ChannelMutation
from api.graphql.channel.queries import ChannelQuery
from api.graphql.channel.subscriptions import ChannelSubscription
from api.graphql.channels.mutations import ChannelsMutation
from api.graphql.channels.queries import ChannelsQuery
from api.graphql.client_card.mutations import ClientCardMutation
from api.graphql.client_card.queries import ClientCardQuery
from api.graphql.colleagues.mutations import ColleaguesMutation
from api.graphql.colleagues.queries import ColleaguesQuery
from api.graphql.colleagues.subscriptions import ColleaguesSubscription
from api.graphql.inbox.access import InboxAccessSubscription
from api.graphql.inbox.mutations import InboxMutation
from api.graphql.inbox.queries import InboxQuery
from api.graphql.inbox.subscriptions import InboxSubscription
from api.graphql.labels.mutations import LabelsMutation
from api.graphql.labels.queries import LabelsQuery
from api.graphql.media.subscriptions import MediaSubscription
from api.graphql.outbox.mutations import OutboxMutation
from api.graphql.outbox.queries import OutboxQuery
from api.graphql.outbox.subscriptions import OutboxSubscription
from api.graphql.people.mutations import PeopleMutation
from api.graphql.people.queries import PeopleQuery
from api.graphql.quick_replies.mutations import QuickRepliesMutation
from api.graphql.quick_replies.queries import QuickRepliesQuery
from api.graphql.routing.mutations import RoutingMutation
from api.graphql.routing.queries import RoutingQuery
from api.graphql.routing.subscriptions import RoutingSubscription
from api.graphql.search.queries import SearchQuery
from api.graphql.setup.mutations import SetupMutation
from api.graphql.setup.queries import SetupQuery
from api.graphql.templates.mutations import TemplatesMutation
from api.graphql.templates.queries import TemplatesQuery
from api.graphql.webhook_refusals.queries import WebhookRefusalsQuery

Query = merge_types("Query", (AuthQuery, InboxQuery, SetupQuery, AuditQuery, ChannelQuery,
                              ChannelsQuery, RoutingQuery, OutboxQuery, ColleaguesQuery,
                              AnalyticsQuery, TemplatesQuery, SearchQuery,
                              WebhookRefusalsQuery, LabelsQuery, QuickRepliesQuery,
                              ClientCardQuery, CallsQuery, PeopleQuery))
Mutation = merge_types("Mutation", (AuthMutation, InboxMutation, SetupMutation,
                                    ChannelMutation, ChannelsMutation, RoutingMutation,
                                    OutboxMutation, ColleaguesMutation, TemplatesMutation,
                                    LabelsMutation, QuickRepliesMutation,
                                    ClientCardMutation, CallsMutation, PeopleMutation))
Subscription = merge_types("Subscription", (InboxSubscription, ChannelSubscription,
                                            RoutingSubscription, OutboxSubscription,
                                            ColleaguesSubscription, MediaSubscription,
                                            InboxAccessSubscription))

QUIET_CODES = {"UNAUTHENTICATED", "FORBIDDEN"}


class SwitchboardSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Permission denials and bad input are the caller's business, not tracebacks in our log.
        loud = [e for e in errors if _is_unexpected(e)]
        super().process_errors(loud, execution_context)


def _is_unexpected(error: GraphQLError) -> bool:
    if (error.extensions or {}).get("code") in QUIET_CODES:
        return False
    original: Any = error.original_error
    return original is not None and not isinstance(original, ValueError)


def build_schema() -> SwitchboardSchema:
    limits: list[Callable[[], SchemaExtension]] = [
        lambda: QueryDepthLimiter(max_depth=10),
        lambda: MaxTokensLimiter(max_token_count=2000),
        lambda: MaxAliasesLimiter(max_alias_count=15),
    ]
    return SwitchboardSchema(
        query=Query, mutation=Mutation, subscription=Subscription, extensions=limits
    )
