"""The operators' inbox: dialogs, whom each was delivered to with unread counts, and messages."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

import sqlalchemy as sa

from domain.calls import CallBack
from domain.clients import Client
from domain.dialogs import WHATSAPP_GATEWAYS, Dialog
from domain.outbox import OutgoingMessage
from projections.base import BatchProjection, Changes, metadata
from projections.operators import operators
from projections.routing import access_members
from projections.rows import CHUNK, RowSet, sorted_ids

PREVIEW = 200

dialogs = sa.Table(
    "dialogs",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("client_id", sa.Uuid, nullable=False, index=True),
    sa.Column("phone", sa.String(160), nullable=False),  # or bsuid:/tg: identity
    sa.Column("client_name", sa.String(120), nullable=False),
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("rule", sa.String(120), nullable=False),
    sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_message_at", sa.DateTime(timezone=True)),
    sa.Column("last_message_text", sa.String(PREVIEW)),
    sa.Column("last_direction", sa.String(8)),
    sa.Column("message_count", sa.Integer, nullable=False),
    sa.Column("position", sa.BigInteger, nullable=False),
    # routing (migration 0003): open -> assigned -> resolved, who holds it, an unanswered offer
    sa.Column("status", sa.String(16), nullable=False, server_default="open"),
    sa.Column("assignee_id", sa.Uuid, index=True),
    sa.Column("assigned_at", sa.DateTime(timezone=True)),
    sa.Column("accepted", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("offer_expires_at", sa.DateTime(timezone=True), index=True),
    sa.Column("resolved_at", sa.DateTime(timezone=True)),
    # outgoing messages (migration 0005): they share the dialog's `seq` with incoming ones
    sa.Column("outgoing_count", sa.Integer, nullable=False, server_default="0"),
    # call back (migration 0014_call_back): calls take the dialog's seq too
    sa.Column("call_count", sa.Integer, nullable=False, server_default="0"),
)

dialog_recipients = sa.Table(
    "dialog_recipients",
    metadata,
    sa.Column("dialog_id", sa.Uuid, primary_key=True),
    sa.Column("operator_id", sa.Uuid, primary_key=True),
    sa.Column("read_up_to", sa.Integer, nullable=False),
    sa.Column("unread", sa.Integer, nullable=False),
    sa.Column("position", sa.BigInteger, nullable=False),
    sa.Index("ix_dialog_recipients_inbox", "operator_id", "position"),
)

messages = sa.Table(
    "messages",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("dialog_id", sa.Uuid, nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("direction", sa.String(8), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("external_id", sa.String(255)),
    sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    # outgoing messages (migration 0005): who wrote it, its delivery status and why it failed
    sa.Column("operator_id", sa.Uuid),
    sa.Column("status", sa.String(16)),
    sa.Column("attempts", sa.Integer),
    sa.Column("next_attempt_at", sa.DateTime(timezone=True)),
    sa.Column("failure_code", sa.String(64)),
    sa.Column("failure_reason", sa.String(500)),
    # the client's edits (migration 0010): when the text last changed; null while never edited
    sa.Column("edited_at", sa.DateTime(timezone=True)),
    # conversation events (migration 0012): a reply typed on the linked phone, a client's message
    # deleted for everyone (its text stays), the reactions shown (JSON: sender -> emoji)
    sa.Column("from_phone", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("revoked_at", sa.DateTime(timezone=True)),
    sa.Column("reactions", sa.Text),
    # call back (migration 0014_call_back): a call's entry in the timeline (direction "out",
    # text ""): ringing -> answered | no_answer | busy | failed, with a reason code and the
    # PBX's words; the operator's extension and the client's number called
    sa.Column("call_status", sa.String(16)),
    sa.Column("call_reason", sa.String(32)),
    sa.Column("call_detail", sa.String(200)),
    sa.Column("call_extension", sa.String(16)),
    sa.Column("call_number", sa.String(32)),
    sa.Column("call_finished_at", sa.DateTime(timezone=True)),
    sa.Index("ix_messages_dialog_seq", "dialog_id", "seq", unique=True),
)


# Outgoing messages show in the dialog's messages, direction "out", with their status.
OUTGOING_EVENTS = (OutgoingMessage.Queued, OutgoingMessage.Claimed, OutgoingMessage.Sent,
                   OutgoingMessage.AttemptFailed, OutgoingMessage.Failed,
                   OutgoingMessage.StatusReported, OutgoingMessage.Retried)


class InboxProjection(BatchProjection):
    """Folds a batch in memory: the dialogs, recipients and messages it touches are read in one
    query each, changed event by event, and written back in one upsert each."""

    name = "inbox"
    tables = (dialogs, dialog_recipients, messages)
    events = (Dialog.Opened, Dialog.MessageReceived, Dialog.MarkedRead, Client.Renamed,
              Dialog.Assigned, Dialog.Claimed, Dialog.Transferred, Dialog.Unassigned,
              Dialog.Resolved, Dialog.Reopened, Client.MergedInto, Dialog.ClientMessageEdited,
              Dialog.ClientMessageRevoked, Dialog.MessageReacted, Dialog.PhoneReplyRecorded,
              *OUTGOING_EVENTS, CallBack.Requested, CallBack.Finished)

    def apply_batch(
        self, conn: sa.Connection, events: Sequence[tuple[int, Any]], changes: Changes
    ) -> None:
        if events:
            _Fold(conn, changes).apply(events)


DIALOG_DEFAULTS = {"status": "open", "accepted": True, "outgoing_count": 0, "call_count": 0}
LIFECYCLE = (Dialog.Assigned, Dialog.Claimed, Dialog.Transferred, Dialog.Unassigned,
             Dialog.Resolved, Dialog.Reopened)


class _Fold:
    """One run of events applied to the rows it touches, in memory, then written back."""

    def __init__(self, conn: sa.Connection, changes: Changes) -> None:
        self.conn = conn
        self.changes = changes
        self.dialogs = RowSet(dialogs, DIALOG_DEFAULTS)
        self.recipients = RowSet(dialog_recipients)
        self.messages = RowSet(messages, {"from_phone": False})
        self.operators: dict[UUID, list[UUID]] = {}  # each dialog's recipients
        self.touched: set[UUID] = set()

    def apply(self, events: Sequence[tuple[int, Any]]) -> None:
        self._load(events)
        for position, event in events:
            self._apply(event, position)
        self.dialogs.flush(self.conn)
        self.recipients.flush(self.conn)
        self.messages.flush(self.conn)
        for dialog_id in self.touched:
            for operator_id in self.operators.get(dialog_id, ()):
                self.changes.add("inbox", operator_id, dialog_id)

    def _load(self, events: Sequence[tuple[int, Any]]) -> None:
        """The dialogs the batch names (every dialog of a client it renames or merges), all
        their recipients, the replies it reports on and the client's messages it edits."""
        ids: set[UUID] = set()
        replies: set[UUID] = set()
        clients: set[UUID] = set()
        for _, event in events:
            if isinstance(event, Client.Renamed | Client.MergedInto):
                clients.add(event.originator_id)
            elif isinstance(event, OutgoingMessage.Queued | CallBack.Requested):
                ids.add(event.dialog_id)
            elif isinstance(event, (*OUTGOING_EVENTS, CallBack.Finished)):
                replies.add(event.originator_id)
            elif isinstance(event, Dialog.ClientMessageEdited | Dialog.ClientMessageRevoked
                            | Dialog.MessageReacted):
                ids.add(event.originator_id)
                replies.add(event.message_id)
            elif not isinstance(event, Dialog.Opened):
                ids.add(event.originator_id)
        if clients:
            ids.update(self.conn.execute(sa.select(dialogs.c.id).where(
                dialogs.c.client_id.in_(clients))).scalars())
        self.dialogs.load(self.conn, [(i,) for i in ids])
        found = sorted_ids(i for (i,) in self.dialogs.rows)
        for chunk in (found[i:i + CHUNK] for i in range(0, len(found), CHUNK)):
            for row in self.conn.execute(sa.select(dialog_recipients)
                                         .where(dialog_recipients.c.dialog_id.in_(chunk))):
                self.recipients.rows[(row.dialog_id, row.operator_id)] = dict(row._mapping)
                self.operators.setdefault(row.dialog_id, []).append(row.operator_id)
        self.messages.load(self.conn, [(i,) for i in replies])

    def _recipient(self, dialog_id: UUID, operator_id: UUID, **values: Any) -> None:
        self.recipients.new((dialog_id, operator_id), **values)
        self.operators.setdefault(dialog_id, []).append(operator_id)

    def _last_message(self, dialog: dict[str, Any], position: int, at: Any, text: str,
                      direction: str) -> None:
        dialog.update(last_message_at=at, last_message_text=text[:PREVIEW],
                      last_direction=direction, position=position)

    def _apply(self, event: Any, position: int) -> None:
        match event:
            case Dialog.Opened():
                dialog_id = event.originator_id
                self.dialogs.new((dialog_id,), client_id=event.client_id, phone=event.phone,
                                 client_name=event.client_name, channel=event.channel,
                                 rule=event.rule, opened_at=event.timestamp, message_count=0,
                                 position=position)
                self.operators[dialog_id] = []
                for operator_id in event.recipients:
                    self._recipient(dialog_id, operator_id, read_up_to=0, unread=0,
                                    position=position)
                self.touched.add(dialog_id)
            case Dialog.MessageReceived():
                dialog_id = event.originator_id
                dialog = self._dialog(dialog_id)
                count = dialog["message_count"] = dialog["message_count"] + 1
                self.messages.new(
                    (event.message_id,), dialog_id=dialog_id,
                    seq=_seq(dialog), direction="in", text=event.text,
                    external_id=event.external_id, sent_at=event.sent_at,
                    recorded_at=event.timestamp)
                self._last_message(dialog, position, event.sent_at, event.text, "in")
                for operator_id in self.operators.get(dialog_id, ()):
                    row = self.recipients.rows[(dialog_id, operator_id)]
                    row.update(unread=count - row["read_up_to"], position=position)
                    self.recipients.mark((dialog_id, operator_id))
                self.touched.add(dialog_id)
            case Dialog.ClientMessageEdited():
                self._edited(event)
            case Dialog.ClientMessageRevoked():
                self._revoked(event)
            case Dialog.MessageReacted():
                self._reacted(event)
            case Dialog.PhoneReplyRecorded():
                self._phone_reply(event, position)
            case Dialog.MarkedRead():
                opened = self.dialogs.get((event.originator_id,))
                count = opened["message_count"] if opened else 0
                self.recipients.change((event.originator_id, event.operator_id),
                                       read_up_to=event.up_to,
                                       unread=max(count - event.up_to, 0))
                self.changes.add("inbox", event.operator_id, event.originator_id)
            case Client.Renamed():
                self._client_changed(event.originator_id, {"client_name": event.name})
            case Client.MergedInto():  # a WhatsApp lid turned out to be this number
                self._client_changed(event.originator_id, {"client_id": event.into_client_id,
                                                           "phone": event.phone})
            case _ if isinstance(event, LIFECYCLE):
                self._lifecycle(event)
                self.touched.add(event.originator_id)
            case OutgoingMessage.Queued():
                self._queue_outgoing(event, position)
                self.touched.add(event.dialog_id)
                self.changes.add("outbox", event.dialog_id, event.originator_id)
            case CallBack.Requested():
                self._call_requested(event)
            case CallBack.Finished():
                call = self.messages.change((event.originator_id,), call_status=event.outcome,
                                            call_reason=event.reason or None,
                                            call_detail=event.detail or None,
                                            call_finished_at=event.at)
                if call is not None:
                    self.touched.add(call["dialog_id"])
                    self.changes.add("outbox", call["dialog_id"], event.originator_id)
            case _ if isinstance(event, OUTGOING_EVENTS):
                reply = self.messages.change((event.originator_id,), **_status(event))
                if reply is not None:
                    self.changes.add("outbox", reply["dialog_id"], event.originator_id)

    def _edited(self, event: Any) -> None:
        """The client's message shows its new text; so does the dialog's preview when it is
        the last message. The dialog keeps its place: an edit is not a new message."""
        dialog_id = event.originator_id
        message = self.messages.change((event.message_id,), text=event.text,
                                       edited_at=event.edited_at)
        if message is None:
            return
        dialog = self.dialogs.get((dialog_id,))
        if dialog is not None and message["seq"] == _seq(dialog):
            dialog["last_message_text"] = event.text[:PREVIEW]
            self.dialogs.mark((dialog_id,))
        self.touched.add(dialog_id)

    def _revoked(self, event: Any) -> None:
        """The client's message shows as deleted; its text stays in the row for auditors. The
        dialog's preview, when it is that message, no longer shows the text."""
        dialog_id = event.originator_id
        message = self.messages.change((event.message_id,), revoked_at=event.revoked_at)
        if message is None:
            return
        dialog = self.dialogs.get((dialog_id,))
        if dialog is not None and message["seq"] == _seq(dialog):
            dialog["last_message_text"] = ""
            self.dialogs.mark((dialog_id,))
        self.touched.add(dialog_id)
        self.changes.add("outbox", dialog_id, event.message_id)  # an open dialog fetches again

    def _reacted(self, event: Any) -> None:
        """The message shows the sender's reaction (or no longer does, for an empty one)."""
        message = self.messages.get((event.message_id,))
        if message is None:
            return
        shown = reactions_of(message.get("reactions"))
        if event.emoji:
            shown[event.sender] = event.emoji
        else:
            shown.pop(event.sender, None)
        self.messages.change((event.message_id,), reactions=json.dumps(
            dict(sorted(shown.items())), ensure_ascii=False) if shown else None)
        self.touched.add(event.originator_id)
        self.changes.add("outbox", event.originator_id, event.message_id)

    def _phone_reply(self, event: Any, position: int) -> None:
        """A reply typed on the linked phone takes the dialog's next seq, as a reply does: sent
        already, by nobody here."""
        dialog_id = event.originator_id
        dialog = self._dialog(dialog_id)
        dialog["outgoing_count"] += 1
        self.messages.new(
            (event.message_id,), dialog_id=dialog_id,
            seq=_seq(dialog), direction="out",
            text=event.text, external_id=event.external_id, sent_at=event.sent_at,
            recorded_at=event.timestamp, status="sent", attempts=0, from_phone=True)
        self._last_message(dialog, position, event.sent_at, event.text, "out")
        for operator_id in self.operators.get(dialog_id, ()):
            self.recipients.change((dialog_id, operator_id), position=position)
        self.touched.add(dialog_id)
        self.changes.add("outbox", dialog_id, event.message_id)

    def _call_requested(self, event: Any) -> None:
        """A call back takes the dialog's next seq, as an entry of the timeline; it is not a
        message: the dialog keeps its preview and its place in the inbox."""
        dialog_id = event.dialog_id
        dialog = self._dialog(dialog_id)
        dialog["call_count"] = (dialog.get("call_count") or 0) + 1
        self.messages.new(
            (event.originator_id,), dialog_id=dialog_id, seq=_seq(dialog), direction="out",
            text="", sent_at=event.at, recorded_at=event.timestamp,
            operator_id=event.operator_id, call_status="ringing",
            call_extension=event.extension, call_number=event.number)
        self.touched.add(dialog_id)
        self.changes.add("outbox", dialog_id, event.originator_id)

    def _client_changed(self, client_id: UUID, values: dict[str, Any]) -> None:
        """Every dialog of the client shows its new name, or the number it turned out to be."""
        for (dialog_id,), dialog in self.dialogs.rows.items():
            if dialog["client_id"] == client_id:
                dialog.update(values)
                self.dialogs.mark((dialog_id,))
                self.touched.add(dialog_id)

    def _dialog(self, dialog_id: UUID) -> dict[str, Any]:
        dialog = self.dialogs.get((dialog_id,))
        if dialog is None:
            raise LookupError(f"dialog {dialog_id} has no Opened event before this one")
        self.dialogs.mark((dialog_id,))
        return dialog

    def _lifecycle(self, event: Any) -> None:
        """Routing's changes to a dialog: who holds it, its status, an offer's deadline."""
        dialog_id = event.originator_id
        dialog = self.dialogs.get((dialog_id,))
        if dialog is None:  # nothing to change
            return
        self.dialogs.mark((dialog_id,))
        match event:
            case Dialog.Assigned() | Dialog.Claimed() | Dialog.Transferred():
                holder = event.to_operator if isinstance(event, Dialog.Transferred) \
                    else event.operator_id
                within = getattr(event, "answer_within", 0)
                dialog.update(
                    status="assigned", assignee_id=holder, assigned_at=event.at,
                    accepted=within <= 0,
                    offer_expires_at=event.at + timedelta(seconds=within) if within > 0
                    else None)
                # An operator a dialog is assigned or transferred to sees it from then on.
                if (dialog_id, holder) not in self.recipients.rows:
                    self._recipient(dialog_id, holder, read_up_to=0,
                                    unread=dialog["message_count"], position=dialog["position"])
            case Dialog.Unassigned():
                dialog.update(status="open", assignee_id=None, assigned_at=None, accepted=True,
                              offer_expires_at=None)
            case Dialog.Resolved():
                dialog.update(status="resolved", assignee_id=None, assigned_at=None,
                              accepted=True, offer_expires_at=None, resolved_at=event.at)
            case Dialog.Reopened():
                dialog.update(status="open", resolved_at=None)

    def _queue_outgoing(self, event: Any, position: int) -> None:
        """A reply takes the dialog's next seq and becomes its last message."""
        dialog_id = event.dialog_id
        dialog = self._dialog(dialog_id)
        dialog["outgoing_count"] += 1
        self.messages.new(
            (event.originator_id,), dialog_id=dialog_id,
            seq=_seq(dialog), direction="out",
            text=event.text, sent_at=event.at, recorded_at=event.timestamp,
            operator_id=event.operator_id, status="queued", attempts=0)
        self._last_message(dialog, position, event.at, event.text, "out")
        for operator_id in self.operators.get(dialog_id, ()):
            self.recipients.change((dialog_id, operator_id), position=position)


