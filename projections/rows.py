"""The rows of a read model's tables that a batch of events touches: `RowSet` reads them in one
query per table, the projection changes them in memory event by event, and one upsert per
table writes them back — so that a batch of 500 events costs a handful of statements whatever
its mix. Every projection on a hot path folds its batches this way (inbox, notifications,
outbox, presence, the analytics ones). While a projection is built aside
(`infra.projection.verify`), the sets keep its rows between batches (`Kept`): nothing is read
back, and new rows are copied in."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from operator import attrgetter, itemgetter
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

CHUNK = 500

Key = tuple[Any, ...]


def utc(value: datetime) -> datetime:
    """An instant in UTC; SQLite hands back naive datetimes, which are UTC."""
    zone = value.tzinfo
    if zone is UTC:  # as events' times are decoded: nothing to convert
        return value
    return value.replace(tzinfo=UTC) if zone is None else value.astimezone(UTC)


def chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def normalise(value: Any) -> Any:
    return utc(value) if isinstance(value, datetime) else value


def among(conn: sa.Connection, column: sa.Column[Any], values: Iterable[Any]) -> Any:
    """`column IN values`; on PostgreSQL `column = ANY(array)`: one parameter whatever the
    number of values, so the same statement every time (an IN list of N parameters is built,
    sent and parsed anew for each N)."""
    if conn.dialect.name == "postgresql":
        return column == sa.any_(sa.literal(list(values), postgresql.ARRAY(column.type)))
    return column.in_(list(values))


def key_filter(conn: sa.Connection, columns: Sequence[sa.Column[Any]],
                keys: Sequence[Key]) -> Any:
    """A filter that finds at least the rows with these keys (composite keys: each column
    among its values; the caller drops the extra rows)."""
    if len(columns) == 1:
        return among(conn, columns[0], [key[0] for key in keys])
    return sa.and_(*[among(conn, column, sorted({key[i] for key in keys}, key=repr))
                     for i, column in enumerate(columns)])


class RowSet:
    """The rows of `table` a batch reads and changes, by primary key."""

    def __init__(self, table: sa.Table, defaults: dict[str, Any] | None = None) -> None:
        self.table = table
        self.key_columns = list(table.primary_key.columns)
        self.key_names = tuple(column.name for column in self.key_columns)
        self.defaults = {column.name: None for column in table.c}
        self.defaults.update(defaults or {})
        self.rows: dict[Key, dict[str, Any]] = {}
        self.absent: set[Key] = set()
        self.dirty: set[Key] = set()
        self.kept: Kept | None = None

    def _keep(self, conn: sa.Connection) -> Kept | None:
        """The table's rows kept across batches, when the connection builds aside."""
        if self.kept is None:
            kept = conn.get_execution_options().get("kept")
            if kept is not None:
                self.kept = kept.setdefault(self.table.name, Kept())
        return self.kept

    def load(self, conn: sa.Connection, keys: Iterable[Key]) -> None:
        """Reads the rows with these keys that are not known yet, in as few queries as can be."""
        wanted = {k for k in keys if k not in self.rows and k not in self.absent}
        kept = self._keep(conn)
        if kept is not None and wanted:
            wanted = self._recall(kept, wanted)
        for chunk in chunks(ordered(wanted), CHUNK):
            found = set()
            for row in conn.execute(sa.select(self.table).where(
                    key_filter(conn, self.key_columns, chunk))):
                values = {name: normalise(v) for name, v in row._mapping.items()}
                key = tuple(values[column.name] for column in self.key_columns)
                if key not in self.rows:
                    self.rows[key] = values
                    if kept is not None:
                        kept.rows[key] = values
                found.add(key)
            self.absent.update(k for k in chunk if k not in found)

    def _recall(self, kept: Kept, wanted: set[Key]) -> set[Key]:
        """Takes the wanted rows the batches before kept; returns those still to be read."""
        rows, known = self.rows, kept.rows
        unknown = set()
        for key in wanted:
            row = known.get(key)
            if row is not None:
                rows[key] = row
            else:
                unknown.add(key)
        if kept.complete:  # what was never written is not there
            self.absent.update(unknown)
            return set()
        return unknown

    def load_where(self, conn: sa.Connection, where: Any) -> list[dict[str, Any]]:
        """Reads the rows matching a filter (one query; the caller keeps it short) and returns
        them as the set holds them: a row the set knew already stays as it is in memory."""
        kept = self._keep(conn)
        found = []
        for row in conn.execute(sa.select(self.table).where(where)):
            values = {name: normalise(v) for name, v in row._mapping.items()}
            key = tuple(values[column.name] for column in self.key_columns)
            if key not in self.rows:
                if kept is not None:  # the kept row is the same, and is the one to change
                    values = kept.rows.setdefault(key, values)
                self.rows[key] = values
                self.absent.discard(key)
            found.append(self.rows[key])
        return found

    def get(self, key: Key) -> dict[str, Any] | None:
        return self.rows.get(key)

    def fetch(self, conn: sa.Connection, key: Key) -> dict[str, Any] | None:
        """The row with this key, read now if the set has not read it yet."""
        if key not in self.rows and key not in self.absent:
            self.load(conn, [key])
        return self.rows.get(key)

    def new(self, key: Key, **values: Any) -> dict[str, Any]:
        """A row that replaces whatever had this key."""
        row = dict(self.defaults)
        row.update(zip(self.key_names, key, strict=True))
        row.update(values)
        self.rows[key] = row
        if self.absent:
            self.absent.discard(key)
        self.dirty.add(key)
        return row

    def get_or_new(self, key: Key, **values: Any) -> dict[str, Any]:
        row = self.rows.get(key)
        if row is None:
            return self.new(key, **values)
        self.dirty.add(key)
        return row

    def change(self, key: Key, **values: Any) -> dict[str, Any] | None:
        row = self.rows.get(key)
        if row is not None:
            row.update(values)
            self.dirty.add(key)
        return row

    def add(self, key: Key, column: str, amount: float = 1) -> dict[str, Any]:
        """Adds to a counter, creating the row (with its defaults) when it is new."""
        row = self.get_or_new(key)
        row[column] = (row[column] or 0) + amount
        return row

    def mark(self, key: Key) -> None:
        if key in self.rows:
            self.dirty.add(key)

    def flush(self, conn: sa.Connection,
              finish: Callable[[dict[str, Any]], None] | None = None) -> None:
        """Writes the changed rows back (an upsert), after `finish` derives what depends on
        the whole row."""
        if not self.dirty:
            return
        kept = self._keep(conn)
        fresh: list[dict[str, Any]] = []
        if kept is None:
            rows = [self.rows[key] for key in ordered(self.dirty)]
        else:  # nobody else writes a table built aside: no order to keep for locks
            keys = list(self.dirty)
            rows = [self.rows[key] for key in keys]
            kept.rows.update(zip(keys, rows, strict=True))
            if kept.complete and _binary(conn):  # rows never written: copied in, not upserted
                stored, written = kept.stored, rows
                rows = []
                for key, row in zip(keys, written, strict=True):
                    if key in stored:
                        rows.append(row)
                    else:
                        fresh.append(row)
                stored.update(self.dirty)
            if len(kept.rows) > kept.LIMIT:
                kept.forget()
        if finish is not None:
            for row in (*fresh, *rows):
                finish(row)
        if not _binary(conn):  # the binary upsert reads the columns it needs, converting them
            rows = [{name: _stored(row[name]) for name in self.defaults} for row in rows]
        copy_in(conn, self.table, fresh)
        upsert(conn, self.table, rows)
        self.dirty.clear()

    def replace(self, conn: sa.Connection, column: str, old: Any, new: Any) -> None:
        """`column` becomes `new` wherever it is `old`: in the table (one UPDATE), and in the
        rows the set holds or keeps (so that nothing need be read again)."""
        conn.execute(self.table.update().where(self.table.c[column] == old)
                     .values({column: new}))
        kept = self._keep(conn)
        for rows in (self.rows, kept.rows if kept is not None else {}):
            for row in rows.values():
                if row[column] == old:
                    row[column] = new

    def forget(self) -> None:
        """Drops what was read (after a statement changed rows behind the set's back)."""
        self.rows.clear()
        self.absent.clear()
        self.dirty.clear()
        if self.kept is not None:
            self.kept.forget()


