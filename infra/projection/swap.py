"""Putting a read model rebuilt aside in place by renaming tables instead of copying rows.

`rebuild` builds a projection in a scratch schema whose tables are made `LIKE` the live ones
`INCLUDING ALL`. Copying those rows back (DELETE, then INSERT ... SELECT) writes every row and
index entry a second time and takes seconds for large tables. `swap_in` exchanges the tables in
the catalogue instead: the rebuilt table takes the live name, the old one moves into the scratch
schema and goes when it is dropped. No row is copied: readers wait only from the rename (ACCESS
EXCLUSIVE locks) to the caller's commit, and read the new table afterwards. As after a TRUNCATE,
a REPEATABLE READ transaction whose snapshot predates the swap and that first reads the table
after it sees too few rows; the application's readers are READ COMMITTED.

To everything but its rows the new table must look like the old one: migrations drop and alter
indexes and constraints by name, so each takes the name of the old one with the same definition;
the table's privileges are copied (the analysts' SELECT: default privileges do not reach a table
made in another schema), so are the comments and the ownership of a serial column's sequence.
What a rename cannot carry over (a view or foreign key on the table, a trigger, an identity
column, a shape that differs from the live table's, an UNLOGGED twin not yet `prepare`d) is
listed by `obstacles`; `swap_in` then refuses before changing anything, and the caller copies
the rows instead. The catalogue is read in one query and the renames are sent in one batch: the
locks are held for milliseconds. PostgreSQL only.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from projections.base import READ_SCHEMA

Catalogued = dict[str, Any]


class SwapRefused(RuntimeError):
    """The tables cannot be swapped; nothing was changed and the transaction is still usable."""


def obstacles(conn: sa.Connection, tables: Sequence[sa.Table],
              scratch_schema: str | None = None) -> list[str]:
    """Why the live tables cannot be swapped (empty: they can); with `scratch_schema`, also why
    their scratch twins cannot replace them (missing, or not shaped like them)."""
    names = _names(tables)
    found = _read(conn, names + [(scratch_schema, name) for _, name in names
                                 if scratch_schema is not None])
    return [reason for schema, name in names
            for reason in _reasons(schema, name, found.get((schema, name)),
                                   found.get((scratch_schema or "", name)), scratch_schema)]


def swap_in(conn: sa.Connection, scratch_schema: str, tables: Sequence[sa.Table]) -> None:
    """On PostgreSQL, within the caller's transaction: each live table replaced by its scratch
    twin `"<scratch_schema>"."<table.name>"` by renaming (metadata only: no rows copied). The
    new live table gets the old one's index and constraint names, privileges, comments and
    serial sequences; the old table moves into the scratch schema (dropping the schema drops it).

    The live tables are locked ACCESS EXCLUSIVE, sorted by schema and name (a `lock_timeout` is
    the caller's). Raises `SwapRefused` before changing anything if `obstacles` finds a reason;
    any other error leaves a half-done swap that only the caller's rollback undoes."""
    names = _names(tables)
    for schema, name in names:
        conn.execute(sa.text(f"LOCK TABLE {_q(schema, name)} IN ACCESS EXCLUSIVE MODE"))
    catalogued = _read(conn, names + [(scratch_schema, name) for _, name in names])
    pairs = [(schema, name, catalogued.get((schema, name)), catalogued.get((scratch_schema, name)))
             for schema, name in names]
    reasons = [reason for schema, name, live, twin in pairs
               for reason in _reasons(schema, name, live, twin, scratch_schema)]
    if reasons:
        raise SwapRefused("; ".join(reasons))
    found = [(schema, name, live, twin) for schema, name, live, twin in pairs
             if live is not None and twin is not None]  # all of them, as nothing stood in the way
    tag = uuid.uuid4().hex[:8]
    moves: list[str] = []  # 1. each rebuilt table into the live schema, under names nobody has
    for k, (schema, name, _, twin) in enumerate(found):
        for i, index in enumerate(twin["indexes"]):
            moves.append(f"ALTER INDEX {_q(scratch_schema, index[0])} "
                         f"RENAME TO {_q(f'swap_{tag}_{k}_{i}')}")
        moves.append(f"ALTER TABLE {_q(scratch_schema, name)} RENAME TO {_q(f'swap_{tag}_{k}')}")
        moves.append(f"ALTER TABLE {_q(scratch_schema, f'swap_{tag}_{k}')} "
                     f"SET SCHEMA {_q(schema)}")
    for schema, name, live, _ in found:  # 2. each old table (its indexes too) out of the way
        for sequence, _column in live["sequences"]:  # stays: the new table's default uses it
            moves.append(f"ALTER SEQUENCE {sequence} OWNED BY NONE")
        old = f"{name[:40]}_old_{tag}"
        moves.append(f"ALTER TABLE {_q(schema, name)} RENAME TO {_q(old)}")
        moves.append(f"ALTER TABLE {_q(schema, old)} SET SCHEMA {_q(scratch_schema)}")
    for k, (schema, name, live, twin) in enumerate(found):  # 3. the live names, now free
        moves.append(f"ALTER TABLE {_q(schema, f'swap_{tag}_{k}')} RENAME TO {_q(name)}")
        moves += _take_over(schema, name, f"swap_{tag}_{k}", live, twin)
    conn.exec_driver_sql(";\n".join(moves).replace("%", "%%"))  # one round trip


def prepare(conn: sa.Connection, scratch_schema: str, tables: Sequence[sa.Table]) -> None:
    """The scratch twins made ready to be swapped in: logged (crash-safe, replicated) if they
    were built UNLOGGED, a rewrite as long as a copy but of tables nobody reads; and analysed, so
    that the planner knows their rows from the first query. Run it before the switch's
    transaction, not in it: it holds no live lock."""
    twins = _read(conn, [(scratch_schema, name) for _, name in _names(tables)])
    for (_, name), twin in sorted(twins.items()):
        if twin["persistence"] == "UNLOGGED":
            conn.execute(sa.text(f"ALTER TABLE {_q(scratch_schema, name)} SET LOGGED"))
        conn.execute(sa.text(f"ANALYZE {_q(scratch_schema, name)}"))


def _take_over(schema: str, name: str, tmp: str, live: Catalogued, twin: Catalogued
               ) -> list[str]:
    """What makes the rebuilt table, now at the live name, look like the old one: the names of
    its indexes (paired by definition: both lists come sorted by it) and constraints, its
    sequences, privileges and comments."""
    table = _q(schema, name)
    statements = [f"ALTER INDEX {_q(schema, f'{tmp}_{i}')} RENAME TO {_q(old[0])}"
                  for i, old in enumerate(live["indexes"])]  # renames an index's constraint too
    statements += [f"ALTER TABLE {table} RENAME CONSTRAINT {_q(new[0])} TO {_q(old[0])}"
                   for old, new in zip(live["constraints"], twin["constraints"], strict=True)
                   if old[0] != new[0]]
    statements += [f"ALTER SEQUENCE {sequence} OWNED BY {table}.{_q(column)}"
                   for sequence, column in live["sequences"]]
    old_acl, new_acl = ({tuple(entry) for entry in side["acl"]} for side in (live, twin))
    held = {(grantee, privilege) for grantee, privilege, _ in old_acl}
    for grantee, privilege, _ in sorted(new_acl - old_acl):
        option = "GRANT OPTION FOR " if (grantee, privilege) in held else ""
        statements.append(f"REVOKE {option}{privilege} ON {table} FROM {grantee}")
    for grantee, privilege, grantable in sorted(old_acl - new_acl):
        option = " WITH GRANT OPTION" if grantable else ""
        statements.append(f"GRANT {privilege} ON {table} TO {grantee}{option}")
    for column, comment in sorted(live["comments"].items()):  # "": the table's own
        if comment != twin["comments"].get(column):
            target = f"COLUMN {table}.{_q(column)}" if column else f"TABLE {table}"
            literal = "NULL" if comment is None else "'" + comment.replace("'", "''") + "'"
            statements.append(f"COMMENT ON {target} IS {literal}")
    return statements


# -- the catalogue ------------------------------------------------------------------------------
def _q(*parts: str) -> str:
    return ".".join('"' + part.replace('"', '""') + '"' for part in parts)


def _names(tables: Sequence[sa.Table]) -> list[tuple[str, str]]:
    """(live schema, name) of each table, in the order their locks are taken."""
    return sorted({(table.schema or READ_SCHEMA, table.name) for table in tables})


_SHAPE = ("columns", "indexes", "constraints", "owner", "persistence",
         "replica identity and storage parameters")


def _reasons(schema: str, name: str, live: Catalogued | None, twin: Catalogued | None,
             scratch_schema: str | None) -> list[str]:
    where = f"{schema}.{name}"
    if live is None:
        return [f"{where} does not exist"]
    reasons = [f"{where}: {reason}" for reason in live["obstacles"]]
    if scratch_schema is None:
        return reasons
    if twin is None:
        return [*reasons, f"{where}: no table {scratch_schema}.{name} to swap in"]
    for part in _SHAPE:
        old, new = live[part], twin[part]
        if part in ("indexes", "constraints"):  # by definition, whatever their names
            old, new = (Counter(tuple(entry[1:]) for entry in side) for side in (old, new))
        if old != new:
            reasons.append(f"{where}: {part} {old}, rebuilt {new}" if isinstance(old, str)
                           else f"{where}: {part} differ from the rebuilt table's")
    return reasons


def _read(conn: sa.Connection, names: list[tuple[str, str]]) -> dict[tuple[str, str], Catalogued]:
    """The catalogue's entry of each (schema, name) that exists."""
    rows = conn.execute(_CATALOGUE, {"schemas": [schema for schema, _ in names],
                                     "names": [name for _, name in names]})
    return {(schema, name): dict(json.loads(entry) if isinstance(entry, str) else entry)
            for schema, name, entry in rows}


# Everything about the tables in one round trip. An index is paired with its twin by what it is,
# not by name: the constraint it backs (if any) and its definition from the access method on
# ("btree (dialog_id, seq) WHERE ..."); lists come sorted by that, then by name.
_CATALOGUE = sa.text("""
SELECT n.nspname, c.relname, json_build_object(
  'owner', pg_get_userbyid(c.relowner),
  'persistence', CASE c.relpersistence WHEN 'p' THEN 'logged' WHEN 'u' THEN 'UNLOGGED'
                 ELSE 'temporary' END,
  'replica identity and storage parameters',
      c.relreplident::text || coalesce(array_to_string(c.reloptions, ','), ''),
  'columns', (SELECT json_agg(json_build_array(a.attname, format_type(a.atttypid, a.atttypmod),
                a.attnotnull, a.attgenerated::text, a.attcollation,
                pg_get_expr(d.adbin, d.adrelid)) ORDER BY a.attnum)
              FROM pg_attribute a
              LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
              WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
  'comments', (SELECT json_object_agg(coalesce(a.attname, ''),
                 col_description(c.oid, coalesce(a.attnum, 0)))
               FROM (SELECT attname, attnum FROM pg_attribute
                     WHERE attrelid = c.oid AND attnum > 0 AND NOT attisdropped
                     UNION ALL SELECT NULL, NULL) a),
  'indexes', coalesce((SELECT json_agg(x ORDER BY x->>1, x->>2, x->>0) FROM (
                 SELECT json_build_array(i.relname, coalesce(pg_get_constraintdef(k.oid), ''),
                   substring(pg_get_indexdef(x.indexrelid) from ' USING .*$')) AS x
                 FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
                 LEFT JOIN pg_constraint k ON k.conindid = x.indexrelid AND k.conrelid = c.oid
                 WHERE x.indrelid = c.oid) s), '[]'),
  'constraints', coalesce((SELECT json_agg(json_build_array(conname, contype::text,
                     pg_get_constraintdef(oid)) ORDER BY contype, pg_get_constraintdef(oid),
                     conname)
                   FROM pg_constraint WHERE conrelid = c.oid AND conindid = 0), '[]'),
  'acl', (SELECT json_agg(json_build_array(coalesce(quote_ident(r.rolname), 'PUBLIC'),
            e.privilege_type, e.is_grantable))
          FROM aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) e
          LEFT JOIN pg_roles r ON r.oid = e.grantee),
  'sequences', coalesce((SELECT json_agg(json_build_array(
                   quote_ident(sn.nspname) || '.' || quote_ident(s.relname), a.attname))
                 FROM pg_depend d JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
                 JOIN pg_namespace sn ON sn.oid = s.relnamespace
                 JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.refobjsubid
                 WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
                   AND d.refobjid = c.oid AND d.deptype = 'a'), '[]'),
  'obstacles', coalesce((SELECT json_agg(reason) FROM (
      SELECT 'not a plain table (relkind ' || c.relkind::text || ')' AS reason
      WHERE c.relkind <> 'r'
      UNION ALL SELECT 'inherits or is inherited' FROM pg_inherits
      WHERE inhrelid = c.oid OR inhparent = c.oid
      UNION ALL (SELECT DISTINCT 'view ' || vn.nspname || '.' || v.relname || ' reads it'
      FROM pg_depend d JOIN pg_rewrite w ON d.classid = 'pg_rewrite'::regclass AND w.oid = d.objid
      JOIN pg_class v ON v.oid = w.ev_class JOIN pg_namespace vn ON vn.oid = v.relnamespace
      WHERE d.refclassid = 'pg_class'::regclass AND d.refobjid = c.oid AND w.ev_class <> c.oid)
      UNION ALL SELECT 'rule ' || rulename FROM pg_rewrite WHERE ev_class = c.oid
      UNION ALL SELECT 'foreign key ' || conname FROM pg_constraint
      WHERE contype = 'f' AND (conrelid = c.oid OR confrelid = c.oid)
      UNION ALL SELECT 'trigger ' || tgname FROM pg_trigger
      WHERE tgrelid = c.oid AND NOT tgisinternal
      UNION ALL SELECT 'row-level security' WHERE c.relrowsecurity
      UNION ALL SELECT 'policy ' || polname FROM pg_policy WHERE polrelid = c.oid
      UNION ALL SELECT 'in publication ' || p.pubname FROM pg_publication_rel r
      JOIN pg_publication p ON p.oid = r.prpubid WHERE r.prrelid = c.oid
      UNION ALL SELECT 'privileges on column ' || attname FROM pg_attribute
      WHERE attrelid = c.oid AND attacl IS NOT NULL AND NOT attisdropped
      UNION ALL SELECT 'identity column ' || attname FROM pg_attribute
      WHERE attrelid = c.oid AND attidentity <> '' AND NOT attisdropped
      UNION ALL SELECT 'extended statistics ' || stxname FROM pg_statistic_ext
      WHERE stxrelid = c.oid) o), '[]'))
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE (n.nspname, c.relname) IN (
    SELECT * FROM unnest(CAST(:schemas AS text[]), CAST(:names AS text[])))""")
