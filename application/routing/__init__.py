"""Routing: the access group, the employee queue, keyword rules, distribution (everybody, evenly,
in order), operator presence, and the dialog's lifecycle (claim, transfer, resolve, reopen).

One module per concern — `access`, `employee_queue`, `rules`, `distribution` (settings, the
client's episode, the waiting line, lapsed offers), `presence` (panels, chosen status,
notifications seen), `dialogs` (claim, answer, transfer, resolve) — over `shared` (reading the
configuration, finding the aggregates several commands change). Everything is re-exported here.

Handlers run inside the group-commit writer: they read and change aggregates through the unit of
work only. Time comes in with each command (`at`, from the entry point's clock), so the
idle-timeout job and the tests drive it with any clock they like."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from application.ports import UnitOfWork
from application.routing import access, dialogs, distribution, employee_queue, presence, rules
from application.routing.access import (
    AddAccessMember,
    RemoveAccessMember,
    SeedAccessGroup,
    add_access_member,
    remove_access_member,
    seed_access_group,
)
from application.routing.dialogs import (
    ClaimDialog,
    ResolveDialog,
    TransferDialog,
    answer,
    claim_dialog,
    resolve_dialog,
    transfer_dialog,
)
from application.routing.distribution import (
    WAITING_SCAN,
    AssignWaitingDialogs,
    ConfigureDistribution,
    ForwardLapsedOffer,
    SetOperatorCapacity,
    assign_waiting,
    assign_waiting_dialogs,
    candidates,
    choose,
    configure_distribution,
    distribute,
    episode_for,
    forward_lapsed_offer,
    set_operator_capacity,
)
from application.routing.employee_queue import (
    MoveQueueMember,
    add_queue_member,
    move_queue_member,
    remove_queue_member,
)
from application.routing.presence import (
    ChoosePresence,
    ConnectPanel,
    DisconnectPanel,
    MarkNotificationsSeen,
    choose_presence,
    connect_panel,
    disconnect_panel,
    mark_notifications_seen,
)
from application.routing.rules import (
    AddRoutingRule,
    ChangeRoutingRule,
    MoveRoutingRule,
    RemoveRoutingRule,
    SwitchRoutingRule,
    add_routing_rule,
    change_routing_rule,
    move_routing_rule,
    remove_routing_rule,
    switch_routing_rule,
)
from application.routing.shared import (
    SYSTEM,
    current_rules,
    ensure_access,
    group_members,
    has_access,
    policy,
    queue_members,
    route_message,
)


def _merged(*features: dict[type, Callable[[Any, UnitOfWork], Any]],
            ) -> dict[type, Callable[[Any, UnitOfWork], Any]]:
    handlers: dict[type, Callable[[Any, UnitOfWork], Any]] = {}
    for feature in features:
        for command, handler in feature.items():
            if command in handlers:
                raise RuntimeError(f"Two routing handlers for {command.__name__}")
            handlers[command] = handler
    return handlers


HANDLERS: dict[type, Callable[[Any, UnitOfWork], Any]] = _merged(
    access.HANDLERS, employee_queue.HANDLERS, rules.HANDLERS, distribution.HANDLERS,
    presence.HANDLERS, dialogs.HANDLERS)

__all__ = [
    "HANDLERS",
    "SYSTEM",
    "WAITING_SCAN",
    "AddAccessMember",
    "AddRoutingRule",
    "AssignWaitingDialogs",
    "ChangeRoutingRule",
    "ChoosePresence",
    "ClaimDialog",
    "ConfigureDistribution",
    "ConnectPanel",
    "DisconnectPanel",
    "ForwardLapsedOffer",
    "MarkNotificationsSeen",
    "MoveQueueMember",
    "MoveRoutingRule",
    "RemoveAccessMember",
    "RemoveRoutingRule",
    "ResolveDialog",
    "SeedAccessGroup",
    "SetOperatorCapacity",
    "SwitchRoutingRule",
    "TransferDialog",
    "add_access_member",
    "add_queue_member",
    "add_routing_rule",
    "answer",
    "assign_waiting",
    "assign_waiting_dialogs",
    "candidates",
    "change_routing_rule",
    "choose",
    "choose_presence",
    "claim_dialog",
    "configure_distribution",
    "connect_panel",
    "current_rules",
    "disconnect_panel",
    "distribute",
    "ensure_access",
    "episode_for",
    "forward_lapsed_offer",
    "group_members",
    "has_access",
    "mark_notifications_seen",
    "move_queue_member",
    "move_routing_rule",
    "policy",
    "queue_members",
    "remove_access_member",
    "remove_queue_member",
    "remove_routing_rule",
    "resolve_dialog",
    "route_message",
    "seed_access_group",
    "set_operator_capacity",
    "switch_routing_rule",
    "transfer_dialog",
]
