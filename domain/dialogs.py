"""Dialogs with clients. One aggregate per dialog episode, so that none grows forever; and one
tiny aggregate per WhatsApp message id, so that a repeated delivery is refused by the store."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidValue, NotAllowed
from domain.ids import message_id

MAX_TEXT = 4096


class Dialog(Aggregate):
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

    class MarkedRead(Aggregate.Event):
        operator_id: UUID
        up_to: int
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
