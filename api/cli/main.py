"""The `switchboard` command line."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import httpx
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from infra.process import settle_memory
from infra.settings import Settings

app = typer.Typer(help="Switchboard: WhatsApp conversations for a team of operators.",
                  no_args_is_help=True)
projections_app = typer.Typer(help="Read models: status, run, rebuild.", no_args_is_help=True)
admin_app = typer.Typer(help="Operators and admins.", no_args_is_help=True)
phone_app = typer.Typer(help="The built-in simulator: act as a client (WhatsApp, or Telegram "
                             "where it is played here).", no_args_is_help=True)
app.add_typer(projections_app, name="projections")
app.add_typer(admin_app, name="admin")
app.add_typer(phone_app, name="phone")
console = Console()
MESSENGER_NAMES = {"whatsapp": "WhatsApp", "telegram": "Telegram"}


def _settings() -> Settings:
    try:
        return Settings()
    except ValueError as error:
        console.print(f"[red]Settings refused:[/red] {error}")
        raise typer.Exit(2) from None


@app.command()
def migrate() -> None:
    """Creates or upgrades the read-model tables (the event store makes its own)."""
    from infra.migrations import migrate as run_migrations

    settings = _settings()
    run_migrations(settings)
    console.print("Read models are up to date.")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    projections: Annotated[bool, typer.Option(help="Run the projections here too.")] = True,
) -> None:
    """Serves the API, webhooks and panel (and, by default, the projections)."""
    import uvicorn

    from api.app import create_app
    from infra.bootstrap import bootstrap, ensure_first_admin
    from infra.logs import configure_logging
    from infra.migrations import migrate as run_migrations

    settings = _settings()
    if host:
        settings.host = host
    if port:
        settings.port = port
    settings.run_projections = projections and settings.run_projections
    configure_logging(settings.log_level, json=settings.json_logs)
    run_migrations(settings)
    container = bootstrap(settings)
    generated = ensure_first_admin(container)
    url = settings.base_url
    console.print(f"\n[bold]Switchboard[/bold] is starting on [link={url}]{url}[/link]")
    if generated:
        console.print(f"Sign in as [bold]{settings.admin_login}[/bold] with the password "
                      f"[bold]{generated}[/bold] (shown once; set SWITCHBOARD_ADMIN_PASSWORD "
                      "to choose it).")
    else:
        console.print(f"Sign in as [bold]{settings.admin_login}[/bold] with its password.")
    messengers = " and ".join(MESSENGER_NAMES.get(m, m) for m in container.channels.mediums())
    console.print(f"Messengers here: {messengers}.")
    telegram = container.channels.named("telegram")
    also = " (as a Telegram user too: `--channel telegram`)" \
        if getattr(telegram, "simulated", None) is not None else ""
    console.print(f"Write as a client from {url}/phone or `switchboard phone send`{also}.\n")
    app = create_app(container)
    settle_memory(settings)
    uvicorn.run(app, host=settings.host, port=settings.port,
                log_config=None, ws="websockets-sansio")


def _runners(name: str | None):  # type: ignore[no-untyped-def]
    from infra.bootstrap import all_projections, bootstrap

    settings = _settings()
    container = bootstrap(settings)
    runners = [r for r in container.projector.runners if name in (None, r.name)]
    if not runners:
        known = ", ".join(p.name for p in all_projections())
        console.print(f"[red]No projection named {name!r}.[/red] Known: {known}")
        raise typer.Exit(2)
    return container, runners


@projections_app.command("status")
def projections_status(
    name: Annotated[str | None, typer.Argument()] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Each projection's position in the event log and its lag."""
    container, runners = _runners(name)
    rows = [runner.status() for runner in runners]
    container.stop()
    if as_json:
        print(json.dumps([{"name": s.name, "position": s.position, "head": s.head,
                           "lag": s.lag} for s in rows]))
        return
    table = Table("projection", "position", "head", "lag")
    for s in rows:
        table.add_row(s.name, str(s.position), str(s.head), str(s.lag))
    console.print(table)


