"""Each operator's notifications, with unread counts, pushed live on the "notifications" feed.

Who hears what: a client's message goes to whoever holds the dialog, or — while nobody does — to
every recipient; an operator is told when a dialog is assigned or transferred to them. There is
one unread notification per operator and dialog: further messages fold into it (a count and the
latest text) instead of flooding the list. Reading the dialog, or marking notifications seen,
reads them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid5

import sqlalchemy as sa

from domain.clients import Client
from domain.dialogs import Dialog
from domain.notifications import NotificationCursor
from projections.base import Changes, Projection, metadata

PREVIEW = 200
NAMESPACE = UUID("0b1d8f0e-8a55-4c52-a6f4-1b4f3c8e9d21")
# The more significant kind stays when a later event folds into an unread notification.
WEIGHT = {"message": 0, "reopened": 1, "assigned": 2, "transferred": 3}

notifications = sa.Table(
    "notifications",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("operator_id", sa.Uuid, nullable=False),
    sa.Column("dialog_id", sa.Uuid, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("client_name", sa.String(120), nullable=False),
    sa.Column("phone", sa.String(32), nullable=False),
    sa.Column("text", sa.String(PREVIEW), nullable=False),
    sa.Column("detail", sa.String(500), nullable=False),
    sa.Column("count", sa.Integer, nullable=False),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("read", sa.Boolean, nullable=False),
    sa.Index("ix_notifications_operator_seq", "operator_id", "seq"),
    sa.Index("ix_notifications_operator_dialog", "operator_id", "dialog_id"),
)

notify_dialogs = sa.Table(
    "notify_dialogs",
    metadata,
    sa.Column("dialog_id", sa.Uuid, primary_key=True),
    sa.Column("client_id", sa.Uuid, nullable=False, index=True),
    sa.Column("client_name", sa.String(120), nullable=False),
    sa.Column("phone", sa.String(32), nullable=False),
    sa.Column("assignee_id", sa.Uuid),
)

notify_recipients = sa.Table(
    "notify_recipients",
    metadata,
    sa.Column("dialog_id", sa.Uuid, primary_key=True),
    sa.Column("operator_id", sa.Uuid, primary_key=True),
)


class NotificationsProjection(Projection):
    name = "notifications"
    tables = (notifications, notify_dialogs, notify_recipients)
    events = (
        Dialog.Opened, Dialog.MessageReceived, Dialog.MarkedRead, Dialog.Assigned,
        Dialog.Claimed, Dialog.Transferred, Dialog.Unassigned, Dialog.Resolved, Dialog.Reopened,
        Client.Renamed, NotificationCursor.Seen,
    )

    def apply_batch(
        self, conn: sa.Connection, events: Sequence[tuple[int, Any]], changes: Changes
    ) -> None:
        """Runs of received messages fold per dialog before they are written."""
        run: list[tuple[int, Any]] = []
        for position, event in events:
            if isinstance(event, Dialog.MessageReceived):
                run.append((position, event))
                continue
            if run:
                self._messages(conn, run, changes)
                run = []
            self.apply(conn, event, position, changes)
        if run:
            self._messages(conn, run, changes)

    def apply(self, conn: sa.Connection, event: Any, position: int, changes: Changes) -> None:
        dialog_id = event.originator_id
        match event:
            case Dialog.Opened():
                conn.execute(notify_dialogs.insert().values(
                    dialog_id=dialog_id, client_id=event.client_id,
                    client_name=event.client_name[:120], phone=event.phone[:32]))
                if event.recipients:
                    conn.execute(notify_recipients.insert(), [
                        {"dialog_id": dialog_id, "operator_id": oid}
                        for oid in dict.fromkeys(event.recipients)])
            case Dialog.MessageReceived():
                self._messages(conn, [(position, event)], changes)
            case Dialog.Assigned():
                self._hold(conn, dialog_id, event.operator_id)
                self._notify(conn, changes, event.operator_id, dialog_id, "assigned",
                             position, event.timestamp, detail=event.reason)
            case Dialog.Transferred():
                self._hold(conn, dialog_id, event.to_operator)
                self._notify(conn, changes, event.to_operator, dialog_id, "transferred",
                             position, event.timestamp, detail=event.note)
            case Dialog.Claimed():
                self._hold(conn, dialog_id, event.operator_id)
            case Dialog.Unassigned() | Dialog.Resolved():
                conn.execute(notify_dialogs.update().where(notify_dialogs.c.dialog_id == dialog_id)
                             .values(assignee_id=None))
            case Dialog.MarkedRead():
                self._read(conn, changes, event.operator_id,
                           notifications.c.dialog_id == dialog_id)
            case NotificationCursor.Seen():
                self._read(conn, changes, event.operator_id, notifications.c.seq <= event.up_to)
            case Client.Renamed():
                conn.execute(notify_dialogs.update()
                             .where(notify_dialogs.c.client_id == event.originator_id)
                             .values(client_name=event.name[:120]))

    # -- writing -------------------------------------------------------------------------------
    @staticmethod
    def _hold(conn: sa.Connection, dialog_id: UUID, operator_id: UUID) -> None:
        conn.execute(notify_dialogs.update().where(notify_dialogs.c.dialog_id == dialog_id)
                     .values(assignee_id=operator_id))
        known = conn.execute(sa.select(notify_recipients.c.operator_id).where(
            notify_recipients.c.dialog_id == dialog_id,
            notify_recipients.c.operator_id == operator_id)).first()
        if known is None:
            conn.execute(notify_recipients.insert().values(dialog_id=dialog_id,
                                                           operator_id=operator_id))

    def _messages(self, conn: sa.Connection, run: list[tuple[int, Any]],
                  changes: Changes) -> None:
        first: dict[UUID, tuple[int, Any]] = {}
        latest: dict[UUID, tuple[int, Any, int]] = {}
        for position, event in run:
            first.setdefault(event.originator_id, (position, event))
            _, _, count = latest.get(event.originator_id, (0, None, 0))
            latest[event.originator_id] = (position, event, count + 1)
        ids = list(latest)
        holders = dict(conn.execute(  # type: ignore[arg-type]
            sa.select(notify_dialogs.c.dialog_id, notify_dialogs.c.assignee_id)
            .where(notify_dialogs.c.dialog_id.in_(ids))).all())
        everyone: dict[UUID, list[UUID]] = {}
        for dialog_id, operator_id in conn.execute(
                sa.select(notify_recipients.c.dialog_id, notify_recipients.c.operator_id)
                .where(notify_recipients.c.dialog_id.in_(ids))):
            everyone.setdefault(dialog_id, []).append(operator_id)
        # As `_notify` for each, in bulk: one read of the unread ones, one write of each kind.
        unread: dict[tuple[UUID, UUID], UUID] = {
            (row.operator_id, row.dialog_id): row.id for row in conn.execute(
                sa.select(notifications.c.id, notifications.c.operator_id,
                          notifications.c.dialog_id)
                .where(notifications.c.dialog_id.in_(ids), notifications.c.read.is_(False)))}
        names = {row.dialog_id: row for row in conn.execute(
            sa.select(notify_dialogs.c.dialog_id, notify_dialogs.c.client_name,
                      notify_dialogs.c.phone).where(notify_dialogs.c.dialog_id.in_(ids)))}
        updates: list[dict[str, Any]] = []
        inserts: list[dict[str, Any]] = []
        for dialog_id, (position, event, count) in latest.items():
            holder = holders.get(dialog_id)
            for operator_id in [holder] if holder else sorted(everyone.get(dialog_id, []),
                                                              key=str):
                text = event.text[:PREVIEW]
                known = unread.get((operator_id, dialog_id))
                if known is not None:  # a message never outweighs what it folds into
                    updates.append({"b_id": known, "b_count": count, "b_seq": position,
                                    "b_at": event.timestamp, "b_text": text})
                    changes.add("notifications", operator_id, known)
                    continue
                origin_position, origin_at = first[dialog_id][0], first[dialog_id][1].timestamp
                nid = uuid5(NAMESPACE, f"{operator_id}:{dialog_id}:{origin_position}")
                name = names.get(dialog_id)
                inserts.append({
                    "id": nid, "operator_id": operator_id, "dialog_id": dialog_id,
                    "kind": "message", "client_name": name.client_name if name else "",
                    "phone": name.phone if name else "", "text": text, "detail": "",
                    "count": count, "seq": position, "created_at": origin_at,
                    "updated_at": event.timestamp, "read": False})
                changes.add("notifications", operator_id, nid)
        if updates:
            conn.execute(_FOLD_MESSAGES, updates)
        if inserts:
            conn.execute(notifications.insert(), inserts)

    @staticmethod
    def _notify(
        conn: sa.Connection, changes: Changes, operator_id: UUID, dialog_id: UUID, kind: str,
        position: int, at: Any, *, text: str | None = None, detail: str = "", count: int = 0,
        origin: tuple[int, Any] | None = None,
    ) -> None:
        """Folds into the operator's unread notification of the dialog, or starts one. `origin`
        is the first event folded here (its position names a new notification, so that the
        rows do not depend on how events were batched)."""
        unread = conn.execute(sa.select(notifications.c.id, notifications.c.kind).where(
            notifications.c.operator_id == operator_id, notifications.c.dialog_id == dialog_id,
            notifications.c.read.is_(False))).first()
        values: dict[str, Any] = {"seq": position, "updated_at": at}
        if text is not None:
            values["text"] = text[:PREVIEW]
        if unread is not None:
            if WEIGHT[kind] >= WEIGHT.get(unread.kind, 0):
                values.update(kind=kind, detail=detail[:500])
            conn.execute(notifications.update().where(notifications.c.id == unread.id)
                         .values(count=notifications.c.count + count, **values))
            changes.add("notifications", operator_id, unread.id)
            return
        dialog = conn.execute(sa.select(notify_dialogs.c.client_name, notify_dialogs.c.phone)
                              .where(notify_dialogs.c.dialog_id == dialog_id)).first()
        origin_position, origin_at = origin or (position, at)
        nid = uuid5(NAMESPACE, f"{operator_id}:{dialog_id}:{origin_position}")
        conn.execute(notifications.insert().values(
            id=nid, operator_id=operator_id, dialog_id=dialog_id, kind=kind,
            client_name=dialog.client_name if dialog else "", phone=dialog.phone if dialog else "",
            text=values.get("text", ""), detail=detail[:500], count=count, seq=position,
            created_at=origin_at, updated_at=at, read=False))
        changes.add("notifications", operator_id, nid)

    @staticmethod
    def _read(conn: sa.Connection, changes: Changes, operator_id: UUID, which: Any) -> None:
        ids = conn.execute(
            notifications.update().where(notifications.c.operator_id == operator_id,
                                         notifications.c.read.is_(False), which)
            .values(read=True).returning(notifications.c.id)).scalars().all()
        for nid in ids:
            changes.add("notifications", operator_id, nid)


_FOLD_MESSAGES = notifications.update().where(notifications.c.id == sa.bindparam("b_id")).values(
    count=notifications.c.count + sa.bindparam("b_count"), seq=sa.bindparam("b_seq"),
    updated_at=sa.bindparam("b_at"), text=sa.bindparam("b_text"))


# -- queries -------------------------------------------------------------------------------
@dataclass(frozen=True)
class NotificationPage:
    rows: list[sa.Row[Any]]
    unread: int
    latest_seq: int


def notification_page(
    conn: sa.Connection, operator_id: UUID, *, first: int, unread_only: bool
) -> NotificationPage:
    query = sa.select(notifications).where(notifications.c.operator_id == operator_id)
    if unread_only:
        query = query.where(notifications.c.read.is_(False))
    rows = list(conn.execute(query.order_by(notifications.c.seq.desc()).limit(first)))
    latest = conn.execute(sa.select(sa.func.max(notifications.c.seq))
                          .where(notifications.c.operator_id == operator_id)).scalar()
    return NotificationPage(rows=rows, unread=unread_count(conn, operator_id),
                            latest_seq=int(latest or 0))


def unread_count(conn: sa.Connection, operator_id: UUID) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(notifications).where(
        notifications.c.operator_id == operator_id, notifications.c.read.is_(False)))
        .scalar_one())


def notifications_by_id(conn: sa.Connection, operator_id: UUID,
                        ids: Sequence[UUID]) -> list[sa.Row[Any]]:
    return list(conn.execute(sa.select(notifications).where(
        notifications.c.operator_id == operator_id, notifications.c.id.in_(list(ids)))
        .order_by(notifications.c.seq.desc())))
