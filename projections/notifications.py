"""Each operator's notifications, with unread counts, pushed live on the "notifications" feed.

Who hears what: a client's message goes to whoever holds the dialog, or — while nobody does — to
every recipient; an operator is told when a dialog is assigned or transferred to them. There is
one unread notification per operator and dialog: further messages fold into it (a count and the
latest text) instead of flooding the list. Reading the dialog, or marking notifications seen,
reads them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid5

import sqlalchemy as sa

from domain.clients import Client
from domain.dialogs import Dialog
from domain.notifications import NotificationCursor
from projections.base import BatchProjection, Changes, metadata
from projections.rows import CHUNK, Key, RowSet, among, sorted_ids, upsert

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
    sa.Column("phone", sa.String(160), nullable=False),
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
    sa.Column("phone", sa.String(160), nullable=False),
    sa.Column("assignee_id", sa.Uuid),
)

notify_recipients = sa.Table(
    "notify_recipients",
    metadata,
    sa.Column("dialog_id", sa.Uuid, primary_key=True),
    sa.Column("operator_id", sa.Uuid, primary_key=True),
)


class NotificationsProjection(BatchProjection):
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
        """The whole batch folds in memory: the rows it touches are read in a few queries,
        changed event by event, and written back in one upsert per table."""
        fold = _Fold(conn, events, changes)
        for position, event in events:
            fold.apply(event, position)
        fold.flush(conn)


class _Fold:
    """The rows of the three tables that a batch touches, as applying its events in turn
    leaves them. Unread notifications are found by (operator, dialog): there is at most one."""

    def __init__(self, conn: sa.Connection, events: Sequence[tuple[int, Any]],
                 changes: Changes) -> None:
        self.changes = changes
        self.dialogs = RowSet(notify_dialogs)
        self.notes = RowSet(notifications)
        self.recipients: dict[UUID, set[UUID]] = {}
        self.new_recipients: dict[tuple[UUID, UUID], None] = {}
        self.by_client: dict[UUID, set[UUID]] = {}
        self.unread: dict[UUID, dict[UUID, Key]] = {}  # operator -> dialog -> notification
        self._load(conn, events)

    # -- reading -------------------------------------------------------------------------------
    def _load(self, conn: sa.Connection, events: Sequence[tuple[int, Any]]) -> None:
        dialog_ids: set[UUID] = set()
        clients: set[UUID] = set()
        operators: set[UUID] = set()
        seen: set[UUID] = set()
        for _, event in events:
            match event:
                case Client.Renamed():
                    clients.add(event.originator_id)
                    continue
                case NotificationCursor.Seen():
                    seen.add(event.operator_id)
                    continue
                case Dialog.Opened():
                    operators.update(event.recipients)
                case Dialog.Assigned() | Dialog.Claimed() | Dialog.MarkedRead():
                    operators.add(event.operator_id)
                case Dialog.Transferred():
                    operators.add(event.to_operator)
            dialog_ids.add(event.originator_id)
        ids = sorted_ids(dialog_ids)
        for chunk in _chunks(ids):
            self.dialogs.load_where(conn, among(conn, notify_dialogs.c.dialog_id, chunk))
        for chunk in _chunks(sorted_ids(clients)):
            self.dialogs.load_where(conn, among(conn, notify_dialogs.c.client_id, chunk))
        for row in self.dialogs.rows.values():
            self.by_client.setdefault(row["client_id"], set()).add(row["dialog_id"])
            if row["assignee_id"] is not None:
                operators.add(row["assignee_id"])
        for chunk in _chunks(ids):
            for dialog_id, operator_id in conn.execute(
                    sa.select(notify_recipients.c.dialog_id, notify_recipients.c.operator_id)
                    .where(among(conn, notify_recipients.c.dialog_id, chunk))):
                self.recipients.setdefault(dialog_id, set()).add(operator_id)
                operators.add(operator_id)
        # The unread notifications the batch may fold into or read: of the operators it may
        # notify, in its dialogs; and every one of those who mark notifications seen.
        unread = notifications.c.read.is_(False)
        wanted = sorted_ids(operators)
        if ids and wanted:
            for chunk in _chunks(ids):
                self._unread(conn, sa.and_(
                    unread, among(conn, notifications.c.operator_id, wanted),
                    among(conn, notifications.c.dialog_id, chunk)))
        if seen:
            self._unread(conn, sa.and_(unread, among(conn, notifications.c.operator_id,
                                                      sorted_ids(seen))))

    def _unread(self, conn: sa.Connection, where: Any) -> None:
        for row in self.notes.load_where(conn, where):
            if not row["read"]:
                self.unread.setdefault(row["operator_id"], {})[row["dialog_id"]] = (row["id"],)

    # -- folding -------------------------------------------------------------------------------
    def apply(self, event: Any, position: int) -> None:
        dialog_id = event.originator_id
        match event:
            case Dialog.Opened():
                self.dialogs.new((dialog_id,), client_id=event.client_id,
                                 client_name=event.client_name[:120], phone=event.phone[:32],
                                 assignee_id=None)
                self.by_client.setdefault(event.client_id, set()).add(dialog_id)
                for operator_id in event.recipients:
                    self._recipient(dialog_id, operator_id)
            case Dialog.MessageReceived():
                self._message(event, position)
            case Dialog.Assigned():
                self._hold(dialog_id, event.operator_id)
                self._notify(event.operator_id, dialog_id, "assigned", position,
                             event.timestamp, event.reason)
            case Dialog.Transferred():
                self._hold(dialog_id, event.to_operator)
                self._notify(event.to_operator, dialog_id, "transferred", position,
                             event.timestamp, event.note)
            case Dialog.Claimed():
                self._hold(dialog_id, event.operator_id)
            case Dialog.Unassigned() | Dialog.Resolved():
                self.dialogs.change((dialog_id,), assignee_id=None)
            case Dialog.MarkedRead():
                key = self.unread.get(event.operator_id, {}).pop(dialog_id, None)
                if key is not None:
                    self._read(event.operator_id, key)
            case NotificationCursor.Seen():
                mine = self.unread.get(event.operator_id, {})
                for other, key in list(mine.items()):
                    if self.notes.rows[key]["seq"] <= event.up_to:
                        del mine[other]
                        self._read(event.operator_id, key)
            case Client.Renamed():
                for other in self.by_client.get(event.originator_id, ()):
                    self.dialogs.change((other,), client_name=event.name[:120])

    def _recipient(self, dialog_id: UUID, operator_id: UUID) -> None:
        known = self.recipients.setdefault(dialog_id, set())
        if operator_id not in known:
            known.add(operator_id)
            self.new_recipients[(dialog_id, operator_id)] = None

    def _hold(self, dialog_id: UUID, operator_id: UUID) -> None:
        self.dialogs.change((dialog_id,), assignee_id=operator_id)
        self._recipient(dialog_id, operator_id)

    def _read(self, operator_id: UUID, key: Key) -> None:
        self.notes.change(key, read=True)
        self.changes.add("notifications", operator_id, key[0])

    def _message(self, event: Any, position: int) -> None:
        dialog_id = event.originator_id
        dialog = self.dialogs.get((dialog_id,))
        holder = dialog["assignee_id"] if dialog is not None else None
        targets = [holder] if holder else sorted(self.recipients.get(dialog_id, ()), key=str)
        text = event.text[:PREVIEW]
        for operator_id in targets:
            key = self.unread.get(operator_id, {}).get(dialog_id)
            if key is not None:  # a message never outweighs what it folds into
                row = self.notes.rows[key]
                self.notes.change(key, count=row["count"] + 1, seq=position,
                                  updated_at=event.timestamp, text=text)
                self.changes.add("notifications", operator_id, key[0])
                continue
            self._start(operator_id, dialog_id, "message", position, event.timestamp,
                        text=text, count=1)

    def _notify(self, operator_id: UUID, dialog_id: UUID, kind: str, position: int, at: Any,
                detail: str) -> None:
        """Folds into the operator's unread notification of the dialog, or starts one."""
        key = self.unread.get(operator_id, {}).get(dialog_id)
        if key is None:
            self._start(operator_id, dialog_id, kind, position, at, detail=detail[:500])
            return
        row = self.notes.rows[key]
        values: dict[str, Any] = {"seq": position, "updated_at": at}
        if WEIGHT[kind] >= WEIGHT.get(row["kind"], 0):
            values.update(kind=kind, detail=detail[:500])
        self.notes.change(key, **values)
        self.changes.add("notifications", operator_id, key[0])

    def _start(self, operator_id: UUID, dialog_id: UUID, kind: str, position: int, at: Any,
               *, text: str = "", detail: str = "", count: int = 0) -> None:
        """A new unread notification, named by the position of the event that starts it (so
        that the rows do not depend on how events were batched)."""
        dialog = self.dialogs.get((dialog_id,))
        nid = uuid5(NAMESPACE, f"{operator_id}:{dialog_id}:{position}")
        self.notes.new(
            (nid,), operator_id=operator_id, dialog_id=dialog_id, kind=kind,
            client_name=dialog["client_name"] if dialog else "",
            phone=dialog["phone"] if dialog else "", text=text, detail=detail, count=count,
            seq=position, created_at=at, updated_at=at, read=False)
        self.unread.setdefault(operator_id, {})[dialog_id] = (nid,)
        self.changes.add("notifications", operator_id, nid)

    # -- writing -------------------------------------------------------------------------------
    def flush(self, conn: sa.Connection) -> None:
        self.dialogs.flush(conn)
        upsert(conn, notify_recipients, [{"dialog_id": d, "operator_id": o}
                                         for d, o in self.new_recipients])
        self.notes.flush(conn)


def _chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), CHUNK):
        yield items[i:i + CHUNK]


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
