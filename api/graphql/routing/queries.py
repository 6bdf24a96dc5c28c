from __future__ import annotations

from datetime import datetime, timedelta

import strawberry
from anyio import to_thread

from api.graphql.context import Info
from api.graphql.permissions import IsAdmin, IsAuthenticated, IsSupervisorOrAdmin
from api.graphql.routing import reading
from api.graphql.routing.types import (
    AccessGroup,
    ChosenPresence,
    Colleague,
    DistributionMode,
    DistributionSettings,
    EmployeeQueue,
    MyPresence,
    Notification,
    NotificationList,
    PresenceStatus,
    RoutePreview,
    RoutingOperator,
    RoutingRule,
    RoutingRuleInput,
    WhatIfMessage,
    WhatIfOperator,
    WhatIfReport,
    WhatIfRule,
)
from application import routing_preview as preview_service
from application.errors import DomainError
from application.oversight import acts_on_every_dialog
from application.routing_preview import Desk
from projections import colleagues as colleagues_view
from projections import notifications as notifications_view
from projections import presence as presence_view
from projections import routing as routing_view

GROUP_NAME = "Telephony and messenger users"
MAX_WHAT_IF_MESSAGES = 50_000
MAX_WHAT_IF_PERIOD = timedelta(days=366)


def proposed_rules(rules: list[RoutingRuleInput]) -> list[preview_service.Rule]:
    """Proposed rules, checked as saved ones are; raises ValueError naming the fault."""
    proposed = []
    for i, rule in enumerate(rules):
        targets = [reading.parse_uuid(t) for t in rule.target_ids]
        if any(t is None for t in targets):
            raise ValueError(f"rules[{i}].targetIds: not an operator id.")
        try:
            proposed.append(preview_service.proposed_rule(
                name=rule.name, keywords=rule.keywords, match=rule.match.value,
                targets=[t for t in targets if t is not None], enabled=rule.enabled,
                rule_id=reading.parse_uuid(rule.id) if rule.id else None))
        except DomainError as error:
            raise ValueError(f"rules[{i}].{error.field or 'rule'}: {error.message}") from None
    return proposed


@strawberry.type
class RoutingQuery:
    @strawberry.field(permission_classes=[IsSupervisorOrAdmin],
                      description="Every operator with their place in routing (admins and "
                                  "supervisors).")
    async def routing_operators(self, info: Info) -> list[RoutingOperator]:
        engine = info.context.app.reads

        def read() -> list[RoutingOperator]:
            with engine.connect() as conn:
                return list(reading.roster(conn).values())

        return await to_thread.run_sync(read)

    @strawberry.field(permission_classes=[IsAdmin],
                      description='The access group "Telephony and messenger users".')
    async def access_group(self, info: Info) -> AccessGroup:
        return await read_access_group(info)

    @strawberry.field(permission_classes=[IsSupervisorOrAdmin],
                      description="The employee queue, in its order (admins and supervisors).")
    async def employee_queue(self, info: Info) -> EmployeeQueue:
        return await read_queue(info)

    @strawberry.field(permission_classes=[IsAdmin],
                      description="The keyword routing rules, in the order they are tried.")
    async def routing_rules(self, info: Info) -> list[RoutingRule]:
        engine = info.context.app.reads

        def read() -> list[RoutingRule]:
            with engine.connect() as conn:
                return reading.rules(conn)

        return await to_thread.run_sync(read)

    @strawberry.field(permission_classes=[IsAdmin], description="How dialogs are distributed.")
    async def distribution_settings(self, info: Info) -> DistributionSettings:
        return await read_distribution(info)

    @strawberry.field(permission_classes=[IsAdmin],
                      description="Which rule a message would match and who would receive it, "
                                  "now; nothing changes.")
    async def route_preview(self, info: Info, text: str) -> RoutePreview:
        if len(text) > 4096:
            raise ValueError("`text` is at most 4096 characters.")
        engine = info.context.app.reads

        def read() -> RoutePreview:
            with engine.connect() as conn:
                team = reading.roster(conn)
                rules = reading.rules(conn, team)
                desks = {oid: Desk(status=row.status, holding=row.holding,
                                   last_taken_at=row.last_taken_at)
                         for oid, row in presence_view.presences(conn).items()}
                found = preview_service.preview(
                    text, rules=routing_view.current_rules(conn),
                    queue=routing_view.queue_members(conn),
                    group=routing_view.group_members(conn), policy=routing_view.policy(conn),
                    desks=desks)
            chosen = found.route
            rule = next((r for r in rules if str(r.id) == str(chosen.rule_id)), None)
            return RoutePreview(
                rule=rule, fallback=chosen.fallback, to_queue=chosen.to_queue,
                matched_keywords=found.matched_keywords,
                recipients=reading.ordered(team, chosen.recipients),
                mode=DistributionMode(found.mode.value),
                would_assign=team.get(found.would_assign) if found.would_assign else None)

        return await to_thread.run_sync(read)

    @strawberry.field(permission_classes=[IsAdmin],
                      description="Replays the messages routed in [since, until) through a "
                                  "proposed rule set and reports, per operator and per rule, "
                                  "how distribution would have differed. Nothing changes.")
    async def routing_what_if(
        self, info: Info, rules: list[RoutingRuleInput], since: datetime, until: datetime
    ) -> WhatIfReport:
        if since.tzinfo is None or until.tzinfo is None:
            raise ValueError("`since` and `until` carry a time zone.")
        if not since < until or until - since > MAX_WHAT_IF_PERIOD:
            raise ValueError("The period starts before it ends and spans at most a year.")
        proposed = proposed_rules(rules)
        engine = info.context.app.reads

        def read() -> WhatIfReport:
            with engine.connect() as conn:
                team = reading.roster(conn)
                past = routing_view.decisions_between(conn, since, until,
                                                      MAX_WHAT_IF_MESSAGES + 1)
            truncated = len(past) > MAX_WHAT_IF_MESSAGES
            report = preview_service.what_if(past[:MAX_WHAT_IF_MESSAGES], proposed)
            return WhatIfReport(
                since=since, until=until, messages=report.messages, changed=report.changed,
                truncated=truncated,
                by_operator=[
                    WhatIfOperator(
                        operator=team.get(oid), operator_id=strawberry.ID(str(oid)),
                        live=report.live_by_operator[oid],
                        proposed=report.proposed_by_operator[oid],
                        delta=report.proposed_by_operator[oid] - report.live_by_operator[oid])
                    for oid in report.operators],
                by_rule=[WhatIfRule(rule_id=strawberry.ID(str(t.rule_id)) if t.rule_id else None,
                                    name=t.name, live=t.live, proposed=t.proposed)
                         for t in report.by_rule.values()],
                samples=[WhatIfMessage(
                    dialog_id=strawberry.ID(str(d.dialog_id)), routed_at=d.routed_at,
                    text=d.text, live_rule=d.live_rule, proposed_rule=d.proposed_rule,
                    live_recipients=[strawberry.ID(str(o)) for o in d.live_recipients],
                    proposed_recipients=[strawberry.ID(str(o)) for o in d.proposed_recipients])
                    for d in report.differences])

        return await to_thread.run_sync(read)

    @strawberry.field(permission_classes=[IsAuthenticated],
                      description="Your presence, and whether you may read and send messages.")
    async def my_presence(self, info: Info) -> MyPresence:
        return await read_my_presence(info)

    @strawberry.field(permission_classes=[IsAuthenticated],
                      description="Colleagues in the access group a dialog may be transferred "
                                  "to (empty outside the group, except for admins and "
                                  "supervisors, who reassign any dialog).")
    async def transfer_targets(self, info: Info) -> list[Colleague]:
        me = info.context.me.operator_id
        oversees = acts_on_every_dialog(info.context.me.role)
        engine = info.context.app.reads

        def read() -> list[Colleague]:
            with engine.connect() as conn:
                if not oversees and not routing_view.in_group(conn, me):
                    return []
                team = reading.roster(conn)
            return [Colleague(id=o.id, display_name=o.display_name, presence=o.presence,
                              holding=o.holding)
                    for o in sorted(team.values(), key=lambda o: o.display_name.casefold())
                    if o.in_access_group and o.active and str(o.id) != str(me)]

        return await to_thread.run_sync(read)

    @strawberry.field(permission_classes=[IsAuthenticated],
                      description="Your notifications, newest first, with the unread count "
                                  "(empty outside the access group).")
    async def notifications(self, info: Info, first: int = 30,
                            unread_only: bool = False) -> NotificationList:
        if not 1 <= first <= 200:
            raise ValueError("`first` is between 1 and 200.")
        return await read_notifications(info, first=first, unread_only=unread_only)


