"""Quick replies: commands and handlers (domain/quick_replies.py has the rules).

The entry point decides who may manage shared ones (`domain.quick_replies.manages_shared` of the
caller's role) and chooses a new reply's id, so that a batch run again makes the same reply.
Handlers run inside the group-commit writer: no I/O, time comes in with each command."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from application.ports import UnitOfWork
from domain.quick_replies import (
    PLACEHOLDERS,
    QUICK_REPLIES_ID,
    QuickReplies,
    QuickReplyNotFound,
    fill,
    manages_shared,
)

__all__ = ["PLACEHOLDERS", "CreateQuickReply", "DeleteQuickReply", "UpdateQuickReply", "fill",
           "manages_shared"]


# -- commands --------------------------------------------------------------------------------
@dataclass(frozen=True)
class CreateQuickReply:
    reply_id: UUID
    operator_id: UUID
    shared: bool
    may_manage_shared: bool
    shortcut: str
    text: str
    at: datetime
    actor: str


@dataclass(frozen=True)
class UpdateQuickReply:
    reply_id: UUID
    operator_id: UUID
    may_manage_shared: bool
    shortcut: str | None  # None: as it is
    text: str | None
    at: datetime
    actor: str


@dataclass(frozen=True)
class DeleteQuickReply:
    reply_id: UUID
    operator_id: UUID
    may_manage_shared: bool
    at: datetime
    actor: str


# -- handlers --------------------------------------------------------------------------------
def _replies(uow: UnitOfWork, actor: str, *, create: bool) -> QuickReplies | None:
    replies = uow.get(QuickReplies, QUICK_REPLIES_ID)
    if replies is None and create:
        if uow.is_recorded(QUICK_REPLIES_ID):  # an optimistic answer was wrong: run again
            raise RuntimeError("The quick replies exist but could not be read.")
        replies = QuickReplies(actor=actor)
        uow.add(replies)
    return replies


def create_quick_reply(cmd: CreateQuickReply, uow: UnitOfWork) -> UUID:
    replies = _replies(uow, cmd.actor, create=True)
    assert replies is not None
    replies.create(cmd.reply_id, operator_id=cmd.operator_id, shared=cmd.shared,
                   may_manage_shared=cmd.may_manage_shared, shortcut=cmd.shortcut,
                   text=cmd.text, at=cmd.at, actor=cmd.actor)
    return cmd.reply_id


def update_quick_reply(cmd: UpdateQuickReply, uow: UnitOfWork) -> bool:
    replies = _replies(uow, cmd.actor, create=False)
    if replies is None:
        raise QuickReplyNotFound("No such quick reply among yours and the shared ones.",
                                 field="id")
    return replies.change(cmd.reply_id, operator_id=cmd.operator_id,
                          may_manage_shared=cmd.may_manage_shared, shortcut=cmd.shortcut,
                          text=cmd.text, at=cmd.at, actor=cmd.actor)


def delete_quick_reply(cmd: DeleteQuickReply, uow: UnitOfWork) -> None:
    replies = _replies(uow, cmd.actor, create=False)
    if replies is None:
        raise QuickReplyNotFound("No such quick reply among yours and the shared ones.",
                                 field="id")
    replies.delete(cmd.reply_id, operator_id=cmd.operator_id,
                   may_manage_shared=cmd.may_manage_shared, at=cmd.at, actor=cmd.actor)


HANDLERS: dict[type, Callable[[Any, UnitOfWork], Any]] = {
    CreateQuickReply: create_quick_reply,
    UpdateQuickReply: update_quick_reply,
    DeleteQuickReply: delete_quick_reply,
}
