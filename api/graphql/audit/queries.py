from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import strawberry
from anyio import to_thread

from api.graphql.audit.types import (
    ChangedValue,
    ConfigEntry,
    ConfigSection,
    Configuration,
    HistoryEntry,
    WizardAt,
)
from api.graphql.channel.reasons import Reason, reason_of
from api.graphql.context import Info
from api.graphql.permissions import CanAudit
from api.graphql.setup.types import SetupStep, steps_of
from projections.audit import trail as audit
from projections.audit.configuration import wording
from projections.setup import wizard_view

MAX_HISTORY = 500


def _aware(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _label(said: Any) -> dict[str, Any]:
    """A label's wording as `field_code` and `field_params` (none for a label without a code)."""
    if not isinstance(said, dict) or "code" not in said:
        return {"field_code": None, "field_params": None}
    return {"field_code": said["code"], "field_params": said["params"]}


def _reason(reason: Reason) -> dict[str, Any]:
    params: dict[str, Any] = dict(reason.params)
    if reason.inner is not None:
        params["inner"] = _reason(reason.inner)
    return {"code": f"wa.reason.{reason.code}", "params": params}


def _summary(summary: dict[str, Any]) -> dict[str, Any]:
    """A channel's reason kept as an English sentence, read back into its code."""
    params = summary.get("params") or {}
    if summary.get("code") == "audit.summary.whatsappUnlinked" and isinstance(
            params.get("reason"), str):
        return {**summary, "params": {**params, "reason": _reason(reason_of(params["reason"]))}}
    return summary


def _history_entry(r: audit.HistoryEntry) -> HistoryEntry:
    codes = r.codes or {}
    summary = _summary(codes.get("summary") or {})
    labels, before, after = (codes.get(k) or {} for k in ("labels", "before", "after"))
    return HistoryEntry(
        position=r.position, at=r.at, actor=r.actor, section=r.section, event=r.event,
        summary=r.summary, summary_code=summary.get("code"),
        summary_params=summary.get("params") if "code" in summary else None,
        changes=[ChangedValue(
            label=k, before=r.before.get(k, "—"), after=r.after.get(k, "—"),
            **_label(labels.get(k)), before_data=before.get(k) if codes else None,
            after_data=after.get(k) if codes else None) for k in r.after],
    )


def configuration_of(view: audit.ConfigurationView, as_of: datetime) -> Configuration:
    registry = audit.sections()
    wizard = wizard_view(view.states)
    return Configuration(
        as_of=as_of, position=view.position, last_change_at=view.at,
        sections=[ConfigSection(
            name=section.name, title=section.title,
            entries=[ConfigEntry(label=k, value=v, **_label(wording(k)),
                                 value_data=wording(v))  # type: ignore[arg-type]
                     for k, v in view.readable.get(section.name, {}).items()],
            state=view.states.get(section.name) or {},  # type: ignore[arg-type]
        ) for section in registry.all],
        wizard=WizardAt(current_step=SetupStep(wizard.current.value),
                        completed=wizard.completed, steps=steps_of(wizard)),
    )


@strawberry.type
class AuditQuery:
    @strawberry.field(permission_classes=[CanAudit],
                      description="Setup and settings events, newest first, with actor, time "
                                  "and a readable before/after. `before` pages by position.")
    async def setup_history(
        self, info: Info, since: datetime | None = None, until: datetime | None = None,
        actor: str | None = None, section: str | None = None, first: int = 100,
        before: int | None = None,
    ) -> list[HistoryEntry]:
        if not 1 <= first <= MAX_HISTORY:
            raise ValueError(f"`first` is between 1 and {MAX_HISTORY}.")
        engine = info.context.app.reads

        def read() -> list[audit.HistoryEntry]:
            with engine.connect() as conn:
                return audit.history(conn, since=_aware(since), until=_aware(until),
                                     actor=actor, section=section, first=first,
                                     before_position=before)

        return [_history_entry(r) for r in await to_thread.run_sync(read)]

    @strawberry.field(permission_classes=[CanAudit],
                      description="The whole configuration as it stood at the instant "
                                  "(now when omitted).")
    async def configuration_at(self, info: Info, instant: datetime | None = None
                               ) -> Configuration:
        as_of = _aware(instant) or datetime.now(UTC)
        engine = info.context.app.reads

        def read() -> audit.ConfigurationView:
            with engine.connect() as conn:
                return audit.configuration_at(conn, as_of)

        return configuration_of(await to_thread.run_sync(read), as_of)
