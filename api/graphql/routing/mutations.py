"""Routing mutations. Admins manage the access group, the queue, rules and distribution;
operators set their presence and claim, transfer and resolve dialogs. A refused command records
nothing and answers a UserError naming the field and the reason."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, TypeVar
from uuid import UUID, uuid4

import strawberry
from anyio import to_thread

from api.graphql.catch_up import read_models_caught_up
from api.graphql.context import Info
from api.graphql.errors import UserError
from api.graphql.inbox.oversight import entry_for
from api.graphql.inbox.types import InboxEntry
from api.graphql.permissions import IsAdmin, IsAuthenticated
from api.graphql.routing import reading
from api.graphql.routing.queries import (
    read_access_group,
    read_distribution,
    read_my_presence,
    read_notifications,
    read_queue,
)
from api.graphql.routing.types import (
    AccessGroup,
    ChosenPresence,
    DistributionMode,
    DistributionSettings,
    EmployeeQueue,
    MyPresence,
    NotificationList,
    RoutingOperatorsPayload,
    RoutingRuleInput,
    RoutingRulesPayload,
)
from application import commands as c
from application import routing as r
from application.errors import DomainError
from projections import notifications as notifications_view
from projections import routing as routing_view

AccessGroupResult = Annotated[AccessGroup | UserError, strawberry.union("AccessGroupResult")]
EmployeeQueueResult = Annotated[EmployeeQueue | UserError,
                                strawberry.union("EmployeeQueueResult")]
RoutingRulesResult = Annotated[RoutingRulesPayload | UserError,
                               strawberry.union("RoutingRulesResult")]
DistributionResult = Annotated[DistributionSettings | UserError,
                               strawberry.union("DistributionResult")]
RoutingOperatorsResult = Annotated[RoutingOperatorsPayload | UserError,
                                   strawberry.union("RoutingOperatorsResult")]
PresenceResult = Annotated[MyPresence | UserError, strawberry.union("PresenceResult")]
NotificationsResult = Annotated[NotificationList | UserError,
                                strawberry.union("NotificationsResult")]


@strawberry.type(description="The dialog after the change, as it stands in your inbox.")
class DialogActionSuccess:
    dialog: InboxEntry | None


DialogActionResult = Annotated[DialogActionSuccess | UserError,
                               strawberry.union("DialogActionResult")]

READ_MODELS = ("routing", "operators", "presence")
T = TypeVar("T")


def _no_such(field: str, what: str = "operator") -> UserError:
    return UserError(code="NOT_FOUND", message=f"No such {what}.", field=field)


async def _run(info: Info, command: object) -> UserError | None:
    try:
        await info.context.app.bus.execute(command)
    except DomainError as error:
        return UserError.of(error)
    return None


async def _then(info: Info, command: object, answer: Callable[[], Awaitable[T]]) -> T | UserError:
    """Runs the command; once the read models have caught up, answers with `answer()`."""
    refused = await _run(info, command)
    if refused is not None:
        return refused
    await read_models_caught_up(info.context.app, *READ_MODELS)
    return await answer()


def _now(info: Info) -> datetime:
    return info.context.app.clock.now()


async def _rules(info: Info, rule_id: UUID | None = None) -> RoutingRulesPayload:
    engine = info.context.app.reads

    def read() -> RoutingRulesPayload:
        with engine.connect() as conn:
            return RoutingRulesPayload(
                rules=reading.rules(conn),
                rule_id=strawberry.ID(str(rule_id)) if rule_id else None)

    return await to_thread.run_sync(read)


async def _on_rule(info: Info, id: strawberry.ID,
                   command: Callable[[UUID, str], object | UserError], *,
                   removed: bool = False) -> RoutingRulesPayload | UserError:
    """A change to the rule named by `id` (refused when the id is no rule's); answers with the
    rules, pointing at this one unless it was removed."""
    rule_id = reading.parse_uuid(id)
    if rule_id is None:
        return _no_such("id", "routing rule")
    made = command(rule_id, info.context.me.actor)
    if isinstance(made, UserError):
        return made
    return await _then(info, made, lambda: _rules(info, None if removed else rule_id))


def _rule_command(rule: RoutingRuleInput) -> tuple[tuple[UUID, ...], UserError | None]:
    targets = [reading.parse_uuid(t) for t in rule.target_ids]
    if any(t is None for t in targets):
        return (), _no_such("targetIds")
    return tuple(t for t in targets if t is not None), None


async def _dialog_action(info: Info, dialog_id: UUID, command: object) -> DialogActionResult:
    refused = await _run(info, command)
    if refused is not None:
        return refused
    app = info.context.app
    await read_models_caught_up(app, "inbox")
    engine = app.reads

    def read() -> InboxEntry | None:
        with engine.connect() as conn:  # admins and supervisors: the dialog they reassigned
            row = entry_for(conn, info, dialog_id)
            return InboxEntry.of(row) if row else None

    return DialogActionSuccess(dialog=await to_thread.run_sync(read))


@strawberry.type
class RoutingMutation:
    # -- the access group and the queue --------------------------------------------------------
    @strawberry.mutation(permission_classes=[IsAdmin],
                         description="Adds an operator to the access group.")
    async def add_access_group_member(self, info: Info,
                                      operator_id: strawberry.ID) -> AccessGroupResult:
        oid = reading.parse_uuid(operator_id)
        if oid is None:
            return _no_such("operatorId")
        me = info.context.me
        return await _then(info, r.AddAccessMember(operator_id=oid, actor=me.actor),
                           lambda: read_access_group(info))

    @strawberry.mutation(permission_classes=[IsAdmin],
                         description="Removes an operator from the access group (and so from the "
                                     "queue); the dialogs they held go to others or wait.")
    async def remove_access_group_member(self, info: Info,
                                         operator_id: strawberry.ID) -> AccessGroupResult:
        oid = reading.parse_uuid(operator_id)
        if oid is None:
            return _no_such("operatorId")
        me = info.context.me
        return await _then(info, r.RemoveAccessMember(operator_id=oid, at=_now(info),
                                                      actor=me.actor),
                           lambda: read_access_group(info))

    @strawberry.mutation(permission_classes=[IsAdmin],
                         description="Adds an operator to the employee queue. Only access-group "
                                     "members may be in it: with grantAccess they are added to "
                                     "the group as well, else an outsider is refused.")
    async def add_queue_member(self, info: Info, operator_id: strawberry.ID,
                               grant_access: bool = False) -> EmployeeQueueResult:
        oid = reading.parse_uuid(operator_id)
        if oid is None:
            return _no_such("operatorId")
        me = info.context.me
        return await _then(info, c.AddQueueMember(operator_id=oid, actor=me.actor,
                                                  grant_access=grant_access),
                           lambda: read_queue(info))

    @strawberry.mutation(permission_classes=[IsAdmin],
                         description="Removes an operator from the employee queue.")
    async def remove_queue_member(self, info: Info,
                                  operator_id: strawberry.ID) -> EmployeeQueueResult:
        oid = reading.parse_uuid(operator_id)
        if oid is None:
            return _no_such("operatorId")
        me = info.context.me
        return await _then(info, c.RemoveQueueMember(operator_id=oid, actor=me.actor),
                           lambda: read_queue(info))

    @strawberry.mutation(permission_classes=[IsAdmin],
                         description="Moves a queue member to `position` (0: offered first).")
    async def move_queue_member(self, info: Info, operator_id: strawberry.ID,
                                position: int) -> EmployeeQueueResult:
        oid = reading.parse_uuid(operator_id)
        if oid is None:
            return _no_such("operatorId")
        me = info.context.me
        return await _then(info, r.MoveQueueMember(operator_id=oid, position=position,
                                                   actor=me.actor),
                           lambda: read_queue(info))

    # -- rules ---------------------------------------------------------------------------------
    @strawberry.mutation(permission_classes=[IsAdmin],
                         description="Adds a routing rule at the end of the list. Its targets "
                                     "must be in the access group and the queue.")
    async def add_routing_rule(self, info: Info, rule: RoutingRuleInput) -> RoutingRulesResult:
        targets, refused = _rule_command(rule)
        if refused:
            return refused
        rule_id = uuid4()
        me = info.context.me
        return await _then(info, r.AddRoutingRule(
            rule_id=rule_id, name=rule.name, keywords=tuple(rule.keywords),
            match=rule.match.value, targets=targets, enabled=rule.enabled, actor=me.actor),
            lambda: _rules(info, rule_id))

    @strawberry.mutation(permission_classes=[IsAdmin],
                         description="Changes a routing rule (its place stays).")
    async def update_routing_rule(self, info: Info, id: strawberry.ID,
                                  rule: RoutingRuleInput) -> RoutingRulesResult:
        def change(rule_id: UUID, actor: str) -> object | UserError:
            targets, refused = _rule_command(rule)
            return refused or r.ChangeRoutingRule(
                rule_id=rule_id, name=rule.name, keywords=tuple(rule.keywords),
                match=rule.match.value, targets=targets, enabled=rule.enabled, actor=actor)

        return await _on_rule(info, id, change)

    @strawberry.mutation(permission_classes=[IsAdmin],
                         description="Switches a routing rule on or off.")
    async def switch_routing_rule(self, info: Info, id: strawberry.ID,
                                  enabled: bool) -> RoutingRulesResult:
        return await _on_rule(info, id, lambda rule_id, actor: r.SwitchRoutingRule(
            rule_id=rule_id, enabled=enabled, actor=actor))

    @strawberry.mutation(permission_classes=[IsAdmin],
                         description="Moves a routing rule to `position` (0 is tried first).")
    async def move_routing_rule(self, info: Info, id: strawberry.ID,
                                position: int) -> RoutingRulesResult:
        return await _on_rule(info, id, lambda rule_id, actor: r.MoveRoutingRule(
            rule_id=rule_id, position=position, actor=actor))

    @strawberry.mutation(permission_classes=[IsAdmin], description="Removes a routing rule.")
    async def remove_routing_rule(self, info: Info, id: strawberry.ID) -> RoutingRulesResult:
        return await _on_rule(info, id, lambda rule_id, actor: r.RemoveRoutingRule(
            rule_id=rule_id, actor=actor), removed=True)

    # -- distribution --------------------------------------------------------------------------
    @strawberry.mutation(permission_classes=[IsAdmin],
                         description="Sets the distribution mode, the idle timeout (in order), "
                                     "the default capacity and the reopen window.")
    async def update_distribution_settings(
        self, info: Info, mode: DistributionMode, idle_timeout_seconds: int = 60,
        capacity: int = 0, reopen_window_hours: int = 72,
    ) -> DistributionResult:
        me = info.context.me
        return await _then(info, r.ConfigureDistribution(
            mode=mode.value, idle_timeout_seconds=idle_timeout_seconds, capacity=capacity,
            reopen_window_hours=reopen_window_hours, at=_now(info), actor=me.actor),
            lambda: read_distribution(info))

    @strawberry.mutation(permission_classes=[IsAdmin],
                         description="Sets an operator's own capacity; null returns them to the "
                                     "default.")
    async def set_operator_capacity(self, info: Info, operator_id: strawberry.ID,
                                    capacity: int | None) -> RoutingOperatorsResult:
        oid = reading.parse_uuid(operator_id)
        if oid is None:
            return _no_such("operatorId")
        me = info.context.me
        engine = info.context.app.reads

        async def answer() -> RoutingOperatorsPayload:
            def read() -> RoutingOperatorsPayload:
                with engine.connect() as conn:
                    return RoutingOperatorsPayload(operators=list(reading.roster(conn).values()))
            return await to_thread.run_sync(read)

        return await _then(info, r.SetOperatorCapacity(operator_id=oid, capacity=capacity,
                                                       at=_now(info), actor=me.actor), answer)

    # -- operators -----------------------------------------------------------------------------
    @strawberry.mutation(permission_classes=[IsAuthenticated],
                         description="Online or away. Online while your panel is connected; "
                                     "away takes no new dialogs.")
    async def set_presence(self, info: Info, status: ChosenPresence) -> PresenceResult:
        me = info.context.me
        return await _then(info, r.ChoosePresence(operator_id=me.operator_id,
                                                  status=status.value, at=_now(info),
                                                  actor=me.actor),
                           lambda: read_my_presence(info))

    @strawberry.mutation(permission_classes=[IsAuthenticated],
                         description="Takes a dialog nobody holds (or accepts the one offered to "
                                     "you). The first claim wins; later ones get ALREADY_TAKEN.")
    async def claim_dialog(self, info: Info, dialog_id: strawberry.ID) -> DialogActionResult:
        did = reading.parse_uuid(dialog_id)
        if did is None:
            return _no_such("dialogId", "dialog among yours")
        me = info.context.me
        return await _dialog_action(info, did, r.ClaimDialog(
            dialog_id=did, operator_id=me.operator_id, at=_now(info), actor=me.actor))

    @strawberry.mutation(permission_classes=[IsAuthenticated],
                         description="Hands the dialog to a colleague in the access group (the "
                                     "holder, or anyone while nobody holds it); admins and "
                                     "supervisors reassign any dialog.")
    async def transfer_dialog(self, info: Info, dialog_id: strawberry.ID,
                              operator_id: strawberry.ID, note: str = "") -> DialogActionResult:
        did = reading.parse_uuid(dialog_id)
        if did is None:
            return _no_such("dialogId", "dialog among yours")
        to = reading.parse_uuid(operator_id)
        if to is None:
            return _no_such("operatorId")
        me = info.context.me
        return await _dialog_action(info, did, r.TransferDialog(
            dialog_id=did, operator_id=me.operator_id, to_operator_id=to, note=note,
            at=_now(info), actor=me.actor))

    @strawberry.mutation(permission_classes=[IsAuthenticated],
                         description="Resolves the dialog; the client's next message reopens it. "
                                     "Admins and supervisors resolve any dialog.")
    async def resolve_dialog(self, info: Info, dialog_id: strawberry.ID) -> DialogActionResult:
        did = reading.parse_uuid(dialog_id)
        if did is None:
            return _no_such("dialogId", "dialog among yours")
        me = info.context.me
        return await _dialog_action(info, did, r.ResolveDialog(
            dialog_id=did, operator_id=me.operator_id, at=_now(info), actor=me.actor))

    @strawberry.mutation(permission_classes=[IsAuthenticated],
                         description="Marks your notifications up to `upTo` (a seq) read; "
                                     "without it, all of them.")
    async def mark_notifications_read(self, info: Info,
                                      up_to: int | None = None) -> NotificationsResult:
        me = info.context.me
        engine = info.context.app.reads
        if up_to is None:
            def latest() -> int:
                with engine.connect() as conn:
                    if not routing_view.in_group(conn, me.operator_id):
                        return 0
                    return notifications_view.notification_page(
                        conn, me.operator_id, first=1, unread_only=False).latest_seq
            up_to = await to_thread.run_sync(latest)
        refused = await _run(info, r.MarkNotificationsSeen(operator_id=me.operator_id,
                                                           up_to=max(up_to, 0), actor=me.actor))
        if refused is not None:
            return refused
        await read_models_caught_up(info.context.app, "notifications")
        return await read_notifications(info, first=30, unread_only=False)
