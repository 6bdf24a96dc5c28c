"""The company's WhatsApp channel: one aggregate whose status follows the linked-device lifecycle
(STOPPED → STARTING → SCAN_QR_CODE → WORKING, or FAILED), the messenger settings, and the
messages kept while WhatsApp is out of service.

Every change of status is an event with its reason, so disconnects are visible and audited. The
aggregate decides with the times it is given (an injectable clock in the application), never with
the wall clock, so the QR lifecycle can be driven second by second in tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidValue, NotAllowed
from domain.failures import one_line, retry_delay
from domain.ids import natural_id

CHANNEL_ID = natural_id("whatsapp-channel", "default")
FIRST_QR_LIFETIME = timedelta(seconds=60)
NEXT_QR_LIFETIME = timedelta(seconds=20)
MAX_QR_CODES = 6
STARTING_TIMEOUT = timedelta(seconds=60)
RECONNECT_FIRST_DELAY = timedelta(seconds=2)
RECONNECT_MAX_DELAY = timedelta(minutes=5)
MAX_QR_VALUE = 2048


class ChannelStatus(StrEnum):
    STOPPED = "STOPPED"
    STARTING = "STARTING"
    SCAN_QR_CODE = "SCAN_QR_CODE"
    WORKING = "WORKING"
    FAILED = "FAILED"


LINKING = (ChannelStatus.STARTING, ChannelStatus.SCAN_QR_CODE)


class LinkMethod(StrEnum):
    QR = "qr"
    PAIRING_CODE = "pairing_code"


# -- errors, with codes the panel translates ---------------------------------------------------
class AlreadyLinked(NotAllowed):
    code = "ALREADY_LINKED"


class NotLinked(NotAllowed):
    code = "NOT_LINKED"


class NotLinking(NotAllowed):
    code = "NOT_LINKING"


class ChannelNotReady(NotAllowed):
    code = "CHANNEL_NOT_READY"


class EmployeesMayNotWriteFirst(NotAllowed):
    code = "EMPLOYEES_MAY_NOT_WRITE_FIRST"


# -- pure rules ------------------------------------------------------------------------------
def qr_lifetime(sequence: int) -> timedelta:
    """The first code of a series lives 60 s, each next one 20 s (as WhatsApp's own)."""
    return FIRST_QR_LIFETIME if sequence <= 1 else NEXT_QR_LIFETIME


def reconnect_delay(attempt: int) -> timedelta:
    """2 s, 4 s, 8 s, … at most 5 minutes between attempts to reconnect."""
    return retry_delay(attempt, RECONNECT_FIRST_DELAY, RECONNECT_MAX_DELAY)


class Due(StrEnum):
    """What the channel needs from the gateway next (answered by `WhatsAppChannel.check`)."""

    NOTHING = "nothing"
    QR_CODE = "qr_code"
    RECONNECT = "reconnect"


@dataclass(frozen=True)
class ChannelState:
    """What the application needs to know to drive the gateway: a copy, not the aggregate."""

    status: ChannelStatus
    reason: str
    phone: str
    device: str
    in_service: bool
    employees_may_write_first: bool
    qr_sequence: int
    qr_expires_at: datetime | None
    reconnecting: bool
    reconnect_attempt: int
    retry_at: datetime | None
    deadline: datetime | None
    held: int

    @property
    def linked(self) -> bool:
        return self.status == ChannelStatus.WORKING or self.reconnecting


class WhatsAppChannel(Aggregate):
    """The one WhatsApp channel of the installation (a singleton: `CHANNEL_ID`)."""

    class Created(Aggregate.Created):
        actor: str

    class LinkingStarted(Aggregate.Event):
        method: str
        at: datetime
        reason: str
        actor: str

    class QrCodeIssued(Aggregate.Event):
        sequence: int
        value: str
        expires_at: datetime
        actor: str

    class PairingCodeIssued(Aggregate.Event):
        phone: str
        code: str
        actor: str

    class Linked(Aggregate.Event):
        phone: str
        device: str
        reason: str
        actor: str

    class LinkFailed(Aggregate.Event):
        reason: str
        actor: str

    class ConnectionLost(Aggregate.Event):
        reason: str
        retry_at: datetime
        actor: str

    class ReconnectFailed(Aggregate.Event):
        attempt: int
        reason: str
        retry_at: datetime
        actor: str

    class Reconnected(Aggregate.Event):
        reason: str
        actor: str

    class Unlinked(Aggregate.Event):
        reason: str
        actor: str

    class SettingsUpdated(Aggregate.Event):
        in_service: bool
        employees_may_write_first: bool
        actor: str

    class MessageHeld(Aggregate.Event):
        held_id: UUID
        actor: str

    class HeldMessagesReleased(Aggregate.Event):
        count: int
        actor: str

    @staticmethod
    def create_id() -> UUID:
        return CHANNEL_ID

    @event(Created)
    def __init__(self, actor: str) -> None:
        self.status = ChannelStatus.STOPPED
        self.reason = ""
        self.phone = ""
        self.device = ""
        self.in_service = False
        self.employees_may_write_first = False
        self.qr_sequence = 0
        self.qr_value = ""
        self.qr_expires_at: datetime | None = None
        self.pairing_code = ""
        self.deadline: datetime | None = None
        self.reconnecting = False
        self.reconnect_attempt = 0
        self.retry_at: datetime | None = None
        self.held: list[UUID] = []

    # -- reading ---------------------------------------------------------------------------
    def state(self) -> ChannelState:
        return ChannelState(
            status=self.status, reason=self.reason, phone=self.phone, device=self.device,
            in_service=self.in_service,
            employees_may_write_first=self.employees_may_write_first,
            qr_sequence=self.qr_sequence, qr_expires_at=self.qr_expires_at,
            reconnecting=self.reconnecting, reconnect_attempt=self.reconnect_attempt,
            retry_at=self.retry_at, deadline=self.deadline, held=len(self.held),
        )

    @property
    def linking(self) -> bool:
        return self.status in LINKING and not self.reconnecting

    @property
    def linked(self) -> bool:
        return self.status == ChannelStatus.WORKING or self.reconnecting

    # -- linking ---------------------------------------------------------------------------
    def start_linking(self, *, method: LinkMethod, now: datetime, actor: str,
                      reason: str = "An admin started linking.") -> None:
        if self.linked:
            raise AlreadyLinked("WhatsApp is linked already: unlink it first.")
        if self.linking:
            raise NotAllowed("Linking is in progress already: refresh the code instead.")
        self._start_linking(method=method.value, at=now, reason=one_line(reason), actor=actor)

    def refresh(self, *, now: datetime, actor: str) -> None:
        """"Refresh code": the series of QR codes starts over (from a failed linking, too)."""
        if self.linked:
            raise AlreadyLinked("WhatsApp is linked already: there is no code to refresh.")
        self._start_linking(method=LinkMethod.QR.value, at=now,
                            reason="The code was refreshed: a new series starts.", actor=actor)

    @event(LinkingStarted)
    def _start_linking(self, method: str, at: datetime, reason: str, actor: str) -> None:
        self.status = ChannelStatus.STARTING
        self.reason = reason
        self.qr_sequence = 0
        self.qr_value = ""
        self.qr_expires_at = None
        self.pairing_code = ""
        self.deadline = at + STARTING_TIMEOUT

    def issue_qr_code(self, *, sequence: int, value: str, now: datetime, actor: str) -> None:
        if not self.linking:
            raise NotLinking("No linking is in progress: start linking first.")
        if sequence != self.qr_sequence + 1:
            raise NotAllowed(f"QR code {sequence} is not the next one ({self.qr_sequence + 1}).")
        if sequence > MAX_QR_CODES:
            raise NotAllowed(f"At most {MAX_QR_CODES} QR codes are offered in a series.")
        value = value.strip()
        if not value or len(value) > MAX_QR_VALUE:
            raise InvalidValue("The gateway gave an empty or oversized QR code.", field="value")
        self._issue_qr_code(sequence=sequence, value=value,
                            expires_at=now + qr_lifetime(sequence), actor=actor)

    @event(QrCodeIssued)
    def _issue_qr_code(self, sequence: int, value: str, expires_at: datetime, actor: str) -> None:
        self.status = ChannelStatus.SCAN_QR_CODE
        self.reason = f"Scan QR code {sequence} of {MAX_QR_CODES}."
        self.qr_sequence = sequence
        self.qr_value = value
        self.qr_expires_at = expires_at
        self.deadline = None

    def issue_pairing_code(self, *, phone: str, code: str, actor: str) -> None:
        if not self.linking:
            raise NotLinking("No linking is in progress: start linking first.")
        code = code.strip().upper()
        if not 4 <= len(code) <= 16:
            raise InvalidValue("The gateway gave a malformed pairing code.", field="code")
        self._issue_pairing_code(phone=phone, code=code, actor=actor)

    @event(PairingCodeIssued)
    def _issue_pairing_code(self, phone: str, code: str, actor: str) -> None:
        self.pairing_code = code
        self.reason = f"Enter the code {code} on the phone {phone}, or scan the QR code."

    def check(self, *, now: datetime, actor: str) -> Due:
        """What is due at `now`; fails a linking that ran out of codes or of time."""
        if self.reconnecting:
            return Due.RECONNECT if self.retry_at is not None and now >= self.retry_at \
                else Due.NOTHING
        if self.status == ChannelStatus.STARTING and self.deadline is not None \
                and now >= self.deadline:
            self._fail(reason="The gateway offered no QR code in time.", actor=actor)
            return Due.NOTHING
        if self.status == ChannelStatus.SCAN_QR_CODE and self.qr_expires_at is not None \
                and now >= self.qr_expires_at:
            if self.qr_sequence >= MAX_QR_CODES:
                self._fail(reason=f"No code was scanned: all {MAX_QR_CODES} QR codes expired. "
                                  "Refresh the code to try again.", actor=actor)
                return Due.NOTHING
            return Due.QR_CODE
        return Due.NOTHING

    def fail(self, *, reason: str, actor: str) -> None:
        if not self.linking:
            raise NotLinking("No linking is in progress.")
        self._fail(reason=one_line(reason) or "Linking failed.", actor=actor)

    @event(LinkFailed)
    def _fail(self, reason: str, actor: str) -> None:
        self.status = ChannelStatus.FAILED
        self.reason = reason
        self.qr_value = ""
        self.qr_expires_at = None
        self.pairing_code = ""
        self.deadline = None

    def link(self, *, phone: str, device: str, actor: str) -> None:
        if self.linked:
            raise AlreadyLinked("WhatsApp is linked already.")
        if not phone:
            raise InvalidValue("A link records the phone number.", field="phone")
        self._link(phone=phone, device=device.strip()[:120] or "WhatsApp",
                   reason=f"Linked as {phone}.", actor=actor)

    @event(Linked)
    def _link(self, phone: str, device: str, reason: str, actor: str) -> None:
        self.status = ChannelStatus.WORKING
        self.reason = reason
        self.phone = phone
        self.device = device
        self.qr_sequence = 0
        self.qr_value = ""
        self.qr_expires_at = None
        self.pairing_code = ""
        self.deadline = None

    def unlink(self, *, reason: str, actor: str) -> None:
        if self.status == ChannelStatus.STOPPED:
            raise NotLinked("WhatsApp is not linked.")
        self._unlink(reason=one_line(reason) or "Unlinked.", actor=actor)

    @event(Unlinked)
    def _unlink(self, reason: str, actor: str) -> None:
        self.status = ChannelStatus.STOPPED
        self.reason = reason
        self.phone = ""
        self.device = ""
        self.qr_sequence = 0
        self.qr_value = ""
        self.qr_expires_at = None
        self.pairing_code = ""
        self.deadline = None
        self.reconnecting = False
        self.reconnect_attempt = 0
        self.retry_at = None

    # -- connection ------------------------------------------------------------------------
    def lose_connection(self, *, reason: str, now: datetime, actor: str) -> None:
        if self.status != ChannelStatus.WORKING:
            raise NotLinked("Only a working link can lose its connection.")
        self._lose_connection(reason=one_line(reason) or "The connection was lost.",
                              retry_at=now + reconnect_delay(1), actor=actor)

    @event(ConnectionLost)
    def _lose_connection(self, reason: str, retry_at: datetime, actor: str) -> None:
        self.status = ChannelStatus.STARTING
        self.reason = reason
        self.reconnecting = True
        self.reconnect_attempt = 0
        self.retry_at = retry_at

    def reconnect_failed(self, *, reason: str, now: datetime, actor: str) -> None:
        if not self.reconnecting:
            raise NotAllowed("The channel is not reconnecting.")
        attempt = self.reconnect_attempt + 1
        self._reconnect_failed(attempt=attempt, reason=one_line(reason) or "No connection.",
                               retry_at=now + reconnect_delay(attempt + 1), actor=actor)

    @event(ReconnectFailed)
    def _reconnect_failed(self, attempt: int, reason: str, retry_at: datetime,
                          actor: str) -> None:
        self.reconnect_attempt = attempt
        self.reason = reason
        self.retry_at = retry_at

    def reconnect(self, *, actor: str) -> None:
        if not self.reconnecting:
            raise NotAllowed("The channel is not reconnecting.")
        self._reconnected(reason="The connection is back.", actor=actor)

    @event(Reconnected)
    def _reconnected(self, reason: str, actor: str) -> None:
        self.status = ChannelStatus.WORKING
        self.reason = reason
        self.reconnecting = False
        self.reconnect_attempt = 0
        self.retry_at = None

    def gateway_reported(self, *, status: ChannelStatus, phone: str, device: str, reason: str,
                         now: datetime, actor: str) -> None:
        """Turns what the gateway says about its session into the lifecycle's transitions;
        a report that changes nothing records nothing (gateways repeat themselves)."""
        if status == ChannelStatus.WORKING:
            if self.reconnecting:
                self.reconnect(actor=actor)
            elif phone and (self.linking or self.status == ChannelStatus.FAILED):
                # STOPPED means an admin unlinked: a late report must not link it again.
                self.link(phone=phone, device=device, actor=actor)
        elif status == ChannelStatus.SCAN_QR_CODE and self.linked:
            self.unlink(reason=reason or "The phone logged this device out: link it again.",
                        actor=actor)
        elif status in (ChannelStatus.STARTING, ChannelStatus.STOPPED, ChannelStatus.FAILED):
            if self.status == ChannelStatus.WORKING:
                self.lose_connection(reason=reason or f"The gateway reports {status.value}.",
                                     now=now, actor=actor)
            elif self.linking and status != ChannelStatus.STARTING:
                self.fail(reason=reason or f"The gateway reports {status.value}.", actor=actor)

    # -- messenger settings ----------------------------------------------------------------
    def update_settings(self, *, in_service: bool, employees_may_write_first: bool,
                        actor: str) -> bool:
        if (in_service, employees_may_write_first) == (
                self.in_service, self.employees_may_write_first):
            return False
        self._update_settings(in_service=in_service,
                              employees_may_write_first=employees_may_write_first, actor=actor)
        return True

    @event(SettingsUpdated)
    def _update_settings(self, in_service: bool, employees_may_write_first: bool,
                         actor: str) -> None:
        self.in_service = in_service
        self.employees_may_write_first = employees_may_write_first

    def ensure_employees_may_write_first(self) -> None:
        """An operator may start a dialog with a client who has not written only when allowed."""
        if not self.employees_may_write_first:
            raise EmployeesMayNotWriteFirst(
                "Only a client can start a dialog: employees may not write first.")

    def ensure_ready_to_send(self) -> None:
        if not self.in_service:
            raise ChannelNotReady("WhatsApp is out of service: an admin can put it in service.")
        if self.status != ChannelStatus.WORKING:
            raise ChannelNotReady("WhatsApp is not connected right now.")

    # -- what arrives while out of service ---------------------------------------------------
    def hold(self, held_id: UUID, actor: str, *, chats_allowed: bool = True) -> None:
        """Keeps a message while WhatsApp is out of service, or while the installation's
        connection mode does not allow chats yet (long-polling)."""
        if self.in_service and chats_allowed:
            raise NotAllowed("WhatsApp is in service: messages are delivered, not held.")
        self._hold(held_id=held_id, actor=actor)

    @event(MessageHeld)
    def _hold(self, held_id: UUID, actor: str) -> None:
        self.held.append(held_id)

    def release_held(self, actor: str) -> list[UUID]:
        """The ids of the messages kept while out of service, to be delivered now."""
        if not self.in_service:
            raise NotAllowed("Put WhatsApp in service before releasing what it kept.")
        held = list(self.held)
        if held:
            self._release(count=len(held), actor=actor)
        return held

    @event(HeldMessagesReleased)
    def _release(self, count: int, actor: str) -> None:
        self.held = []


class HeldMessage(Aggregate):
    """A client's message that arrived while WhatsApp was out of service: kept, and delivered to
    the operators when WhatsApp is put back in service. One per gateway message id, so a repeated
    delivery collides with it in the store."""

    class Held(Aggregate.Created):
        channel: str
        external_id: str
        phone: str
        name: str
        text: str
        sent_at: datetime
        actor: str

    class Released(Aggregate.Event):
        actor: str

    @staticmethod
    def create_id(channel: str, external_id: str) -> UUID:
        return held_message_id(channel, external_id)

    @event(Held)
    def __init__(self, channel: str, external_id: str, phone: str, name: str, text: str,
                 sent_at: datetime, actor: str) -> None:
        self.channel = channel
        self.external_id = external_id
        self.phone = phone
        self.name = name
        self.text = text
        self.sent_at = sent_at
        self.released = False

    def release(self, actor: str) -> None:
        if not self.released:
            self._release(actor=actor)

    @event(Released)
    def _release(self, actor: str) -> None:
        self.released = True


def held_message_id(channel: str, external_id: str) -> UUID:
    return natural_id("held-message", f"{channel}:{external_id}")
