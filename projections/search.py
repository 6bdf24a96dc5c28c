"""The search index: one document per message (its text, and its media's caption and file name)
and one per dialog for its client (name and number), each with the terms it is found by
(`domain.search`: stems and a number's spellings, computed here in Python once for both
databases).

PostgreSQL finds documents with a GIN index over `to_tsvector('simple', terms)` (the terms
are stemmed already: the `simple` configuration only splits them); SQLite with an FTS5 table,
`search_fts`, whose rowid is the document's `doc` number, kept in step with the documents by
triggers (so a rebuild, a reset or a verification, which write the documents table like any
other, keep it too). Both answer the same: every term of the search, nothing else.

Results are dialogs, newest first: a dialog ranks by the newest of its matching documents (a
client's document takes the position of the dialog's last message). An operator finds what
their inbox shows — dialogs delivered to them, while they are in the access group — without
messages the client deleted; those who read everything (`everything`) find every dialog and
deleted messages too."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa

from domain.clients import Client
from domain.dialogs import Dialog
from domain.media import Media
from domain.outbox import OutgoingMessage
from domain.search import Part, Search, fragment, marked_ranges, terms_of
from projections.base import BatchProjection, Changes, metadata
from projections.inbox import dialog_recipients, messages
from projections.routing import access_members
from projections.rows import RowSet, utc

CLIENT = "client"
MESSAGE = "message"

documents = sa.Table(
    "search_documents",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),  # the message's id; the dialog's for its client
    # The position of the event that made the document: unique, never changes (the FTS5 rowid).
    sa.Column("doc", sa.BigInteger, nullable=False, unique=True),
    sa.Column("kind", sa.String(8), nullable=False),
    sa.Column("dialog_id", sa.Uuid, index=True),  # null while a held message has no dialog
    sa.Column("client_id", sa.Uuid, index=True),  # a client's document: whose
    sa.Column("channel", sa.String(32)),  # a client's document: the dialog's channel
    sa.Column("direction", sa.String(8)),
    sa.Column("text", sa.Text, nullable=False),  # the message's text; the client's name
    sa.Column("phone", sa.String(160)),  # a client's document: the number or identity
    sa.Column("caption", sa.Text, nullable=False),
    sa.Column("file_name", sa.String(255), nullable=False),
    sa.Column("revoked", sa.Boolean, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("position", sa.BigInteger, nullable=False, index=True),  # newest first
    sa.Column("terms", sa.Text, nullable=False),
    # PostgreSQL: what finds the documents (SQLite has search_fts below instead)
    sa.Index("ix_search_documents_terms", sa.text("to_tsvector('simple'::regconfig, terms)"),
             postgresql_using="gin").ddl_if(dialect="postgresql"),
)

SIMPLE: sa.ColumnClause[Any] = sa.literal_column("'simple'::regconfig")

# SQLite: the FTS5 table and the triggers that keep it in step (the migration makes the same).
SQLITE_DDL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(terms, "
    "tokenize = 'unicode61 remove_diacritics 0')",
    "CREATE TRIGGER IF NOT EXISTS search_documents_fts_insert AFTER INSERT ON search_documents "
    "BEGIN INSERT INTO search_fts (rowid, terms) VALUES (new.doc, new.terms); END",
    "CREATE TRIGGER IF NOT EXISTS search_documents_fts_update AFTER UPDATE ON search_documents "
    "WHEN old.terms IS NOT new.terms OR old.doc IS NOT new.doc "
    "BEGIN UPDATE search_fts SET rowid = new.doc, terms = new.terms WHERE rowid = old.doc; END",
    "CREATE TRIGGER IF NOT EXISTS search_documents_fts_delete AFTER DELETE ON search_documents "
    "BEGIN DELETE FROM search_fts WHERE rowid = old.doc; END",
)
for _statement in SQLITE_DDL:
    sa.event.listen(documents, "after_create", sa.DDL(  # type: ignore[no-untyped-call]
        _statement).execute_if(dialect="sqlite"))
sa.event.listen(documents, "after_drop", sa.DDL(  # type: ignore[no-untyped-call]
    "DROP TABLE IF EXISTS search_fts").execute_if(dialect="sqlite"))

DEFAULTS = {"kind": MESSAGE, "text": "", "caption": "", "file_name": "", "revoked": False}
MESSAGE_EVENTS = (Dialog.MessageReceived, Dialog.PhoneReplyRecorded, OutgoingMessage.Queued)


class SearchProjection(BatchProjection):
    """Folds a batch in memory (the documents it touches read in one query, written back in
    one upsert)."""

    name = "search"
    tables = (documents,)
    events = (Dialog.Opened, *MESSAGE_EVENTS, Dialog.ClientMessageEdited,
              Dialog.ClientMessageRevoked, Media.Recorded, Client.Renamed, Client.MergedInto)

    def apply_batch(
        self, conn: sa.Connection, events: Sequence[tuple[int, Any]], changes: Changes
    ) -> None:
        if not events:
            return
        rows = RowSet(documents, DEFAULTS)
        keys: set[UUID] = set()
        clients: set[UUID] = set()
        for _, event in events:
            match event:
                case Client.Renamed() | Client.MergedInto():
                    clients.add(event.originator_id)
                case Dialog.Opened():
                    pass
                case OutgoingMessage.Queued():
                    keys.update((event.originator_id, event.dialog_id))
                case Media.Recorded():
                    keys.add(event.message_id)
                case _:
                    keys.update((event.message_id, event.originator_id))
        rows.load(conn, [(key,) for key in keys])
        if clients:
            rows.load_where(conn, documents.c.client_id.in_(sorted(clients, key=str)))
        for position, event in events:
            _apply(rows, event, position)
        rows.flush(conn, _terms)


def _terms(row: dict[str, Any]) -> None:
    if row["kind"] == CLIENT:
        row["terms"] = terms_of(row["text"], row["phone"] or "")
    else:
        row["terms"] = terms_of(row["text"], row["caption"], row["file_name"])


def _message(rows: RowSet, message_id: UUID, doc: int, **values: Any) -> dict[str, Any]:
    """The message's document (made now, numbered `doc`, or by its media before it), with
    these values."""
    row = rows.get_or_new((message_id,), doc=doc)
    row.update(values)
    return row


def _apply(rows: RowSet, event: Any, position: int) -> None:
    match event:
        case Dialog.Opened():
            rows.new((event.originator_id,), doc=position, kind=CLIENT,
                     dialog_id=event.originator_id, client_id=event.client_id,
                     channel=event.channel, text=event.client_name, phone=event.phone,
                     at=event.timestamp, position=position)
        case Dialog.MessageReceived() | Dialog.PhoneReplyRecorded() | OutgoingMessage.Queued():
            outgoing = not isinstance(event, Dialog.MessageReceived)
            dialog_id = event.dialog_id if isinstance(event, OutgoingMessage.Queued) \
                else event.originator_id
            message_id = event.originator_id if isinstance(event, OutgoingMessage.Queued) \
                else event.message_id
            at = event.at if isinstance(event, OutgoingMessage.Queued) else event.sent_at
            _message(rows, message_id, position, dialog_id=dialog_id, text=event.text,
                     direction="out" if outgoing else "in", at=at, position=position)
            rows.change((dialog_id,), at=at, position=position)  # the client's, newest now
        case Dialog.ClientMessageEdited():
            rows.change((event.message_id,), text=event.text)
        case Dialog.ClientMessageRevoked():
            rows.change((event.message_id,), revoked=True)
        case Media.Recorded():
            row = rows.get((event.message_id,))
            if row is None:  # the media before its message: the message fills the rest in
                row = _message(rows, event.message_id, position, dialog_id=event.dialog_id,
                               direction=event.direction, at=event.at, position=position)
            rows.change((event.message_id,), caption=event.caption, file_name=event.file_name)
            if row["dialog_id"] is None:
                row["dialog_id"] = event.dialog_id
        case Client.Renamed():
            _client(rows, event.originator_id, text=event.name)
        case Client.MergedInto():
            _client(rows, event.originator_id, client_id=event.into_client_id,
                    phone=event.phone)


def _client(rows: RowSet, whose: UUID, **values: Any) -> None:
    """The documents of the client's dialogs, changed."""
    for key, row in list(rows.rows.items()):
        if row["kind"] == CLIENT and row["client_id"] == whose:
            rows.change(key, **values)