def _seq(dialog: dict[str, Any]) -> int:
    """The seq of the dialog's latest entry: the client's messages, replies and calls."""
    return int(dialog["message_count"] + dialog["outgoing_count"]
               + (dialog.get("call_count") or 0))


def _status(event: Any) -> dict[str, Any]:
    """A reply's delivery status as the operators see it."""
    match event:
        case OutgoingMessage.Claimed():
            return {"status": "sending", "attempts": event.attempt, "next_attempt_at": None}
        case OutgoingMessage.Sent():
            return {"status": "sent", "external_id": event.external_id,
                    "failure_code": None, "failure_reason": None}
        case OutgoingMessage.AttemptFailed():
            return {"status": "queued", "next_attempt_at": event.retry_at,
                    "failure_code": event.code, "failure_reason": event.reason}
        case OutgoingMessage.Failed():
            return {"status": "failed", "next_attempt_at": None,
                    "failure_code": event.code, "failure_reason": event.reason}
        case OutgoingMessage.StatusReported():
            if event.status == "failed":
                return {"status": "failed", "failure_code": event.error_code or None,
                        "failure_reason": event.error or None}
            return {"status": event.status, "failure_code": None, "failure_reason": None}
        case OutgoingMessage.Retried():
            values = {"status": "queued", "attempts": 0, "next_attempt_at": None,
                      "failure_code": None, "failure_reason": None}
            if event.new_round:
                values["external_id"] = None
            return values
    raise TypeError(f"not a delivery status: {type(event).__name__}")


