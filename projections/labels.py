"""Labels and the dialogs they are on (domain/labels.py, `Dialog.LabelsSet`): one row per label,
one row per dialog and label, in the order the dialog's labels were chosen. A deleted label
leaves every dialog here (its events keep it). The inbox filters and shows dialogs by these rows;
each change is told to the inbox's live feed of every operator the dialog was delivered to."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

import sqlalchemy as sa

from domain.dialogs import Dialog
from domain.labels import LabelSet
from projections.base import Changes, Projection, metadata
from projections.inbox import dialog_recipients
from projections.rows import CHUNK, chunks

FEED = "labels"

labels = sa.Table(
    "labels",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("name", sa.String(40), nullable=False),
    sa.Column("color", sa.String(16), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("created_by", sa.String(160), nullable=False),
)

dialog_labels = sa.Table(
    "dialog_labels",
    metadata,
    sa.Column("dialog_id", sa.Uuid, primary_key=True),
    sa.Column("label_id", sa.Uuid, primary_key=True),
    sa.Column("rank", sa.Integer, nullable=False),  # the order they were chosen in
    sa.Index("ix_dialog_labels_label", "label_id", "dialog_id"),
)


class LabelsProjection(Projection):
    name = "labels"
    tables = (labels, dialog_labels)
    events = (LabelSet.LabelCreated, LabelSet.LabelRenamed, LabelSet.LabelRecoloured,
              LabelSet.LabelDeleted, Dialog.LabelsSet)

    def apply(self, conn: sa.Connection, event: Any, position: int, changes: Changes) -> None:
        match event:
            case LabelSet.LabelCreated():
                conn.execute(labels.insert().values(
                    id=event.label_id, name=event.name, color=event.color,
                    created_at=event.timestamp, created_by=event.actor))
                changes.add(FEED, "all", event.label_id)
            case LabelSet.LabelRenamed():
                self._change_label(conn, event.label_id, {"name": event.name}, changes)
            case LabelSet.LabelRecoloured():
                self._change_label(conn, event.label_id, {"color": event.color}, changes)
            case LabelSet.LabelDeleted():
                dialogs = _dialogs_labelled(conn, event.label_id)
                conn.execute(dialog_labels.delete().where(
                    dialog_labels.c.label_id == event.label_id))
                conn.execute(labels.delete().where(labels.c.id == event.label_id))
                changes.add(FEED, "all", event.label_id)
                _tell_inboxes(conn, dialogs, changes)
            case Dialog.LabelsSet():
                dialog_id = event.originator_id
                conn.execute(dialog_labels.delete().where(
                    dialog_labels.c.dialog_id == dialog_id))
                existing = set(conn.execute(sa.select(labels.c.id).where(
                    labels.c.id.in_(event.label_ids))).scalars()) if event.label_ids else set()
                rows = [{"dialog_id": dialog_id, "label_id": label_id, "rank": rank}
                        for rank, label_id in enumerate(event.label_ids)
                        if label_id in existing]
                if rows:
                    conn.execute(dialog_labels.insert(), rows)
                _tell_inboxes(conn, [dialog_id], changes)

    def _change_label(self, conn: sa.Connection, label_id: UUID, values: dict[str, Any],
                      changes: Changes) -> None:
        conn.execute(labels.update().where(labels.c.id == label_id).values(**values))
        changes.add(FEED, "all", label_id)
        _tell_inboxes(conn, _dialogs_labelled(conn, label_id), changes)


def _dialogs_labelled(conn: sa.Connection, label_id: UUID) -> list[UUID]:
    return list(conn.execute(sa.select(dialog_labels.c.dialog_id).where(
        dialog_labels.c.label_id == label_id)).scalars())


def _tell_inboxes(conn: sa.Connection, dialog_ids: Iterable[UUID], changes: Changes) -> None:
    """Every operator a dialog was delivered to hears that its labels changed (an inbox that
    has not caught up with the dialog yet tells them when it does)."""
    for chunk in chunks(sorted(set(dialog_ids)), CHUNK):
        for row in conn.execute(sa.select(dialog_recipients.c.dialog_id,
                                          dialog_recipients.c.operator_id)
                                .where(dialog_recipients.c.dialog_id.in_(chunk))):
            changes.add("inbox", row.operator_id, row.dialog_id)


# -- queries -------------------------------------------------------------------------------
def all_labels(conn: sa.Connection) -> list[sa.Row[Any]]:
    """Every label, by name (ignoring case)."""
    return list(conn.execute(sa.select(labels).order_by(sa.func.lower(labels.c.name),
                                                        labels.c.name)))


def label_by_id(conn: sa.Connection, label_id: UUID) -> sa.Row[Any] | None:
    return conn.execute(sa.select(labels).where(labels.c.id == label_id)).first()


def labels_of(conn: sa.Connection, dialog_ids: Iterable[UUID]) -> dict[UUID, list[Any]]:
    """Each dialog's labels (rows of id, name, color), in the order they were chosen."""
    found: dict[UUID, list[Any]] = {}
    for chunk in chunks(sorted(set(dialog_ids)), CHUNK):
        query = (sa.select(dialog_labels.c.dialog_id, labels.c.id, labels.c.name, labels.c.color)
                 .select_from(dialog_labels.join(labels, labels.c.id == dialog_labels.c.label_id))
                 .where(dialog_labels.c.dialog_id.in_(chunk))
                 .order_by(dialog_labels.c.dialog_id, dialog_labels.c.rank))
        for row in conn.execute(query):
            found.setdefault(row.dialog_id, []).append(row)
    return found


def labelled(dialog_id: Any, label_id: UUID) -> sa.ColumnElement[bool]:
    """A condition: the dialog (a column holding its id) has the label."""
    return sa.exists().where(dialog_labels.c.dialog_id == dialog_id,
                             dialog_labels.c.label_id == label_id)