class Kept:
    """A table's rows as the batches before left them, while a projection is built aside into
    an empty table that nothing else writes: a later batch takes them from here instead of
    reading them back, and a key never written is known to have no row. A statement that
    changes rows behind the sets' backs makes it forget (rows are read again, and kept)."""

    LIMIT = 250_000  # rows kept at most (a kilobyte or two each); beyond, read back as usual

    def __init__(self) -> None:
        self.rows: dict[Key, dict[str, Any]] = {}
        self.complete = True  # every row of the table is among `rows`
        self.stored: set[Key] = set()  # the keys written to the table, while complete

    def forget(self) -> None:
        self.rows.clear()
        self.stored.clear()
        self.complete = False


def ordered(keys: Iterable[Key]) -> list[Key]:
    """Keys in a stable order (rows are written, and so locked, in it): their own where they
    compare (ids by their number: comparing UUID objects calls Python twice per comparison),
    else by their text."""
    try:
        return sorted(keys, key=_sortable)
    except TypeError:  # None among UUIDs, say
        return sorted(keys, key=repr)


def sorted_ids(ids: Iterable[UUID]) -> list[UUID]:
    """Ids in a stable order, by their number (sorting by their text formats every one)."""
    return sorted(ids, key=_number)


_number = attrgetter("int")