# -- queries ---------------------------------------------------------------------------------
PER_DIALOG = 3  # matching messages shown per dialog, newest first


@dataclass(frozen=True)
class Fragment:
    field: str  # TEXT, CAPTION, FILE_NAME, CLIENT_NAME, PHONE
    parts: list[Part]


@dataclass(frozen=True)
class Match:
    """A matching document: a message (`message_id`) or the dialog's client (None)."""

    message_id: UUID | None
    seq: int | None
    direction: str | None
    at: datetime
    revoked: bool
    fragments: list[Fragment]


@dataclass(frozen=True)
class Result:
    dialog_id: UUID
    cursor: str
    client_name: str
    phone: str
    channel: str
    matches: list[Match]
    match_count: int


@dataclass(frozen=True)
class SearchPage:
    results: list[Result]
    has_next: bool


def encode_cursor(position: int, dialog_id: UUID) -> str:
    return base64.urlsafe_b64encode(f"{position}:{dialog_id}".encode()).decode()


def decode_cursor(cursor: str | None) -> tuple[int, UUID] | None:
    """Raises ValueError for what is not a cursor of this search."""
    if cursor is None:
        return None
    try:
        position, dialog_id = base64.urlsafe_b64decode(cursor.encode()).decode().split(":")
        return int(position), UUID(dialog_id)
    except (ValueError, binascii.Error, UnicodeError):
        raise ValueError("`after` is not a cursor of this search.") from None