@projections_app.command("run")
def projections_run() -> None:
    """Runs the projections alone (no API), following the log live; one runner per projection
    across processes takes the work, the others stand by and take over if it dies."""
    from infra.logs import configure_logging

    settings = _settings()
    configure_logging(settings.log_level, json=settings.json_logs)
    container, _ = _runners(None)
    settle_memory(settings)
    container.projector.start()
    console.print("Projections are running; Ctrl+C stops them.")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        container.stop()


@projections_app.command("rebuild")
def projections_rebuild(
    name: Annotated[str | None, typer.Argument()] = None,
    processes: Annotated[int, typer.Option(
        min=1, help="Processes sharing the projections out (all of them only).")] = 2,
) -> None:
    """Rebuilds a projection (or all) from the whole event log: built aside, then switched in
    one short transaction, so the API keeps serving the old rows until the new ones are ready.
    All of them are built together from one reading of the log, shared out among processes."""
    from infra.projection.verify import rebuild_in_processes

    container, runners = _runners(name)
    try:
        with _progress() as progress:
            head = runners[0].status().head
            task = progress.add_task(name or f"{len(runners)} projections", total=head)
            rebuild_in_processes(container.settings, runners, processes,
                                 _advance(progress, task))
            progress.update(task, completed=head)
    finally:
        container.stop()
    console.print("Rebuilt.")


@projections_app.command("verify")
def projections_verify(name: Annotated[str | None, typer.Argument()] = None) -> None:
    """Rebuilds each projection from zero into a scratch space and compares it row for row
    with the live one; prints the differences. Exit code 1 when any differ. All of them are
    built together from one reading of the log."""
    from infra.projection.verify import verify_together

    container, runners = _runners(name)
    failed = False
    try:
        with _progress() as progress:
            task = progress.add_task(f"verify {name or f'{len(runners)} projections'}",
                                     total=runners[0].status().head)
            results = verify_together(container.store, container.views, runners,
                                      _advance(progress, task))
        for result in results:
            rows = ", ".join(f"{table} {count}" for table, count in result.rows.items())
            if result.ok:
                console.print(f"[green]{result.projection}: identical[/green] at position "
                              f"{result.position} ({rows})")
                continue
            failed = True
            console.print(f"[red]{result.projection}: differs[/red] at position {result.position}")
            for difference in result.differences:
                for row in difference.only_live:
                    console.print(f"  {difference.table} only live:    {row}")
                for row in difference.only_rebuilt:
                    console.print(f"  {difference.table} only rebuilt: {row}")
    finally:
        container.stop()
    if failed:
        raise typer.Exit(1)


def _advance(progress: Progress, task: TaskID) -> Callable[[float, int], None]:
    def advance(moved: float, head: int) -> None:
        progress.update(task, advance=moved, total=head)

    return advance


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeRemainingColumn(), console=console)


@admin_app.command("create")
def admin_create(
    login: Annotated[str, typer.Option(prompt=True)],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True,
                                          confirmation_prompt=True)],
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    role: Annotated[str, typer.Option(help="admin, operator, supervisor or auditor.")] = "admin",
    queue: Annotated[bool, typer.Option(help="Also add to the employee queue.")] = True,
) -> None:
    """Creates an operator (an admin by default) and puts them in the employee queue."""
    from application import commands as c
    from application.errors import DomainError, Role
    from infra.bootstrap import bootstrap

    if len(password) < 8:
        console.print("[red]A password is at least 8 characters.[/red]")
        raise typer.Exit(2)
    try:
        chosen = Role(role)
    except ValueError:
        console.print("[red]The role is admin, operator, supervisor or auditor.[/red]")
        raise typer.Exit(2) from None
    container = bootstrap(_settings())
    try:
        oid = container.writer.execute_sync(c.RegisterOperator(
            login=login, display_name=name or login, role=chosen,
            password_hash=container.hasher.hash(password), actor="cli",
        ))
        if queue and chosen != Role.AUDITOR:
            container.writer.execute_sync(c.AddQueueMember(operator_id=oid, actor="cli"))
    except DomainError as error:
        console.print(f"[red]{error.message}[/red]")
        raise typer.Exit(1) from None
    finally:
        container.stop()
    console.print(f"Created {chosen.value} [bold]{login}[/bold].")