def reactions_of(stored: str | None) -> dict[str, str]:
    """The reactions a message row shows: sender -> emoji."""
    return dict(json.loads(stored)) if stored else {}


# -- queries -------------------------------------------------------------------------------
@dataclass(frozen=True)
class InboxPage:
    rows: list[sa.Row[Any]]
    has_next: bool


# Unread that counts: in the dialogs nobody holds and those the recipient holds. A dialog a
# colleague holds is theirs to answer: it is not in the "unread" view nor in the count of unread
# dialogs (the entry keeps its own `unread`, so that whoever opens it still reads it).
_MY_UNREAD = sa.case(
    (sa.or_(dialogs.c.assignee_id.is_(None),
            dialogs.c.assignee_id == dialog_recipients.c.operator_id),
     dialog_recipients.c.unread), else_=0)


_AUTHOR = operators.alias("author")


def _last_reply(column: Any) -> Any:
    """`column` of the dialog's latest reply (a call back is not one): its author's operator id
    or display name; null for a reply typed on the company's phone."""
    source = messages.outerjoin(_AUTHOR, _AUTHOR.c.id == messages.c.operator_id)
    return (sa.select(column).select_from(source)
            .where(messages.c.dialog_id == dialogs.c.id, messages.c.direction == "out",
                   messages.c.call_status.is_(None))
            .order_by(messages.c.seq.desc()).limit(1).correlate(dialogs).scalar_subquery())


