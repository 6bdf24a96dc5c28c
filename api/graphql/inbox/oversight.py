"""The inbox's scope over all dialogs (admins and supervisors, who reassign from it; auditors,
who read it), and opening any dialog for those who read every dialog (application/oversight.py:
the one rule the dialog, its messages, media, client card and labels follow)."""

from __future__ import annotations

from enum import Enum
from typing import Any
from uuid import UUID

import sqlalchemy as sa
import strawberry
from graphql import GraphQLError

from api.graphql.context import Info
from application.oversight import reads_every_dialog
from projections import inbox as inbox_view
from projections import oversight as view


@strawberry.enum(description="OWN: the dialogs delivered to you; ALL: every dialog, whoever "
                             "holds it (admins, supervisors and auditors).")
class InboxScope(Enum):
    OWN = "own"
    ALL = "all"


def ensure_all_allowed(info: Info) -> None:
    """Operators see only their own dialogs: the scope ALL is refused them (FORBIDDEN)."""
    if not reads_every_dialog(info.context.me.role):
        raise GraphQLError("Only admins, supervisors and auditors see all dialogs.",
                           extensions={"code": "FORBIDDEN"})


def entry_for(conn: sa.Connection, info: Info, dialog_id: UUID) -> Any:
    """The dialog as the caller reads it: from their inbox, or — for those who read every dialog
    — any dialog there is; None otherwise."""
    me = info.context.me
    if reads_every_dialog(me.role):
        return view.any_entry(conn, me.operator_id, dialog_id)
    return inbox_view.inbox_entry(conn, me.operator_id, dialog_id)