def fts_query(search: Search) -> str:
    """The search as an FTS5 query: every term, each quoted (terms are letters and digits)."""
    return " ".join(f'"{term}"' for term in search.terms)


def _found(conn: sa.Connection, search: Search) -> Any:
    if conn.dialect.name == "postgresql":
        return sa.func.to_tsvector(SIMPLE, documents.c.terms).op("@@")(
            sa.func.plainto_tsquery(SIMPLE, " ".join(search.terms)))
    fts = sa.table("search_fts", sa.column("rowid"))
    return documents.c.doc.in_(sa.select(fts.c.rowid).where(
        sa.text("search_fts MATCH :fts_query").bindparams(fts_query=fts_query(search))))


def _readable(operator_id: UUID, everything: bool) -> list[Any]:
    """What the reader may find: everything, or what their inbox shows them."""
    if everything:
        return []
    return [sa.exists().where(dialog_recipients.c.dialog_id == documents.c.dialog_id,
                              dialog_recipients.c.operator_id == operator_id),
            sa.exists().where(access_members.c.operator_id == operator_id),
            documents.c.revoked.is_(False)]


def search(conn: sa.Connection, query: Search, *, operator_id: UUID, everything: bool,
           first: int, after: tuple[int, UUID] | None = None) -> SearchPage:
    """The dialogs with documents that have every term of the search, newest first, `first`
    after the cursor `after`; each with its newest matching documents (`PER_DIALOG`)."""
    where = [_found(conn, query), documents.c.dialog_id.is_not(None),
             *_readable(operator_id, everything)]
    page = _newest_dialogs(conn, where, first + 1, after[0] if after else None)
    has_next = len(page) > first
    page = page[:first]
    if not page:
        return SearchPage([], False)
    ids = [dialog_id for dialog_id, _ in page]
    found = _documents(conn, where, ids)
    clients = {row.id: row for row in conn.execute(sa.select(documents).where(
        documents.c.id.in_(ids), documents.c.kind == CLIENT))}
    results = []
    for dialog_id, key in page:
        client = clients.get(dialog_id)
        own = found.get(dialog_id, [])
        results.append(Result(
            dialog_id=dialog_id, cursor=encode_cursor(key, dialog_id),
            client_name=client.text if client is not None else "",
            phone=(client.phone or "") if client is not None else "",
            channel=(client.channel or "") if client is not None else "",
            matches=[_match(doc, query) for doc in own],
            match_count=own[0].total if own else 0))
    return SearchPage(results, has_next)


CHUNK = 200  # matching documents read at a time, newest first (doubling while more are needed)