_ENTRY = (
    dialogs.c.id, dialogs.c.client_id, dialogs.c.phone, dialogs.c.client_name, dialogs.c.channel,
    dialogs.c.opened_at, dialogs.c.last_message_at, dialogs.c.last_message_text,
    dialogs.c.last_direction, dialogs.c.message_count, dialogs.c.outgoing_count,
    dialog_recipients.c.unread,
    _last_reply(messages.c.operator_id).label("last_author_id"),
    _last_reply(_AUTHOR.c.display_name).label("last_author_name"),
    dialog_recipients.c.position, dialogs.c.status, dialogs.c.assignee_id,
    dialogs.c.assigned_at, dialogs.c.accepted, dialogs.c.offer_expires_at,
    operators.c.display_name.label("assignee_name"),
)


def _in_access_group(operator_id: UUID) -> Any:
    """Only access-group members see dialogs, whatever else is set."""
    return sa.exists().where(access_members.c.operator_id == operator_id)


def _entries(operator_id: UUID) -> sa.Select[Any]:
    return (
        sa.select(*_ENTRY)
        .select_from(dialog_recipients.join(dialogs, dialogs.c.id == dialog_recipients.c.dialog_id)
                     .outerjoin(operators, operators.c.id == dialogs.c.assignee_id))
        .where(dialog_recipients.c.operator_id == operator_id, _in_access_group(operator_id))
    )