@phone_app.command("send")
def phone_send(
    from_: Annotated[str, typer.Option("--from", help="The client's number, e.g. +79161234567 "
                                                      "(Telegram: the user's id, e.g. 42).")],
    text: Annotated[str, typer.Argument(help="What the client writes (the caption of a "
                                             "location, contact or sticker).")] = "",
    name: Annotated[str, typer.Option(help="The client's name as WhatsApp shows it.")] = "",
    url: Annotated[str | None, typer.Option(help="The server (default: the settings').")] = None,
    twice: Annotated[bool, typer.Option(help="Deliver the same message twice (the second "
                                             "changes nothing).")] = False,
    location: Annotated[str | None, typer.Option(
        help="Share a location instead: LATITUDE,LONGITUDE, e.g. 55.7558,37.6173.")] = None,
    place: Annotated[str, typer.Option(help="The location's name.")] = "",
    contact: Annotated[str | None, typer.Option(help="Share a contact instead: its name.")] = None,
    contact_phone: Annotated[list[str] | None, typer.Option(
        help="A number of the shared contact (repeat for more).")] = None,
    sticker: Annotated[Path | None, typer.Option(
        help="Send a sticker instead: a WebP or PNG image.", exists=True, dir_okay=False)] = None,
    channel: Annotated[str, typer.Option(
        help="whatsapp, or telegram: write to the company's bot as a Telegram user (where "
             "Telegram is simulated).")] = "whatsapp",
    file: Annotated[Path | None, typer.Option(
        help="Telegram: send a file (a photo, a voice note, a document) with TEXT as its "
             "caption.", exists=True, dir_okay=False)] = None,
    username: Annotated[str, typer.Option(help="Telegram: the user's @username, without @.")
                        ] = "",
) -> None:
    """Writes to the company's number as a client from the simulated phone, as the phone page
    does: while the company's phone is offline (`phone drop`) the message waits, and arrives on
    `phone restore`. Or shares a location, a contact or a sticker (refused while offline).
    With `--channel telegram`, writes to the company's bot as the Telegram user `--from`."""
    from infra.channels.simulator.client import SimulatorPhone

    if channel not in ("whatsapp", "telegram"):
        console.print(f"[red]--channel is whatsapp or telegram, not {channel!r}.[/red]")
        raise typer.Exit(2)
    if channel == "telegram":
        _send_from_telegram(from_, text, name, url, twice, location, place, contact,
                            contact_phone, sticker, file, username)
        return
    if file is not None or username:
        console.print("[red]--file and --username are Telegram's (--channel telegram).[/red]")
        raise typer.Exit(2)

    shares = [what for what, given in (("--location", location is not None),
                                       ("--contact", contact is not None or contact_phone),
                                       ("--sticker", sticker is not None)) if given]
    if len(shares) > 1 or (shares and twice):
        console.print(f"[red]One thing at a time:[/red] {', '.join(shares + ['--twice'] * twice)}.")
        raise typer.Exit(2)
    if not shares and not text.strip():
        console.print("[red]Write a TEXT, or share a --location, --contact or --sticker.[/red]")
        raise typer.Exit(2)
    phone = SimulatorPhone(url or _settings().base_url)
    message_id = f"sim-{uuid.uuid4().hex}"
    for _ in range(2 if twice else 1):
        try:
            if location is not None:
                latitude, longitude = _coordinates(location)
                answer = phone.share(from_, name=name, caption=text, location={
                    "latitude": latitude, "longitude": longitude, "name": place})
            elif shares == ["--contact"]:
                answer = phone.share(from_, name=name, caption=text, contact={
                    "name": contact or "", "phones": contact_phone or []})
            elif sticker is not None:
                answer = phone.send_sticker(from_, sticker.read_bytes(), sticker.name,
                                            name=name, caption=text)
            else:
                answer = phone.send(from_, text, name=name, message_id=message_id)
        except httpx.HTTPError as error:
            console.print(f"[red]The server at {phone.base_url} did not take it:[/red] {error}")
            raise typer.Exit(1) from None
        if answer["status"] == "waiting":
            console.print(f"Waiting ({message_id}): the company's phone is offline; the message "
                          "is delivered when its connection is back (`switchboard phone "
                          "restore`).")
        elif answer["status"] == "held":
            console.print("Delivered (held): WhatsApp is out of service; the message is kept "
                          "and reaches the operators when it is back in service.")
        else:
            console.print(f"Delivered ({answer['status']}); dialog {answer['dialog_id']}.")