def _newest_dialogs(conn: sa.Connection, where: list[Any], wanted: int,
                    before: int | None) -> list[tuple[UUID, int]]:
    """Up to `wanted` dialogs ranked by their newest matching document, newest first, among
    those whose newest is older than `before`: the matching documents are read newest first
    (by the position index when the words are everywhere, from the GIN index when they are
    rare: the planner weighs which) until that many dialogs have shown, never reading a
    dialog's documents twice."""
    page: list[tuple[UUID, int]] = []
    skip: set[UUID] = set()
    below = before
    size = CHUNK
    while len(page) < wanted:
        query = sa.select(documents.c.dialog_id, documents.c.position).where(*where)
        if below is not None:
            query = query.where(documents.c.position < below)
        if skip:
            query = query.where(documents.c.dialog_id.not_in(sorted(skip, key=str)))
        rows = _newest_first(conn, query, size)
        fresh: dict[UUID, int] = {}
        for row in rows:
            fresh.setdefault(row.dialog_id, row.position)
        if before is not None and fresh:  # shown on an earlier page: newer matches there
            skip.update(shown := set(conn.execute(
                sa.select(documents.c.dialog_id).distinct().where(
                    *where, documents.c.position >= before,
                    documents.c.dialog_id.in_(sorted(fresh, key=str)))).scalars()))
            for dialog_id in shown:
                fresh.pop(dialog_id)
        page += list(fresh.items())
        skip.update(fresh)
        if len(rows) < size:
            break
        below = rows[-1].position + 1
        size *= 2
    return page[:wanted]


# How long the newest-first walk by the position index may take before the search reads
# every match from the GIN index instead (PostgreSQL): the walk is quick when the words are
# everywhere, and slow only when the planner took words that are rare together for common.
WALK_TIMEOUT = "30ms"


def _newest_first(conn: sa.Connection, query: sa.Select[Any], size: int) -> list[Any]:
    """The query's rows newest first, `size` at most."""
    ordered = query.order_by(documents.c.position.desc()).limit(size)
    if conn.dialect.name != "postgresql":
        return list(conn.execute(ordered))
    was = conn.execute(sa.text("SELECT current_setting('statement_timeout')")).scalar_one()
    try:
        with conn.begin_nested():
            conn.execute(sa.text(f"SET LOCAL statement_timeout = '{WALK_TIMEOUT}'"))
            rows = list(conn.execute(ordered))
            conn.execute(sa.text("SELECT set_config('statement_timeout', :was, true)"),
                         {"was": was})
            return rows
    except sa.exc.OperationalError as error:
        if getattr(error.orig, "sqlstate", None) != "57014":  # query_canceled
            raise
    # `position + 0`: not the position index's order, so the matches come from the GIN index
    return list(conn.execute(query.order_by((documents.c.position + 0).desc()).limit(size)))


def _documents(conn: sa.Connection, where: list[Any], ids: list[UUID]
               ) -> dict[UUID, list[sa.Row[Any]]]:
    """Each dialog's newest matching documents (at most `PER_DIALOG`), with how many match."""
    ranked = sa.func.row_number().over(partition_by=documents.c.dialog_id,
                                       order_by=(documents.c.position.desc(), documents.c.id))
    total = sa.func.count().over(partition_by=documents.c.dialog_id)
    inner = (sa.select(documents, messages.c.seq, ranked.label("rank"), total.label("total"))
             .select_from(documents.outerjoin(messages, messages.c.id == documents.c.id))
             .where(*where, documents.c.dialog_id.in_(ids)).subquery())
    found: dict[UUID, list[sa.Row[Any]]] = {}
    for row in conn.execute(sa.select(inner).where(inner.c.rank <= PER_DIALOG)
                            .order_by(inner.c.dialog_id, inner.c.rank)):
        found.setdefault(row.dialog_id, []).append(row)
    return found


def _match(doc: Any, query: Search) -> Match:
    if doc.kind == CLIENT:
        fields = [("CLIENT_NAME", doc.text), ("PHONE", doc.phone or "")]
    else:
        fields = [("TEXT", doc.text), ("CAPTION", doc.caption), ("FILE_NAME", doc.file_name)]
    shown: list[Fragment] = []
    for name, text in fields:
        if not text or (name != "TEXT" and text in doc.text):  # a media summary says it
            continue
        spans = marked_ranges(text, query.terms)
        if spans:
            shown.append(Fragment(name, fragment(text, query.terms, spans=spans)))
    if not shown:  # found by terms spread over several fields: the first that says anything
        name, text = next(((n, t) for n, t in fields if t), fields[0])
        shown.append(Fragment(name, fragment(text, query.terms)))
    return Match(message_id=doc.id if doc.kind != CLIENT else None, seq=doc.seq,
                 direction=doc.direction, at=utc(doc.at), revoked=bool(doc.revoked),
                 fragments=shown)
