"""`switchboard analytics export TABLE --from --to --format csv|json|parquet`: one analytics
table's rows of a period of business days, with a progress bar. Parquet needs the optional
extra (`pip install 'switchboard[parquet]'`, which brings pyarrow)."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import IO, Annotated, Any
from uuid import UUID

import sqlalchemy as sa
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from infra.settings import Settings
from infra.views import open_views
from projections.analytics.queries import TABLES, count_rows, export_rows, export_table

PARQUET_HINT = ("Parquet needs pyarrow, an optional extra: pip install 'switchboard[parquet]' "
                "(or pip install pyarrow).")


class Format(StrEnum):
    CSV = "csv"
    JSON = "json"
    PARQUET = "parquet"


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date; write e.g. 2026-03-01.",
                                 param_hint=option) from None


def _plain(value: Any) -> Any:
    """A value as text formats write it: instants in UTC with their offset, ids as text."""
    if isinstance(value, datetime):
        aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return aware.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    return value


# -- writers -----------------------------------------------------------------------------------
Writer = Callable[[list[dict[str, Any]]], None]


@contextmanager
def _csv(stream: IO[str], columns: list[str]) -> Iterator[Writer]:
    writer = csv.DictWriter(stream, fieldnames=columns, lineterminator="\n")
    writer.writeheader()

    def write(rows: list[dict[str, Any]]) -> None:
        writer.writerows({k: ("" if v is None else _csv_value(v)) for k, v in row.items()}
                         for row in rows)

    yield write


def _csv_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return _plain(value)


@contextmanager
def _json(stream: IO[str], columns: list[str]) -> Iterator[Writer]:
    """One JSON array of objects, written as it goes."""
    first = True
    stream.write("[")

    def write(rows: list[dict[str, Any]]) -> None:
        nonlocal first
        for row in rows:
            stream.write("\n" if first else ",\n")
            stream.write(json.dumps({k: _plain(v) for k, v in row.items()},
                                    ensure_ascii=False))
            first = False

    yield write
    stream.write("\n]\n")


def _arrow_type(column: sa.Column[Any]) -> Any:
    import pyarrow as pa

    kind = column.type
    if isinstance(kind, sa.Uuid):
        return pa.string()
    if isinstance(kind, sa.DateTime):
        return pa.timestamp("us", tz="UTC")
    if isinstance(kind, sa.Date):
        return pa.date32()
    if isinstance(kind, sa.Boolean):
        return pa.bool_()
    if isinstance(kind, sa.SmallInteger):
        return pa.int16()
    if isinstance(kind, sa.Integer):
        return pa.int64()
    if isinstance(kind, sa.Float):
        return pa.float64()
    return pa.string()


@contextmanager
def _parquet(path: Path, table: sa.Table) -> Iterator[Writer]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([pa.field(c.name, _arrow_type(c), nullable=c.nullable is not False)
                        for c in table.c])
    converters = {c.name: _arrow_value(c) for c in table.c}
    with pq.ParquetWriter(str(path), schema) as writer:
        def write(rows: list[dict[str, Any]]) -> None:
            columns = {name: [convert(row[name]) for row in rows]
                       for name, convert in converters.items()}
            writer.write_table(pa.Table.from_pydict(columns, schema=schema))

        yield write  # a period without rows still leaves a file with the columns


def _arrow_value(column: sa.Column[Any]) -> Callable[[Any], Any]:
    if isinstance(column.type, sa.Uuid):
        return lambda v: None if v is None else str(v)
    if isinstance(column.type, sa.DateTime):
        return lambda v: None if v is None else (
            v.replace(tzinfo=UTC) if v.tzinfo is None else v.astimezone(UTC))
    return lambda v: v


# -- the command ---------------------------------------------------------------------------------
def register(app: typer.Typer, console: Console, settings: Callable[[], Settings]) -> None:
    analytics_app = typer.Typer(help="The analysts' read models (schema analytics).",
                                no_args_is_help=True)
    app.add_typer(analytics_app, name="analytics")
    err = Console(stderr=True, soft_wrap=True)

    @analytics_app.command("export")
    def export(
        table: Annotated[str, typer.Argument(help="One of: " + ", ".join(sorted(TABLES)) + ".")],
        from_: Annotated[str | None, typer.Option(
            "--from", help="The first business day, e.g. 2026-03-01 (default: the first).")] = None,
        to: Annotated[str | None, typer.Option(
            "--to", help="The last business day, included (default: the last).")] = None,
        format_: Annotated[Format, typer.Option("--format", help="csv, json or parquet.")
                           ] = Format.CSV,
        output: Annotated[str | None, typer.Option(
            "--output", "-o", help="The file to write (default: TABLE[_FROM_TO].FORMAT here); "
                                   "'-' writes csv or json to standard output.")] = None,
    ) -> None:
        """Exports an analytics table's rows of a period of business days."""
        try:
            spec = export_table(table)
        except ValueError as error:
            err.print(str(error), style="red", markup=False)
            raise typer.Exit(2) from None
        first, last = _day(from_, "--from"), _day(to, "--to")
        if first is not None and last is not None and first > last:
            err.print(f"--from ({first}) is after --to ({last}).", style="red", markup=False)
            raise typer.Exit(2)
        if format_ == Format.PARQUET:
            try:
                import pyarrow  # noqa: F401
            except ImportError:
                err.print(PARQUET_HINT, style="red", markup=False)
                raise typer.Exit(2) from None
            if output == "-":
                err.print("Parquet is written to a file: name one with --output.", style="red")
                raise typer.Exit(2)
        period = "_".join(d.isoformat() for d in (first, last) if d is not None)
        path = Path(output or f"{table}{'_' + period if period else ''}.{format_.value}")
        views = open_views(settings())
        try:
            with views.reader.connect() as conn:
                try:
                    total = count_rows(conn, table, first, last)
                except sa.exc.DBAPIError:
                    err.print("The analytics tables are not there: run `switchboard migrate` "
                              "first.", style="red")
                    raise typer.Exit(1) from None
                written = _write(conn, spec, table, first, last, format_, output, path,
                                 total, err)
        finally:
            views.dispose()
        where = "standard output" if output == "-" else str(path)
        note = "" if written else " (nothing in this period)"
        err.print(f"{written} rows of {table} to {where}{note}.", markup=False)


def _write(conn: sa.Connection, spec: sa.Table, table: str, first: date | None,
           last: date | None, format_: Format, output: str | None, path: Path, total: int,
           err: Console) -> int:
    columns = [c.name for c in spec.c]
    written = 0
    progress = Progress(TextColumn(f"export {table}"), BarColumn(), MofNCompleteColumn(),
                        TimeRemainingColumn(), console=err, transient=output == "-")
    with progress:
        task = progress.add_task(table, total=total)
        with _sink(format_, output, path, spec, columns) as write:
            for rows in export_rows(conn, table, first, last):
                write(rows)
                written += len(rows)
                progress.update(task, advance=len(rows))
    return written


@contextmanager
def _sink(format_: Format, output: str | None, path: Path, spec: sa.Table,
          columns: list[str]) -> Iterator[Writer]:
    if format_ == Format.PARQUET:
        with _parquet(path, spec) as write:
            yield write
        return
    make = _csv if format_ == Format.CSV else _json
    if output == "-":
        with make(sys.stdout, columns) as write:
            yield write
        sys.stdout.flush()
        return
    with path.open("w", encoding="utf-8", newline="") as stream, make(stream, columns) as write:
        yield write