def _send_from_telegram(from_: str, text: str, name: str, url: str | None, twice: bool,
                        location: str | None, place: str, contact: str | None,
                        contact_phone: list[str] | None, sticker: Path | None,
                        file: Path | None, username: str) -> None:
    from api.cli.phone import send_from_telegram

    if twice or sticker is not None:
        console.print("[red]--twice and --sticker are WhatsApp's.[/red]")
        raise typer.Exit(2)
    shares = [what for what, given in (("--location", location is not None),
                                       ("--contact", contact is not None or contact_phone),
                                       ("--file", file is not None)) if given]
    if len(shares) > 1:
        console.print(f"[red]One thing at a time:[/red] {', '.join(shares)}.")
        raise typer.Exit(2)
    if not shares and not text.strip():
        console.print("[red]Write a TEXT, or send a --file, --location or --contact.[/red]")
        raise typer.Exit(2)
    send_from_telegram(console, url or _settings().base_url, from_, text, name=name,
                       username=username,
                       location=_coordinates(location) if location is not None else None,
                       place=place, contact=contact, contact_phones=contact_phone or [],
                       file=file)


def _coordinates(value: str) -> tuple[float, float]:
    try:
        latitude, longitude = (float(part) for part in value.split(","))
    except ValueError:
        console.print(f"[red]Not a location:[/red] {value!r}; write LATITUDE,LONGITUDE, e.g. "
                      "55.7558,37.6173.")
        raise typer.Exit(2) from None
    return latitude, longitude


@app.command()
def audit(
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="A time in ISO 8601, e.g. 2026-11-25T14:00 (UTC when no offset).")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    limit: Annotated[int, typer.Option(help="History entries to show.")] = 50,
    actor: Annotated[str | None, typer.Option(help="Only this actor's changes.")] = None,
) -> None:
    """The whole configuration as it stood at a time (now by default), and the setup and
    settings history up to it: who changed what, when, before and after."""
    from api.cli.audit import audit_report, parse_time, print_audit
    from infra.bootstrap import bootstrap

    try:
        instant = parse_time(as_of)
    except ValueError:
        console.print(f"[red]Not a time:[/red] {as_of!r}; write e.g. 2026-11-25T14:00:00Z.")
        raise typer.Exit(2) from None
    container = bootstrap(_settings())
    try:
        report = audit_report(container, instant, max(1, limit), actor)
    finally:
        container.stop()
    print_audit(report, console, as_json)


@app.command()
def outbox(
    limit: Annotated[int, typer.Option(help="How many mails, newest first.")] = 10,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The development outbox: mails (such as registration codes) kept instead of sent."""
    from api.cli.audit import print_outbox

    print_outbox(_settings(), console, max(1, limit), as_json)


def _register_whatsapp() -> None:
    from api.cli.whatsapp import register

    register(app, phone_app, console, _settings)


_register_whatsapp()


def _register_analytics() -> None:
    from api.cli.analytics import register

    register(app, console, _settings)


_register_analytics()


def main() -> None:
    app()