VIEWS = ("all", "unread", "mine", "unassigned", "unanswered", "resolved")


def _view(query: sa.Select[Any], operator_id: UUID, view: str,
          unread: sa.ColumnElement[Any] = _MY_UNREAD) -> sa.Select[Any]:
    """unread: `unread` above zero (the viewer's own count); mine: held by me; unassigned: held
    by nobody, not resolved; unanswered: the client wrote last, not resolved; resolved."""
    match view:
        case "unread":
            return query.where(unread > 0)
        case "mine":
            return query.where(dialogs.c.assignee_id == operator_id)
        case "unassigned":
            return query.where(dialogs.c.assignee_id.is_(None), dialogs.c.status != "resolved")
        case "unanswered":
            return query.where(dialogs.c.last_direction == "in", dialogs.c.status != "resolved")
        case "resolved":
            return query.where(dialogs.c.status == "resolved")
    return query


def _medium(query: sa.Select[Any], medium: str | None) -> sa.Select[Any]:
    """Only the dialogs of one messenger: "whatsapp" is any of WhatsApp's gateways, any other
    medium is the channel name itself; None: every messenger."""
    if medium is None:
        return query
    names = sorted(WHATSAPP_GATEWAYS) if medium == "whatsapp" else [medium]
    return query.where(dialogs.c.channel.in_(names))


