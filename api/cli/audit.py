"""`switchboard audit` and `switchboard outbox`: the configuration as of a time with the history
that led to it, and the development outbox."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

from rich.console import Console
from rich.table import Table

from infra.bootstrap import Container
from infra.mailer import outbox_folder, read_outbox
from infra.projection.projector import RunnerLock
from infra.settings import Settings
from projections.audit import trail as audit


def parse_time(text: str | None) -> datetime:
    """ISO 8601; a time without an offset is UTC. None or "now": now."""
    if not text or text.strip().lower() == "now":
        return datetime.now(UTC)
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def catch_up(container: Container, wait_seconds: float = 10.0) -> None:
    """Brings the audit read model up to the log: runs it here when no other process does,
    else waits for the process that does."""
    runner = next(r for r in container.projector.runners if r.name == "audit")
    lock = RunnerLock(container.settings, runner.name)
    if lock.try_acquire():
        try:
            runner.run_until_caught_up()
        finally:
            lock.release()
        return
    deadline = time.monotonic() + wait_seconds
    while runner.status().lag > 0 and time.monotonic() < deadline:
        time.sleep(0.05)


def audit_report(container: Container, as_of: datetime, limit: int,
                 actor: str | None = None) -> dict[str, Any]:
    catch_up(container)
    registry = audit.sections()
    with container.views.reader.connect() as conn:
        view = audit.configuration_at(conn, as_of)
        entries = audit.history(conn, until=as_of, actor=actor, first=limit)
    return {
        "asOf": as_of.isoformat(),
        "position": view.position,
        "lastChangeAt": view.at.isoformat() if view.at else None,
        "configuration": {s.name: view.readable[s.name] for s in registry.all},
        "history": [{
            "position": e.position, "at": e.at.isoformat(), "actor": e.actor,
            "section": e.section, "event": e.event, "summary": e.summary,
            "before": e.before, "after": e.after,
        } for e in entries],
    }


def print_audit(report: dict[str, Any], console: Console, as_json: bool) -> None:
    if as_json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return
    registry = audit.sections()
    console.print(f"[bold]Configuration as of {report['asOf']}[/bold] "
                  f"(log position {report['position']})")
    for section in registry.all:
        entries = report["configuration"][section.name]
        if not entries:
            continue
        table = Table(section.title, "", show_header=True, title_justify="left")
        for label, value in entries.items():
            table.add_row(label, value)
        console.print(table)
    history = Table("when", "who", "what", "before", "after", title="History, newest first",
                    title_justify="left")
    for entry in report["history"]:
        history.add_row(
            entry["at"][:19].replace("T", " "), entry["actor"], entry["summary"],
            "\n".join(f"{k}: {v}" for k, v in entry["before"].items()),
            "\n".join(f"{k}: {v}" for k, v in entry["after"].items()))
    console.print(history)


def print_outbox(settings: Settings, console: Console, limit: int, as_json: bool) -> None:
    mails = read_outbox(outbox_folder(settings), limit)
    if as_json:
        print(json.dumps([{"to": m.to, "subject": m.subject, "body": m.body,
                           "sentAt": m.sent_at.isoformat()} for m in mails], ensure_ascii=False))
        return
    if not mails:
        console.print("The development outbox is empty.")
    for mail in mails:
        console.rule(f"{mail.sent_at:%Y-%m-%d %H:%M:%S} to {mail.to}: {mail.subject}")
        console.print(mail.body)
