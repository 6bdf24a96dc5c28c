"""Analytics: labels (`analytics.label_facts`, one row per label) and the dialogs they are on
(`analytics.dialog_label_facts`, one row per dialog episode and label it has now), so that
dialogs per label is one `SELECT` (joined with `dialog_facts` for their days, channels, times).
A deleted label leaves both tables, as it leaves the panel. Documented in docs/analytics.md."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from domain.dialogs import Dialog
from domain.labels import LabelSet
from projections.analytics.rows import ANALYTICS_SCHEMA, AnalyticsProjection, local_day
from projections.base import Changes, metadata
from projections.rows import utc

label_facts = sa.Table(
    "label_facts",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("name", sa.String(40), nullable=False),
    sa.Column("color", sa.String(16), nullable=False),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    schema=ANALYTICS_SCHEMA,
)

dialog_label_facts = sa.Table(
    "dialog_label_facts",
    metadata,
    sa.Column("dialog_id", sa.Uuid, primary_key=True),
    sa.Column("label_id", sa.Uuid, primary_key=True),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("labelled_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("labelled_by", sa.String(160), nullable=False),
    sa.Index("ix_analytics_dialog_label_facts_label", "label_id", "day"),
    sa.Index("ix_analytics_dialog_label_facts_day", "day"),
    schema=ANALYTICS_SCHEMA,
)


class AnalyticsLabelsProjection(AnalyticsProjection):
    name = "analytics_labels"
    tables = (label_facts, dialog_label_facts)
    events = (LabelSet.LabelCreated, LabelSet.LabelRenamed, LabelSet.LabelRecoloured,
              LabelSet.LabelDeleted, Dialog.LabelsSet)

    def apply_batch(
        self, conn: sa.Connection, events: Sequence[tuple[int, Any]], changes: Changes
    ) -> None:
        for _, event in events:
            self._apply(conn, event)

    def _apply(self, conn: sa.Connection, event: Any) -> None:
        match event:
            case LabelSet.LabelCreated():
                at = utc(event.timestamp)
                conn.execute(label_facts.insert().values(
                    id=event.label_id, name=event.name, color=event.color,
                    day=local_day(at, self.zone), created_at=at))
            case LabelSet.LabelRenamed():
                conn.execute(label_facts.update().where(label_facts.c.id == event.label_id)
                             .values(name=event.name))
            case LabelSet.LabelRecoloured():
                conn.execute(label_facts.update().where(label_facts.c.id == event.label_id)
                             .values(color=event.color))
            case LabelSet.LabelDeleted():
                conn.execute(dialog_label_facts.delete().where(
                    dialog_label_facts.c.label_id == event.label_id))
                conn.execute(label_facts.delete().where(label_facts.c.id == event.label_id))
            case Dialog.LabelsSet():
                self._labels_set(conn, event)

    def _labels_set(self, conn: sa.Connection, event: Any) -> None:
        """Labels the dialog keeps keep when they were first put on; new ones count from
        now; removed ones go."""
        dialog_id = event.originator_id
        chosen = list(dict.fromkeys(event.label_ids))
        had = set(conn.execute(sa.select(dialog_label_facts.c.label_id).where(
            dialog_label_facts.c.dialog_id == dialog_id)).scalars())
        gone = had - set(chosen)
        if gone:
            conn.execute(dialog_label_facts.delete().where(
                dialog_label_facts.c.dialog_id == dialog_id,
                dialog_label_facts.c.label_id.in_(gone)))
        new = [label_id for label_id in chosen if label_id not in had]
        existing = set(conn.execute(sa.select(label_facts.c.id).where(
            label_facts.c.id.in_(new))).scalars()) if new else set()
        at = utc(event.timestamp)
        rows = [{"dialog_id": dialog_id, "label_id": label_id, "day": local_day(at, self.zone),
                 "labelled_at": at, "labelled_by": event.actor}
                for label_id in new if label_id in existing]
        if rows:
            conn.execute(dialog_label_facts.insert(), rows)
