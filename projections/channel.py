"""The WhatsApp channel as the admin screen, the operators' banner and the CLI read it: its status
with the current QR code, the messenger settings, the status history, the messages kept while out
of service, and the WhatsApp identities (lids) kept until their phone number is known."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa

from domain.channel import CHANNEL_ID, MAX_QR_CODES, ChannelStatus, HeldMessage, WhatsAppChannel
from domain.clients import UNRESOLVED, Client
from domain.ids import client_id
from projections.base import Changes, Projection, metadata

FEED = "whatsapp"
KEY = "channel"
PREVIEW = 200

whatsapp_channel = sa.Table(
    "whatsapp_channel",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("reason", sa.String(500), nullable=False),
    sa.Column("status_since", sa.DateTime(timezone=True), nullable=False),
    sa.Column("phone", sa.String(32), nullable=False),
    sa.Column("device", sa.String(120), nullable=False),
    sa.Column("linked_at", sa.DateTime(timezone=True)),
    sa.Column("in_service", sa.Boolean, nullable=False),
    sa.Column("employees_may_write_first", sa.Boolean, nullable=False),
    sa.Column("qr_value", sa.Text),
    sa.Column("qr_sequence", sa.Integer, nullable=False),
    sa.Column("qr_expires_at", sa.DateTime(timezone=True)),
    sa.Column("pairing_phone", sa.String(32)),
    sa.Column("pairing_code", sa.String(16)),
    sa.Column("reconnecting", sa.Boolean, nullable=False),
    sa.Column("reconnect_attempt", sa.Integer, nullable=False),
    sa.Column("retry_at", sa.DateTime(timezone=True)),
    sa.Column("held", sa.Integer, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

whatsapp_status_history = sa.Table(
    "whatsapp_status_history",
    metadata,
    sa.Column("position", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("event", sa.String(32), nullable=False),
    sa.Column("reason", sa.String(500), nullable=False),
    sa.Column("actor", sa.String(120), nullable=False),
)

whatsapp_held_messages = sa.Table(
    "whatsapp_held_messages",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("external_id", sa.String(255), nullable=False),
    sa.Column("phone", sa.String(160), nullable=False),
    sa.Column("name", sa.String(120), nullable=False),
    sa.Column("text", sa.String(PREVIEW), nullable=False),
    sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("held_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("released_at", sa.DateTime(timezone=True)),
)

whatsapp_identities = sa.Table(
    "whatsapp_identities",
    metadata,
    sa.Column("client_id", sa.Uuid, primary_key=True),
    sa.Column("identity", sa.String(160), nullable=False, unique=True),
    sa.Column("phone", sa.String(32)),
    sa.Column("merged_at", sa.DateTime(timezone=True)),
)

W = WhatsAppChannel


class ChannelProjection(Projection):
    name = "whatsapp"
    tables = (whatsapp_channel, whatsapp_status_history, whatsapp_held_messages,
              whatsapp_identities)
    events = (
        W.Created, W.LinkingStarted, W.QrCodeIssued, W.PairingCodeIssued, W.Linked,
        W.LinkFailed, W.ConnectionLost, W.ReconnectFailed, W.Reconnected, W.Unlinked,
        W.SettingsUpdated, W.MessageHeld, W.HeldMessagesReleased,
        HeldMessage.Held, HeldMessage.Released, Client.Registered, Client.MergedInto,
    )

    def apply(self, conn: sa.Connection, event: Any, position: int, changes: Changes) -> None:
        at: datetime = event.timestamp
        match event:
            case W.Created():
                conn.execute(whatsapp_channel.insert().values(
                    id=event.originator_id, status=ChannelStatus.STOPPED.value, reason="",
                    status_since=at, phone="", device="", in_service=False,
                    employees_may_write_first=False, qr_sequence=0, reconnecting=False,
                    reconnect_attempt=0, held=0, updated_at=at))
            case W.LinkingStarted():
                self._status(conn, event, position, ChannelStatus.STARTING, event.reason,
                             qr_value=None, qr_sequence=0, qr_expires_at=None,
                             pairing_phone=None, pairing_code=None)
            case W.QrCodeIssued():
                self._status(conn, event, position, ChannelStatus.SCAN_QR_CODE,
                             f"QR code {event.sequence} of {MAX_QR_CODES} is shown: scan it "
                             "with the company's phone.",
                             qr_value=event.value, qr_sequence=event.sequence,
                             qr_expires_at=event.expires_at)
            case W.PairingCodeIssued():
                self._status(conn, event, position, None,
                             f"A pairing code was issued for {event.phone}.",
                             pairing_phone=event.phone, pairing_code=event.code)
            case W.Linked():
                self._status(conn, event, position, ChannelStatus.WORKING,
                             f"Linked as {event.phone} on {event.device}.", phone=event.phone,
                             device=event.device, linked_at=event.timestamp, **_NO_CODES)
            case W.LinkFailed():
                self._status(conn, event, position, ChannelStatus.FAILED, event.reason,
                             **_NO_CODES)
            case W.ConnectionLost():
                self._status(conn, event, position, ChannelStatus.STARTING, event.reason,
                             reconnecting=True, reconnect_attempt=0, retry_at=event.retry_at)
            case W.ReconnectFailed():
                self._status(conn, event, position, None,
                             f"Attempt {event.attempt}: {event.reason}",
                             reconnect_attempt=event.attempt, retry_at=event.retry_at)
            case W.Reconnected():
                self._status(conn, event, position, ChannelStatus.WORKING, event.reason,
                             reconnecting=False, reconnect_attempt=0, retry_at=None)
            case W.Unlinked():
                self._status(conn, event, position, ChannelStatus.STOPPED, event.reason,
                             phone="", device="", linked_at=None, reconnecting=False,
                             reconnect_attempt=0, retry_at=None, **_NO_CODES)
            case W.SettingsUpdated():
                self._update(conn, at, in_service=event.in_service,
                             employees_may_write_first=event.employees_may_write_first)
                self._history(conn, event, position, None,
                              ("In service" if event.in_service else "Out of service")
                              + "; employees "
                              + ("may" if event.employees_may_write_first else "may not")
                              + " write first.")
            case W.MessageHeld():
                self._update(conn, at, held=whatsapp_channel.c.held + 1)
            case W.HeldMessagesReleased():
                self._update(conn, at, held=0)
                self._history(conn, event, position, None,
                              f"{event.count} message(s) kept while out of service were "
                              "delivered to the operators.")
            case HeldMessage.Held():
                conn.execute(whatsapp_held_messages.insert().values(
                    id=event.originator_id, channel=event.channel,
                    external_id=event.external_id, phone=event.phone, name=event.name[:120],
                    text=event.text[:PREVIEW], sent_at=event.sent_at, held_at=at))
            case HeldMessage.Released():
                conn.execute(whatsapp_held_messages.update()
                             .where(whatsapp_held_messages.c.id == event.originator_id)
                             .values(released_at=at))
            case Client.Registered():
                if UNRESOLVED.match(event.phone):
                    conn.execute(whatsapp_identities.insert().values(
                        client_id=event.originator_id, identity=event.phone))
                return
            case Client.MergedInto():
                conn.execute(whatsapp_identities.update()
                             .where(whatsapp_identities.c.client_id == event.originator_id)
                             .values(phone=event.phone, merged_at=at))
                return
        changes.add(FEED, KEY, CHANNEL_ID)

    def _status(self, conn: sa.Connection, event: Any, position: int,
                status: ChannelStatus | None, reason: str, **values: Any) -> None:
        if status is not None:
            values.update(status=status.value, status_since=event.timestamp)
        self._update(conn, event.timestamp, reason=reason[:500], **values)
        self._history(conn, event, position, status, reason)

    @staticmethod
    def _update(conn: sa.Connection, at: datetime, **values: Any) -> None:
        conn.execute(whatsapp_channel.update().where(whatsapp_channel.c.id == CHANNEL_ID)
                     .values(updated_at=at, **values))

    @staticmethod
    def _history(conn: sa.Connection, event: Any, position: int, status: ChannelStatus | None,
                 reason: str) -> None:
        if status is None:
            current = conn.execute(sa.select(whatsapp_channel.c.status)
                                   .where(whatsapp_channel.c.id == CHANNEL_ID)).scalar()
            status_value = str(current or ChannelStatus.STOPPED.value)
        else:
            status_value = status.value
        conn.execute(whatsapp_status_history.insert().values(
            position=position, at=event.timestamp, status=status_value,
            event=type(event).__name__, reason=reason[:500], actor=str(event.actor)[:120]))


_NO_CODES: dict[str, Any] = {"qr_value": None, "qr_sequence": 0, "qr_expires_at": None,
                             "pairing_phone": None, "pairing_code": None}


# -- queries -------------------------------------------------------------------------------
def channel_row(conn: sa.Connection) -> sa.Row[Any] | None:
    return conn.execute(sa.select(whatsapp_channel)
                        .where(whatsapp_channel.c.id == CHANNEL_ID)).first()


def status_history(conn: sa.Connection, *, last: int) -> list[sa.Row[Any]]:
    """The newest `last` entries, newest first."""
    return list(conn.execute(sa.select(whatsapp_status_history)
                             .order_by(whatsapp_status_history.c.position.desc()).limit(last)))


def held_messages(conn: sa.Connection, *, last: int) -> list[sa.Row[Any]]:
    """Messages still kept (not yet delivered), newest first."""
    return list(conn.execute(
        sa.select(whatsapp_held_messages)
        .where(whatsapp_held_messages.c.released_at.is_(None))
        .order_by(whatsapp_held_messages.c.held_at.desc()).limit(last)))


def phone_of_identity(conn: sa.Connection, identity: str) -> str | None:
    """The phone number a WhatsApp identity (a lid) was merged into, if it was."""
    phone: str | None = conn.execute(
        sa.select(whatsapp_identities.c.phone)
        .where(whatsapp_identities.c.identity == identity)).scalar()
    return phone


def last_client_message_at(conn: sa.Connection, phone: str) -> datetime | None:
    """When the client with this number last wrote (the Cloud API's 24-hour window)."""
    from projections.inbox import dialogs, messages

    cid: UUID = client_id(phone)
    value: datetime | None = conn.execute(
        sa.select(sa.func.max(messages.c.sent_at))
        .select_from(messages.join(dialogs, dialogs.c.id == messages.c.dialog_id))
        .where(dialogs.c.client_id == cid, messages.c.direction == "in")).scalar()
    return aware(value)


def aware(value: datetime | None) -> datetime | None:
    """SQLite gives back naive datetimes; every stored time is UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value