def inbox_page(
    conn: sa.Connection, operator_id: UUID, *, first: int, before_position: int | None,
    unread_only: bool, view: str = "all", medium: str | None = None,
    label: UUID | None = None,
) -> InboxPage:
    """`label`: only the dialogs with this label (projections/labels.py)."""
    query = _entries(operator_id)
    if label is not None:
        from projections.labels import labelled  # labels read the inbox's recipients

        query = query.where(labelled(dialogs.c.id, label))
    if before_position is not None:
        query = query.where(dialog_recipients.c.position < before_position)
    if unread_only:
        query = query.where(_MY_UNREAD > 0)
    query = _medium(_view(query, operator_id, view), medium)
    rows = list(conn.execute(query.order_by(dialog_recipients.c.position.desc()).limit(first + 1)))
    return InboxPage(rows=rows[:first], has_next=len(rows) > first)


def inbox_entry(conn: sa.Connection, operator_id: UUID, dialog_id: UUID,
                medium: str | None = None) -> sa.Row[Any] | None:
    """The dialog as it stands in the operator's inbox; None when it is not theirs (or not
    of `medium`)."""
    return conn.execute(_medium(_entries(operator_id), medium)
                        .where(dialogs.c.id == dialog_id)).first()


def unread_dialogs(conn: sa.Connection, operator_id: UUID) -> int:
    return int(conn.execute(
        sa.select(sa.func.count()).select_from(
            dialog_recipients.join(dialogs, dialogs.c.id == dialog_recipients.c.dialog_id)).where(
            dialog_recipients.c.operator_id == operator_id, _MY_UNREAD > 0,
            _in_access_group(operator_id))
    ).scalar_one())


