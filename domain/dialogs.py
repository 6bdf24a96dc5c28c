"""Dialogs with clients. One aggregate per dialog episode, so that none grows forever; and one
tiny aggregate per WhatsApp message id, so that a repeated delivery is refused by the store."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from hashlib import blake2b
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate, event

from domain.errors import DomainError, InvalidValue, NotAllowed
from domain.ids import message_id

MAX_TEXT = 4096
MAX_REACTION = 32  # one emoji, however many code points it joins

# The channel names dialogs were recorded with before Telegram came: WhatsApp's gateways. Any
# other channel name is its own messenger ("telegram").
WHATSAPP_GATEWAYS = frozenset({"simulator", "waha", "cloud"})
WHATSAPP = "whatsapp"


def medium_of(channel: str) -> str:
    """The messenger of a channel name: "whatsapp" for WhatsApp's gateways, else the name."""
    return WHATSAPP if channel in WHATSAPP_GATEWAYS else channel


class Status(StrEnum):
    """open (nobody holds it) -> assigned -> resolved; the client's next message reopens it."""

    OPEN = "open"
    ASSIGNED = "assigned"
    RESOLVED = "resolved"


class AlreadyTaken(DomainError):
    """Another operator holds the dialog: the first to claim or reply took it."""

    code = "ALREADY_TAKEN"


class DialogResolved(DomainError):
    code = "DIALOG_RESOLVED"