async def read_my_presence(info: Info) -> MyPresence:
    me = info.context.me.operator_id
    engine = info.context.app.reads

    def read() -> MyPresence:
        with engine.connect() as conn:
            desk = presence_view.presence_of(conn, me)
            policy = routing_view.policy(conn)
            return MyPresence(
                status=PresenceStatus(desk.status.value), chosen=ChosenPresence(desk.chosen.value),
                in_access_group=routing_view.in_group(conn, me),
                in_queue=me in routing_view.queue_members(conn), holding=desk.holding,
                capacity=policy.capacity_of(me))

    return await to_thread.run_sync(read)


async def read_notifications(info: Info, *, first: int, unread_only: bool) -> NotificationList:
    me = info.context.me.operator_id
    engine = info.context.app.reads

    def read() -> NotificationList:
        with engine.connect() as conn:
            if not routing_view.in_group(conn, me):
                return NotificationList(items=[], unread_count=0, latest_seq=0,
                                        colleague_unread=0)
            page = notifications_view.notification_page(conn, me, first=first,
                                                        unread_only=unread_only)
            colleague_unread = colleagues_view.unread_messages(conn, me)
        return NotificationList(items=[Notification.of(r) for r in page.rows],
                                unread_count=page.unread, latest_seq=page.latest_seq,
                                colleague_unread=colleague_unread)

    return await to_thread.run_sync(read)


async def read_access_group(info: Info) -> AccessGroup:
    engine = info.context.app.reads

    def read() -> AccessGroup:
        with engine.connect() as conn:
            team = reading.roster(conn)
        return AccessGroup(name=GROUP_NAME,
                           members=[o for o in team.values() if o.in_access_group])

    return await to_thread.run_sync(read)


async def read_queue(info: Info) -> EmployeeQueue:
    engine = info.context.app.reads

    def read() -> EmployeeQueue:
        with engine.connect() as conn:
            team = reading.roster(conn)
            return EmployeeQueue(members=reading.ordered(team, routing_view.queue_members(conn)))

    return await to_thread.run_sync(read)


async def read_distribution(info: Info) -> DistributionSettings:
    engine = info.context.app.reads

    def read() -> DistributionSettings:
        with engine.connect() as conn:
            policy = routing_view.policy(conn)
        return DistributionSettings(
            mode=DistributionMode(policy.mode.value),
            idle_timeout_seconds=policy.idle_timeout_seconds, capacity=policy.capacity,
            reopen_window_hours=policy.reopen_window_hours)

    return await to_thread.run_sync(read)