def lapsed_offers(conn: sa.Connection, now: Any, limit: int = 500) -> list[tuple[UUID, UUID]]:
    """(dialog, operator) for each unanswered offer whose time is up, oldest first."""
    return [(row.id, row.assignee_id) for row in conn.execute(
        sa.select(dialogs.c.id, dialogs.c.assignee_id).where(
            dialogs.c.offer_expires_at <= now, dialogs.c.accepted.is_(False),
            dialogs.c.assignee_id.is_not(None))
        .order_by(dialogs.c.offer_expires_at).limit(limit))]


def dialog_messages(
    conn: sa.Connection, dialog_id: UUID, *, last: int, before_seq: int | None
) -> list[sa.Row[Any]]:
    """The dialog's messages, each with its media (kind, caption, file…) when it has one."""
    from projections.media import MEDIA_COLUMNS, media  # media shows in the inbox's messages

    query = (sa.select(messages, *MEDIA_COLUMNS)
             .select_from(messages.outerjoin(media, media.c.message_id == messages.c.id))
             .where(messages.c.dialog_id == dialog_id))
    if before_seq is not None:
        query = query.where(messages.c.seq < before_seq)
    rows = list(conn.execute(query.order_by(messages.c.seq.desc()).limit(last)))
    rows.reverse()
    return rows


def client_message_ids(conn: sa.Connection, dialog_id: UUID, *, after: int, up_to: int
                       ) -> list[str | None]:
    """The gateway's ids of the client's messages `after`+1 to `up_to` of the dialog, counted
    in the order they came (fewer while the read model has not caught up with them)."""
    if up_to <= after:
        return []
    query = (sa.select(messages.c.external_id)
             .where(messages.c.dialog_id == dialog_id, messages.c.direction == "in")
             .order_by(messages.c.seq).offset(max(after, 0)).limit(up_to - max(after, 0)))
    return [row.external_id for row in conn.execute(query)]


def dialog_address(conn: sa.Connection, dialog_id: UUID) -> sa.Row[Any] | None:
    """Where the dialog's client is reached: its `channel` and `phone` (a merged identity's
    number once known), and its `message_count` of the client's messages."""
    query: sa.Select[Any] = sa.select(dialogs.c.channel, dialogs.c.phone,
                                      dialogs.c.message_count).where(dialogs.c.id == dialog_id)
    return conn.execute(query).first()
