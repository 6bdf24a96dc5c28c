"""The inbox of all dialogs, for those who oversee them (admins, supervisors; auditors read
it): every dialog whoever holds it, newest activity first, filtered by holder, state,
messenger and label. It reads the inbox's tables (projections/inbox.py); the viewer's own
unread count shows where the dialog was delivered to them, else 0."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import sqlalchemy as sa

from projections.inbox import (
    InboxPage,
    _medium,
    _view,
    dialog_recipients,
    dialogs,
)
from projections.labels import labelled
from projections.operators import operators

STATES = ("open", "assigned", "resolved")  # open: nobody holds it

_mine = dialog_recipients.alias("mine")  # the viewer's own row, where it was delivered to them
_unread = sa.func.coalesce(_mine.c.unread, 0)


def _entries(viewer: UUID) -> sa.Select[Any]:
    """The same columns as an inbox entry (projections/inbox.py `_ENTRY`), for every dialog: the
    viewer's unread count when the dialog was delivered to them, the dialog's own position."""
    mine = _mine
    return (
        sa.select(
            dialogs.c.id, dialogs.c.client_id, dialogs.c.phone, dialogs.c.client_name,
            dialogs.c.channel, dialogs.c.opened_at, dialogs.c.last_message_at,
            dialogs.c.last_message_text, dialogs.c.last_direction, dialogs.c.message_count,
            dialogs.c.outgoing_count, _unread.label("unread"),
            dialogs.c.position, dialogs.c.status, dialogs.c.assignee_id,
            dialogs.c.assigned_at, dialogs.c.accepted, dialogs.c.offer_expires_at,
            operators.c.display_name.label("assignee_name"),
        )
        .select_from(
            dialogs.outerjoin(mine, sa.and_(mine.c.dialog_id == dialogs.c.id,
                                            mine.c.operator_id == viewer))
            .outerjoin(operators, operators.c.id == dialogs.c.assignee_id))
    )


def all_dialogs_page(
    conn: sa.Connection, viewer: UUID, *, first: int, before_position: int | None,
    view: str = "all", medium: str | None = None, label: UUID | None = None,
    holder: UUID | None = None, state: str | None = None,
) -> InboxPage:
    """Every dialog, newest activity first. `holder`: an operator's id (the dialogs they hold)
    or None (anyone's or nobody's); `state`: one of STATES or None."""
    query = _entries(viewer)
    if label is not None:
        query = query.where(labelled(dialogs.c.id, label))
    if holder is not None:
        query = query.where(dialogs.c.assignee_id == holder)
    if state is not None:
        query = query.where(dialogs.c.status == state)
    if before_position is not None:
        query = query.where(dialogs.c.position < before_position)
    query = _medium(_view(query, viewer, view, _unread), medium)
    rows = list(conn.execute(query.order_by(dialogs.c.position.desc(), dialogs.c.id)
                             .limit(first + 1)))
    return InboxPage(rows=rows[:first], has_next=len(rows) > first)


def any_entry(conn: sa.Connection, viewer: UUID, dialog_id: UUID) -> sa.Row[Any] | None:
    """Any dialog as an inbox entry (the viewer's unread count, else 0); None when there is no
    such dialog."""
    return conn.execute(_entries(viewer).where(dialogs.c.id == dialog_id)).first()



def active_role(conn: sa.Connection, operator_id: UUID) -> str | None:
    """The operator's role while they are active; None otherwise (a signed media URL names only
    the operator it was issued to)."""
    return conn.execute(sa.select(operators.c.role).where(
        operators.c.id == operator_id, operators.c.active.is_(True))).scalar_one_or_none()