def _sortable(key: Key) -> Key:
    return tuple(part.int if type(part) is UUID else part for part in key)


def _binary(conn: sa.Connection) -> bool:
    return conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg"


def _stored(value: Any) -> Any:
    return utc(value) if isinstance(value, datetime) else value


def upsert(conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Inserts the rows, replacing those with the same keys: on PostgreSQL in one statement of
    arrays (one round trip whatever the number of rows; with psycopg the arrays go in binary,
    a third of the time of their text form), on SQLite row by row (in-process)."""
    if not rows:
        return
    if _binary(conn):
        translate = conn.get_execution_options().get("schema_translate_map") or {}
        sql, columns = _pg_binary_upsert(table, translate.get(table.schema, table.schema))
        for chunk in chunks(rows, 5000):
            conn.exec_driver_sql(sql, {
                f"a_{i}": (list(map(itemgetter(name), chunk)) if convert is _same
                           else [convert(row[name]) for row in chunk])
                for i, (name, convert) in enumerate(columns)})
        return
    if conn.dialect.name == "postgresql":
        statement = _pg_upsert(table)
        for chunk in chunks(rows, 5000):
            conn.execute(statement, {f"a_{c.name}": [row[c.name] for row in chunk]
                                     for c in table.c})
        return
    statement = sqlite.insert(table)
    conn.execute(_on_conflict(table, statement), rows)


def copy_in(conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Appends rows whose keys the table does not have (PostgreSQL with psycopg): one COPY in
    binary, cheaper to send and to take in than an upsert of arrays."""
    if not rows:
        return
    translate = conn.get_execution_options().get("schema_translate_map") or {}
    schema = translate.get(table.schema, table.schema)
    statement, kinds, values, fixes = _pg_copy(table, schema)
    raw: Any = conn.connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        copy.set_types(kinds)
        write = copy.write_row
        for row in rows:
            record = list(values(row))
            for i, convert in fixes:
                record[i] = convert(record[i])
            write(record)


@lru_cache(maxsize=64)
def _pg_copy(table: sa.Table, schema: str | None) -> tuple[
        str, list[str], Callable[[dict[str, Any]], Sequence[Any]],
        list[tuple[int, Callable[[Any], Any]]]]:
    """COPY … FROM STDIN (FORMAT BINARY), the columns' types, a row's values in column order
    (at C speed) and which of them to make of one type first (as for the upsert)."""
    names = [column.name for column in table.c]
    where = f'"{schema}"."{table.name}"' if schema else f'"{table.name}"'
    kinds, converts = zip(*(_pg_column(column) for column in table.c), strict=True)
    fixes = [(i, convert) for i, convert in enumerate(converts) if convert is not _same]
    values = itemgetter(*names) if len(names) > 1 else (lambda row: (row[names[0]],))
    quoted = ", ".join(f'"{name}"' for name in names)
    return (f"COPY {where} ({quoted}) FROM STDIN (FORMAT BINARY)",
            [kind.lower() for kind in kinds], values, fixes)


def _same(value: Any) -> Any:
    return value


def _as(kind: type) -> Callable[[Any], Any]:
    """One Python type for a whole array (a binary array takes its element type from one
    element: an int among floats would not do)."""
    return lambda value: None if value is None else kind(value)


@lru_cache(maxsize=64)
def _pg_binary_upsert(table: sa.Table, schema: str | None
                      ) -> tuple[str, list[tuple[str, Callable[[Any], Any]]]]:
    """INSERT … SELECT * FROM unnest(%(a_0)b::type[], …) ON CONFLICT (key) DO UPDATE, and how
    each column's values are made one type. Strings go as text[] so that too long a value is
    refused (as an INSERT would) rather than cut by a cast."""
    keys = [column.name for column in table.primary_key.columns]
    names = [f'"{column.name}"' for column in table.c]
    arrays: list[str] = []
    columns: list[tuple[str, Callable[[Any], Any]]] = []
    convert: Callable[[Any], Any]
    for i, column in enumerate(table.c):
        kind, convert = _pg_column(column)
        arrays.append(f"%(a_{i})b::{kind}[]")
        columns.append((column.name, convert))
    where = f'"{schema}"."{table.name}"' if schema else f'"{table.name}"'
    updates = [f'"{c.name}" = excluded."{c.name}"' for c in table.c if c.name not in keys]
    conflict = (f"DO UPDATE SET {', '.join(updates)}" if updates else "DO NOTHING")
    keys_sql = ", ".join(f'"{k}"' for k in keys)
    return (f"INSERT INTO {where} ({', '.join(names)}) SELECT * FROM unnest({', '.join(arrays)})"
            f" ON CONFLICT ({keys_sql}) {conflict}", columns)


def _pg_column(column: sa.Column[Any]) -> tuple[str, Callable[[Any], Any]]:
    """A column's PostgreSQL type, and how to make its values of one Python type."""
    if isinstance(column.type, sa.String):
        return "text", _same
    if isinstance(column.type, sa.Float):
        return "double precision", _as(float)
    if isinstance(column.type, sa.DateTime):
        return "timestamptz", _stored
    kind = str(column.type.compile(dialect=postgresql.dialect()))  # type: ignore[no-untyped-call]
    return kind, _as(int) if isinstance(column.type, sa.Integer) else _same


def _on_conflict(table: sa.Table, statement: Any) -> Any:
    keys = [column.name for column in table.primary_key.columns]
    others = {column.name: statement.excluded[column.name] for column in table.c
              if column.name not in keys}
    if others:
        return statement.on_conflict_do_update(index_elements=keys, set_=others)
    return statement.on_conflict_do_nothing(index_elements=keys)


@lru_cache(maxsize=64)
def _pg_upsert(table: sa.Table) -> Any:
    """INSERT … SELECT unnest(:a_col1), unnest(:a_col2), … ON CONFLICT (key) DO UPDATE: the
    same compiled statement for any number of rows (schema names still translate, so it works
    in a scratch schema too)."""
    arrays = sa.select(*[
        sa.func.unnest(sa.cast(sa.bindparam(f"a_{c.name}"), postgresql.ARRAY(c.type)))
        for c in table.c])
    statement = postgresql.insert(table).from_select([c.name for c in table.c], arrays)
    return _on_conflict(table, statement)
