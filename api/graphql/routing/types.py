from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry


@strawberry.enum(description="How routed dialogs reach operators.")
class DistributionMode(Enum):
    EVERYBODY = "everybody"
    EVENLY = "evenly"
    IN_ORDER = "in_order"


@strawberry.enum(description="any keyword; all keywords; a phrase, its words in order.")
class MatchMode(Enum):
    ANY = "any"
    ALL = "all"
    PHRASE = "phrase"


@strawberry.enum
class PresenceStatus(Enum):
    ONLINE = "online"
    AWAY = "away"
    OFFLINE = "offline"


@strawberry.enum(description="What an operator can choose: online or away.")
class ChosenPresence(Enum):
    ONLINE = "online"
    AWAY = "away"


@strawberry.enum
class NotificationKind(Enum):
    MESSAGE = "message"
    ASSIGNED = "assigned"
    TRANSFERRED = "transferred"
    REOPENED = "reopened"


@strawberry.type(description="An operator as routing sees them.")
class RoutingOperator:
    id: strawberry.ID
    login: str
    display_name: str
    role: str
    active: bool
    in_access_group: bool
    in_queue: bool
    queue_position: int | None = strawberry.field(description="0 is offered first (in order).")
    presence: PresenceStatus
    holding: int = strawberry.field(description="Open dialogs this operator holds.")
    capacity: int = strawberry.field(description="Open dialogs at most (0: no limit).")
    capacity_override: int | None = strawberry.field(
        description="The operator's own capacity, if set; else the default applies.")


@strawberry.type(description="A colleague a dialog may be transferred to.")
class Colleague:
    id: strawberry.ID
    display_name: str
    presence: PresenceStatus
    holding: int


@strawberry.type(description='The access group "Telephony and messenger users": only its '
                             "members read and send messages.")
class AccessGroup:
    name: str
    members: list[RoutingOperator]


@strawberry.type(description="The employee queue, in the order \"in order\" offers dialogs.")
class EmployeeQueue:
    members: list[RoutingOperator]


@strawberry.type(description="A keyword routing rule; rules are tried in order.")
class RoutingRule:
    id: strawberry.ID
    position: int
    name: str
    keywords: list[str]
    match: MatchMode
    targets: list[RoutingOperator]
    enabled: bool
    active_targets: int = strawberry.field(
        description="Targets still in the access group; 0 means the queue gets its messages.")
    updated_at: datetime
    updated_by: str


@strawberry.input(description="A routing rule as an admin writes it.")
class RoutingRuleInput:
    name: str
    keywords: list[str]
    match: MatchMode = MatchMode.ANY
    target_ids: list[strawberry.ID]
    enabled: bool = True
    id: strawberry.ID | None = strawberry.field(
        default=None, description="In what-if: an existing rule's id keeps its identity.")


@strawberry.type
class DistributionSettings:
    mode: DistributionMode
    idle_timeout_seconds: int = strawberry.field(
        description="In order: an offer not answered within this moves to the next operator.")
    capacity: int = strawberry.field(description="Open dialogs per operator (0: no limit).")
    reopen_window_hours: int = strawberry.field(
        description="A client's message this soon after resolution reopens the dialog; later "
                    "it starts a new one.")


@strawberry.type(description="Where a message would go now.")
class RoutePreview:
    rule: RoutingRule | None
    fallback: bool = strawberry.field(
        description="The rule matched but its targets all left the access group.")
    to_queue: bool
    matched_keywords: list[str]
    recipients: list[RoutingOperator]
    mode: DistributionMode
    would_assign: RoutingOperator | None = strawberry.field(
        description="Evenly / in order: who would take it, as presence and load stand now.")


@strawberry.type
class WhatIfOperator:
    operator: RoutingOperator | None
    operator_id: strawberry.ID
    live: int
    proposed: int
    delta: int


@strawberry.type
class WhatIfRule:
    rule_id: strawberry.ID | None
    name: str
    live: int
    proposed: int


@strawberry.type
class WhatIfMessage:
    dialog_id: strawberry.ID
    routed_at: datetime
    text: str
    live_rule: str
    proposed_rule: str
    live_recipients: list[strawberry.ID]
    proposed_recipients: list[strawberry.ID]


@strawberry.type(description="Past messages replayed through a proposed rule set; nothing "
                             "changes.")
class WhatIfReport:
    since: datetime
    until: datetime
    messages: int
    changed: int
    truncated: bool = strawberry.field(description="The period held more messages than read.")
    by_operator: list[WhatIfOperator]
    by_rule: list[WhatIfRule]
    samples: list[WhatIfMessage]


@strawberry.type(description="The signed-in operator's presence and place in routing.")
class MyPresence:
    status: PresenceStatus
    chosen: ChosenPresence
    in_access_group: bool
    in_queue: bool
    holding: int
    capacity: int


@strawberry.type
class Notification:
    id: strawberry.ID
    kind: NotificationKind
    dialog_id: strawberry.ID
    client_name: str
    phone: str
    text: str
    detail: str = strawberry.field(description="A transfer's note, or why it was assigned.")
    count: int = strawberry.field(description="Messages folded into this notification.")
    seq: int = strawberry.field(description="Pass the largest to markNotificationsRead.")
    at: datetime
    read: bool

    @classmethod
    def of(cls, row: Any) -> Notification:
        return cls(id=strawberry.ID(str(row.id)), kind=NotificationKind(row.kind),
                   dialog_id=strawberry.ID(str(row.dialog_id)), client_name=row.client_name,
                   phone=row.phone, text=row.text, detail=row.detail, count=row.count,
                   seq=row.seq, at=row.updated_at, read=row.read)


COLLEAGUE_UNREAD = ("Colleague messages you have not read, in all your colleague chats (the "
                    "same number as colleagueChats.unreadMessages; not part of unreadCount, "
                    "which counts the dialogs' notifications).")


@strawberry.type
class NotificationList:
    items: list[Notification]
    unread_count: int
    latest_seq: int
    colleague_unread: int = strawberry.field(description=COLLEAGUE_UNREAD)


@strawberry.type(description="Your notifications changed: new, folded or read; or the count "
                             "of unread colleague messages changed (a colleague wrote to you, "
                             "or you read a chat), when `notifications` may be empty.")
class NotificationsChange:
    unread_count: int
    notifications: list[Notification]
    colleague_unread: int = strawberry.field(description=COLLEAGUE_UNREAD)


@strawberry.type
class RoutingRulesPayload:
    rules: list[RoutingRule]
    rule_id: strawberry.ID | None = None


@strawberry.type
class RoutingOperatorsPayload:
    operators: list[RoutingOperator]