class Dialog(Aggregate):
    # Defaults for state added after the first release, so that older snapshots still load.
    status = Status.OPEN.value  # type: str
    assignee = None  # type: UUID | None
    accepted = True  # type: bool
    offered_at = None  # type: datetime | None
    answer_within = 0  # type: int
    resolved_at = None  # type: datetime | None
    previous_assignee = None  # type: UUID | None
    candidates = None  # type: list[UUID] | None
    to_queue = True  # type: bool
    # The client's messages of this episode: message id (hex) -> digest of its current text.
    client_texts = None  # type: dict[str, str] | None
    # The client's messages deleted for everyone (ids as hex).
    revoked_messages = None  # type: list[str] | None
    # Reactions shown: message id (hex) -> sender -> emoji.
    reactions = None  # type: dict[str, dict[str, str]] | None
    # The labels on the dialog (ids as hex; domain/labels.py), in the order they were chosen.
    label_ids = None  # type: list[str] | None

    class Opened(Aggregate.Created):
        client_id: UUID
        phone: str
        client_name: str
        channel: str
        recipients: list[UUID]
        rule: str
        actor: str

    class MessageReceived(Aggregate.Event):
        message_id: UUID
        external_id: str
        text: str
        sent_at: datetime
        actor: str

    class ClientMessageEdited(Aggregate.Event):
        """The client changed the text of a message they sent (Telegram's edited messages)."""

        message_id: UUID
        text: str
        edited_at: datetime
        actor: str

    class ClientMessageRevoked(Aggregate.Event):
        """The client deleted one of their messages for everyone (WhatsApp's "delete for
        everyone"). The panel shows it as deleted; its text stays in the store (the message's
        MessageReceived and edits) for the audit."""

        message_id: UUID
        revoked_at: datetime
        actor: str

    class MessageReacted(Aggregate.Event):
        """`sender` reacted with `emoji` to a message of this dialog: a client's (`message_id`
        as received) or one of the company's replies (the outgoing message's id, or a reply
        typed on the phone). An empty emoji takes the sender's reaction back."""

        message_id: UUID
        sender: str
        emoji: str
        at: datetime
        actor: str

    class PhoneReplyRecorded(Aggregate.Event):
        """The company wrote to the client on the linked phone itself, not through Switchboard
        (WAHA's `message.any` with `fromMe`): shown as the company's reply, "from the phone"."""

        message_id: UUID
        external_id: str
        text: str
        sent_at: datetime
        actor: str

    class LabelsSet(Aggregate.Event):
        """An operator (or admin) chose the dialog's labels: the whole list, replacing the
        last one (empty: none)."""

        label_ids: list[UUID]
        actor: str

    class MarkedRead(Aggregate.Event):
        operator_id: UUID
        up_to: int
        actor: str

    class Routed(Aggregate.Event):
        """How the dialog's first message was routed: the rule that matched (None: the queue),
        whether it fell back to the queue, the operators eligible to take it in order."""

        rule_id: UUID | None
        rule_name: str
        fallback: bool
        to_queue: bool
        mode: str
        candidates: list[UUID]
        text: str
        actor: str

    class Assigned(Aggregate.Event):
        """Distribution gave the dialog to an operator (reason: new, waiting, timeout, reopened,
        returned). With `answer_within` > 0 it is an offer that moves on unless answered."""

        operator_id: UUID
        reason: str
        answer_within: int
        at: datetime
        actor: str

    class Claimed(Aggregate.Event):
        """An operator took the dialog (or accepted the offer) by claiming or replying."""

        operator_id: UUID
        at: datetime
        actor: str

    class Transferred(Aggregate.Event):
        from_operator: UUID | None
        to_operator: UUID
        note: str
        at: datetime
        actor: str

    class Unassigned(Aggregate.Event):
        operator_id: UUID
        reason: str
        at: datetime
        actor: str

    class Resolved(Aggregate.Event):
        operator_id: UUID | None
        at: datetime
        actor: str

    class Reopened(Aggregate.Event):
        at: datetime
        actor: str

    @staticmethod
    def create_id() -> UUID:
        return uuid4()

    @event(Opened)
    def __init__(
        self,
        client_id: UUID,
        phone: str,
        client_name: str,
        channel: str,
        recipients: list[UUID],
        rule: str,
        actor: str,
    ) -> None:
        self.client_id = client_id
        self.phone = phone
        self.channel = channel
        self.recipients = list(recipients)
        self.message_count = 0
        self.read_up_to: dict[UUID, int] = {}

    @classmethod
    def open(
        cls,
        *,
        client_id: UUID,
        phone: str,
        client_name: str,
        channel: str,
        recipients: list[UUID],
        rule: str,
        actor: str,
    ) -> Dialog:
        return cls(
            client_id=client_id, phone=phone, client_name=client_name, channel=channel,
            recipients=recipients, rule=rule, actor=actor,
        )

    def receive(
        self, *, message_id: UUID, external_id: str, text: str, sent_at: datetime, actor: str
    ) -> None:
        if len(text) > MAX_TEXT * 16:
            raise InvalidValue("The message is too long to keep.", field="text")
        self._receive(
            message_id=message_id, external_id=external_id, text=text, sent_at=sent_at,
            actor=actor,
        )

    @event(MessageReceived)
    def _receive(
        self, message_id: UUID, external_id: str, text: str, sent_at: datetime, actor: str
    ) -> None:
        self.message_count += 1
        self._remember_text(message_id, text)

    def edit_client_message(
        self, message_id: UUID, text: str, edited_at: datetime, actor: str
    ) -> bool:
        """The client's new text of one of their messages in this dialog. False when the message
        is not one of this dialog's client messages, or its text is unchanged."""
        if not text.strip():
            raise InvalidValue("An edited message needs some text.", field="text")
        if len(text) > MAX_TEXT:
            raise InvalidValue(f"A message is at most {MAX_TEXT} characters.", field="text")
        known = self.client_texts.get(message_id.hex) if self.client_texts else None
        if known is None or known == _digest(text) or self.is_revoked(message_id):
            return False
        self._edit_client_message(message_id=message_id, text=text, edited_at=edited_at,
                                  actor=actor)
        return True

    @event(ClientMessageEdited)
    def _edit_client_message(
        self, message_id: UUID, text: str, edited_at: datetime, actor: str
    ) -> None:
        self._remember_text(message_id, text)

    def is_client_message(self, message_id: UUID) -> bool:
        return bool(self.client_texts) and message_id.hex in (self.client_texts or {})

    def is_revoked(self, message_id: UUID) -> bool:
        return message_id.hex in (self.revoked_messages or ())

    def revoke_client_message(self, message_id: UUID, revoked_at: datetime, actor: str) -> bool:
        """The client deleted their message for everyone. False when it is not one of this
        dialog's client messages, or was deleted already (a repeated report)."""
        if not self.is_client_message(message_id) or self.is_revoked(message_id):
            return False
        self._revoke_client_message(message_id=message_id, revoked_at=revoked_at, actor=actor)
        return True

    @event(ClientMessageRevoked)
    def _revoke_client_message(self, message_id: UUID, revoked_at: datetime, actor: str) -> None:
        if self.revoked_messages is None:  # the class's default (a dialog from before revokes)
            self.revoked_messages = []
        self.revoked_messages.append(message_id.hex)

    def react(self, *, message_id: UUID, sender: str, emoji: str, at: datetime,
              actor: str) -> bool:
        """Shows `sender`'s reaction on a message of this dialog (the caller knows the message
        is this dialog's); an empty emoji removes it. False when nothing changes."""
        emoji = emoji.strip()
        if len(emoji) > MAX_REACTION or any(ch in emoji for ch in "\r\n"):
            raise InvalidValue(f"A reaction is at most {MAX_REACTION} characters on one line.",
                               field="emoji")
        if not sender.strip() or len(sender) > 128:
            raise InvalidValue("A reaction names who reacted.", field="sender")
        shown = (self.reactions or {}).get(message_id.hex, {}).get(sender, "")
        if shown == emoji:
            return False
        self._react(message_id=message_id, sender=sender, emoji=emoji, at=at, actor=actor)
        return True

    @event(MessageReacted)
    def _react(self, message_id: UUID, sender: str, emoji: str, at: datetime,
               actor: str) -> None:
        if self.reactions is None:  # the class's default (a dialog from before reactions)
            self.reactions = {}
        on_message = self.reactions.setdefault(message_id.hex, {})
        if emoji:
            on_message[sender] = emoji
        else:
            on_message.pop(sender, None)
            if not on_message:
                del self.reactions[message_id.hex]

    def record_phone_reply(self, *, message_id: UUID, external_id: str, text: str,
                           sent_at: datetime, actor: str) -> None:
        """A reply the company typed on the linked phone. The caller makes sure it is neither
        one of our own sends reported back nor a repeat (its external id is recorded)."""
        if len(text) > MAX_TEXT * 16:
            raise InvalidValue("The message is too long to keep.", field="text")
        self._record_phone_reply(message_id=message_id, external_id=external_id, text=text,
                                 sent_at=sent_at, actor=actor)

    @event(PhoneReplyRecorded)
    def _record_phone_reply(self, message_id: UUID, external_id: str, text: str,
                            sent_at: datetime, actor: str) -> None:
        pass  # the company's messages do not count as unread, nor can the client edit them

    def _remember_text(self, message_id: UUID, text: str) -> None:
        # Ids as text and texts as digests: a snapshot encodes as JSON and stays small however
        # long the messages are.
        if self.client_texts is None:  # the class's default (a dialog from before edits)
            self.client_texts = {}
        self.client_texts[message_id.hex] = _digest(text)

    def set_labels(self, label_ids: list[UUID], actor: str) -> bool:
        """The dialog's labels from now on (the caller checked they exist). False when they
        are the ones it has."""
        if [i.hex for i in label_ids] == (self.label_ids or []):
            return False
        self._set_labels(label_ids=list(label_ids), actor=actor)
        return True

    @event(LabelsSet)
    def _set_labels(self, label_ids: list[UUID], actor: str) -> None:
        self.label_ids = [i.hex for i in label_ids]

    def may_read(self, operator_id: UUID) -> bool:
        return operator_id in self.recipients

    def mark_read(self, operator_id: UUID, actor: str) -> bool:
        """Marks every message so far as read by the operator; False when nothing was unread."""
        if not self.may_read(operator_id):
            raise NotAllowed("This dialog was not delivered to you.")
        if self.read_up_to.get(operator_id, 0) >= self.message_count:
            return False
        self._mark_read(operator_id=operator_id, up_to=self.message_count, actor=actor)
        return True

    @event(MarkedRead)
    def _mark_read(self, operator_id: UUID, up_to: int, actor: str) -> None:
        self.read_up_to[operator_id] = up_to

    @property
    def read_by_anyone(self) -> int:
        """How many of the client's messages (in the order they came) some operator has read:
        the messenger may show the client these as read."""
        return max(self.read_up_to.values(), default=0)

    # -- routing and the lifecycle -----------------------------------------------------------
    @property
    def resolved(self) -> bool:
        return self.status == Status.RESOLVED

    def may_send(self, operator_id: UUID) -> bool:
        """A recipient may write while nobody else holds the dialog (writing takes it)."""
        return self.may_read(operator_id) and self.assignee in (None, operator_id)

    def offer_lapsed(self, operator_id: UUID, now: datetime) -> bool:
        """Whether `operator_id` holds an unanswered offer whose time is up."""
        return (
            self.assignee == operator_id and not self.accepted and self.offered_at is not None
            and self.answer_within > 0
            and (now - self.offered_at).total_seconds() >= self.answer_within
        )

    def record_route(
        self, *, rule_id: UUID | None, rule_name: str, fallback: bool, to_queue: bool,
        mode: str, candidates: list[UUID], text: str, actor: str,
    ) -> None:
        self._record_route(rule_id=rule_id, rule_name=rule_name, fallback=fallback,
                           to_queue=to_queue, mode=mode, candidates=list(candidates),
                           text=text, actor=actor)

    @event(Routed)
    def _record_route(
        self, rule_id: UUID | None, rule_name: str, fallback: bool, to_queue: bool, mode: str,
        candidates: list[UUID], text: str, actor: str,
    ) -> None:
        self.candidates = list(candidates)
        self.to_queue = to_queue

    def assign(
        self, operator_id: UUID, *, reason: str, answer_within: int, at: datetime, actor: str
    ) -> None:
        if self.resolved:
            raise DialogResolved("This dialog is resolved.")
        if self.assignee == operator_id:
            raise InvalidValue("This operator holds the dialog already.", field="operatorId")
        self._assign(operator_id=operator_id, reason=reason, answer_within=answer_within,
                     at=at, actor=actor)

    @event(Assigned)
    def _assign(
        self, operator_id: UUID, reason: str, answer_within: int, at: datetime, actor: str
    ) -> None:
        self._hold(operator_id)
        self.accepted = answer_within <= 0
        self.offered_at = at
        self.answer_within = answer_within

    def claim(self, operator_id: UUID, at: datetime, actor: str) -> bool:
        """Takes the dialog for `operator_id`, or accepts the offer made to them. Replying is
        claiming. False when they hold it already; AlreadyTaken when someone else does."""
        if not self.may_read(operator_id):
            raise NotAllowed("This dialog was not delivered to you.")
        if self.resolved:
            raise DialogResolved("This dialog is resolved.")
        if self.assignee not in (None, operator_id):
            raise AlreadyTaken("Another operator has taken this dialog.")
        if self.assignee == operator_id and self.accepted:
            return False
        self._claim(operator_id=operator_id, at=at, actor=actor)
        return True

    @event(Claimed)
    def _claim(self, operator_id: UUID, at: datetime, actor: str) -> None:
        self._hold(operator_id)
        self.accepted = True
        self.offered_at = at
        self.answer_within = 0

    def transfer(
        self, *, by: UUID, by_admin: bool, to: UUID, note: str, at: datetime, actor: str
    ) -> None:
        """The holder (or an admin; or any recipient while nobody holds it) hands it over."""
        if self.resolved:
            raise DialogResolved("This dialog is resolved.")
        self._ensure_may_act(by, by_admin)
        if to == self.assignee:
            raise InvalidValue("This operator holds the dialog already.", field="operatorId")
        if len(note) > 500:
            raise InvalidValue("A transfer note is at most 500 characters.", field="note")
        self._transfer(from_operator=self.assignee, to_operator=to, note=note.strip(), at=at,
                       actor=actor)

    @event(Transferred)
    def _transfer(
        self, from_operator: UUID | None, to_operator: UUID, note: str, at: datetime, actor: str
    ) -> None:
        self._hold(to_operator)
        self.accepted = True
        self.offered_at = at
        self.answer_within = 0

    def unassign(self, reason: str, at: datetime, actor: str) -> UUID | None:
        """Lets go of the holder (who left the access group, or whose offer found no
        successor); returns who held it."""
        holder = self.assignee
        if holder is not None:
            self._unassign(operator_id=holder, reason=reason, at=at, actor=actor)
        return holder

    @event(Unassigned)
    def _unassign(self, operator_id: UUID, reason: str, at: datetime, actor: str) -> None:
        self.previous_assignee = operator_id
        self.assignee = None
        self.accepted = True
        self.answer_within = 0
        self.status = Status.OPEN.value

    def resolve(self, *, by: UUID, by_admin: bool, at: datetime, actor: str) -> UUID | None:
        """Resolves the dialog; returns who held it."""
        if self.resolved:
            raise DialogResolved("This dialog is resolved already.")
        self._ensure_may_act(by, by_admin)
        holder = self.assignee
        self._resolve(operator_id=holder, at=at, actor=actor)
        return holder

    @event(Resolved)
    def _resolve(self, operator_id: UUID | None, at: datetime, actor: str) -> None:
        self.previous_assignee = operator_id
        self.assignee = None
        self.accepted = True
        self.answer_within = 0
        self.resolved_at = at
        self.status = Status.RESOLVED.value

    def reopens_at(self, at: datetime, window_hours: int) -> bool:
        """Whether a client's message at `at` reopens this resolved dialog (else a new episode
        begins)."""
        return (self.resolved and self.resolved_at is not None and window_hours > 0
                and (at - self.resolved_at).total_seconds() < window_hours * 3600)

    def reopen(self, at: datetime, actor: str) -> None:
        if not self.resolved:
            raise InvalidValue("Only a resolved dialog reopens.")
        self._reopen(at=at, actor=actor)

    @event(Reopened)
    def _reopen(self, at: datetime, actor: str) -> None:
        self.status = Status.OPEN.value
        self.resolved_at = None

    def _hold(self, operator_id: UUID) -> None:
        self.previous_assignee = self.assignee
        self.assignee = operator_id
        self.status = Status.ASSIGNED.value
        if operator_id not in self.recipients:
            self.recipients.append(operator_id)

    def _ensure_may_act(self, operator_id: UUID, is_admin: bool) -> None:
        if is_admin or self.assignee == operator_id:
            return
        if self.assignee is None and self.may_read(operator_id):
            return
        if self.assignee is not None and self.may_read(operator_id):
            raise AlreadyTaken("Another operator has taken this dialog.")
        raise NotAllowed("This dialog was not delivered to you.")


def _digest(text: str) -> str:
    return blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


class ExternalMessage(Aggregate):
    """Exists once per gateway message id: a second delivery collides with it in the store."""

    class Recorded(Aggregate.Created):
        channel: str
        external_id: str
        dialog_id: UUID
        actor: str

    @staticmethod
    def create_id(channel: str, external_id: str) -> UUID:
        return message_id(channel, external_id)

    @event(Recorded)
    def __init__(self, channel: str, external_id: str, dialog_id: UUID, actor: str) -> None:
        self.dialog_id = dialog_id
