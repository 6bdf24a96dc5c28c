"""What entry points (GraphQL's resolvers) reach the application through: one protocol per role —
reading the read models, executing commands, the clock, linking WhatsApp, how the messenger
channels stand, the sync job, the setup wizard's services, the live feed, signing in, catching up,
operators' panels, media URLs —
and `Services`, which holds one of each, with the few settings resolvers read as plain values.
The composition root provides them (infra/services.py); nothing here knows how they are built.

The plain data the resolvers read about the sync job (its effective schedule, its health
warnings) is defined here too."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from concurrent.futures import Future
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol
from uuid import UUID

from application import outbox as ob
from application.auth import Principal, SignedIn
from application.calls import CallBacks
from application.channels import ChannelStatus
from application.handlers import Read
from application.people import People
from application.ports import Clock, CommandBus
from application.sync import RunReport
from application.templates import TemplateSync
from domain.channel import ChannelState, LinkMethod

if TYPE_CHECKING:
    import sqlalchemy as sa


# -- reading and writing -----------------------------------------------------------------------
class Reads(Protocol):
    """The read models: `with reads.connect() as conn:` then projections' queries on `conn`.
    Blocking: call it from a thread."""

    def connect(self) -> AbstractContextManager[sa.Connection]: ...


Bus = CommandBus
"""Executes commands: answers once their events are stored (or raises the domain error)."""


class CatchUp(Protocol):
    """Read-your-writes: waiting (a little) until read models hold what was just stored."""

    async def wait(self, *names: str, seconds: float) -> None:
        """Returns once each named read model has reached the event log's head as it is now,
        or after `seconds` (the answer is then a little behind, as any read may be)."""


class Feed(Protocol):
    """The live feed of read-model changes."""

    def subscribe(self, feed: str, key: object, queue: asyncio.Queue[set[str]] | None = None,
                  ) -> AbstractAsyncContextManager[asyncio.Queue[set[str]]]:
        """A queue that receives, for each change of `feed` concerning `key`, the changed ids
        (`queue`: one already subscribed to another feed, to hear both through it)."""


# -- signing in, panels, files -----------------------------------------------------------------
class Authentication(Protocol):
    async def sign_in(self, login: str, password: str, address: str) -> SignedIn: ...

    async def authenticate(self, token: str | None) -> Principal | None: ...

    async def sign_out(self, principal: Principal) -> None: ...


class Panels(Protocol):
    """Operators' panels: while `connected` is entered the operator counts as connected
    (online for routing, unless they chose away)."""

    def connected(self, operator_id: UUID, actor: str) -> AbstractAsyncContextManager[None]: ...


class MediaUrls(Protocol):
    """Short-lived signed URLs of stored files, each for one operator."""

    def url(self, media_id: UUID, operator_id: UUID, now: datetime) -> str: ...


# -- WhatsApp ----------------------------------------------------------------------------------
class GatewayTraits(Protocol):
    @property
    def kind(self) -> str:
        """"simulator", "waha" or "cloud" — also the channel name of its messages."""

    @property
    def supports_linking(self) -> bool:
        """Whether it links by QR code and pairing code."""


class WhatsAppLinking(Protocol):
    """Admins' actions on the WhatsApp channel (application/whatsapp.py). Each blocks on the
    gateway: call it from a thread."""

    @property
    def gateway(self) -> GatewayTraits: ...

    def start_linking(self, actor: str, method: LinkMethod = ...) -> ChannelState: ...

    def refresh(self, actor: str) -> ChannelState: ...

    def request_pairing_code(self, phone: str, actor: str) -> ChannelState: ...

    def unlink(self, actor: str) -> ChannelState: ...

    def update_settings(self, *, in_service: bool, employees_may_write_first: bool,
                        actor: str) -> ChannelState: ...


# -- the messenger channels --------------------------------------------------------------------
class ChannelsStatus(Protocol):
    """How the channels active here stand, for the admin area (application/channels.py)."""

    def statuses(self) -> list[ChannelStatus]:
        """Every active channel's standing as last seen (no messenger is asked)."""

    def check(self, name: str) -> ChannelStatus | None:
        """The channel named `name` asks its messenger now (Telegram: getMe, getWebhookInfo)
        and answers its new standing; a channel with nothing to ask answers its standing.
        None when no channel of that name is active here. Blocks: call it from a thread."""


class ClientReceipts(Protocol):
    """What a client sees of the operators' attention, where the messenger shows it: their
    messages read, and "typing…" (infra/receipts.py). Sent in the background: a gateway that is
    down is logged, never the operator's failure."""

    def read(self, read: Read) -> None:
        """After MarkRead: the client's messages nobody had read before are shown read (unless
        SWITCHBOARD_SEND_READ_RECEIPTS is off). Never waits for the gateway."""

    def typing(self, dialog_id: UUID, operator_id: UUID, on: bool) -> str:
        """The operator types in the dialog (`on`), or stopped. Answers "" when taken (the
        gateway hears it at most once every few seconds per dialog), else the code of a
        refusal: NOT_FOUND (not among theirs), ALREADY_TAKEN (another operator holds it).
        Blocking (reads the read model): call it from a thread."""


# -- the sync job ------------------------------------------------------------------------------
@dataclass(frozen=True)
class EffectiveSchedule:
    """The sync schedule in force: the recorded one, or the settings' default (`is_default`)."""

    state: ob.ScheduleState
    is_default: bool
    version: int
    changed_at: datetime | None = None
    changed_by: str = ""
    run_requested_at: datetime | None = None
    run_requested_by: str = ""


@dataclass(frozen=True)
class HealthWarning:
    code: str
    message: str
    since: datetime | None = None


class OutboxCounts(Protocol):
    @property
    def queued(self) -> int: ...

    @property
    def sending(self) -> int: ...

    @property
    def failed(self) -> int: ...

    @property
    def oldest_due_at(self) -> datetime | None: ...


class SyncHealthReport(Protocol):
    """What the sync job's health check found (in this replica)."""

    @property
    def ok(self) -> bool: ...

    @property
    def replica(self) -> str: ...

    @property
    def checked_at(self) -> datetime: ...

    @property
    def warnings(self) -> Sequence[HealthWarning]: ...

    @property
    def scheduler_running(self) -> bool: ...

    @property
    def runs_here(self) -> bool: ...

    @property
    def schedule(self) -> EffectiveSchedule: ...

    @property
    def next_run_at(self) -> datetime | None: ...

    @property
    def last_run_at(self) -> datetime | None: ...

    @property
    def last_report(self) -> dict[str, Any] | None: ...

    @property
    def running_since(self) -> datetime | None: ...

    @property
    def lock_held_elsewhere_since(self) -> datetime | None: ...

    @property
    def stats(self) -> OutboxCounts: ...


class OutboxSync(Protocol):
    """The scheduled sync job that sends outgoing messages, as this replica runs it. Blocking,
    except `run_now`, which answers a future at once."""

    def schedule(self) -> EffectiveSchedule: ...

    def default_schedule(self) -> ob.ScheduleState:
        """The schedule in force while none is recorded."""

    def apply(self, state: ob.ScheduleState) -> bool:
        """Makes this replica follow `state` at once (the others follow within a second)."""

    def next_run_at(self) -> datetime | None: ...

    def run_now(self) -> Future[RunReport | None]:
        """A run at once, whatever the schedule; None when another run is going on."""

    def health(self) -> SyncHealthReport: ...


# -- the setup wizard --------------------------------------------------------------------------
class Registration(Protocol):
    async def request_code(self, email: str, server: str, actor: str) -> None: ...

    async def confirm(self, code: str, actor: str) -> None: ...


class PbxConnection(Protocol):
    async def apply_code(self, code: str, scheme: str, web_server: str, publication_name: str,
                         actor: str) -> None: ...

    async def start_check(self, actor: str) -> UUID: ...


class PhonebookImport(Protocol):
    async def start_import(self, source: str, content: str, actor: str) -> UUID: ...


class KeptMail(Protocol):
    """A mail the development outbox kept instead of sending."""

    @property
    def id(self) -> str: ...

    @property
    def to(self) -> str: ...

    @property
    def subject(self) -> str: ...

    @property
    def body(self) -> str: ...

    @property
    def sent_at(self) -> datetime: ...


class DevOutbox(Protocol):
    def messages(self, limit: int) -> Sequence[KeptMail]:
        """The newest mails first (blocking)."""


class Setup(Protocol):
    @property
    def registration(self) -> Registration: ...

    @property
    def pbx(self) -> PbxConnection: ...

    @property
    def phonebook(self) -> PhonebookImport: ...

    @property
    def outbox(self) -> DevOutbox | None:
        """The development outbox, when mail does not leave."""


# -- all of them -------------------------------------------------------------------------------
@dataclass(frozen=True)
class ServiceSettings:
    """The settings values entry points read, as plain values."""

    is_development: bool
    phone_region: str
    sync_timezone: str
    business_timezone: str
    colleague_edit_window_seconds: int
    company_name: str = ""


class Services(Protocol):
    @property
    def reads(self) -> Reads: ...

    @property
    def bus(self) -> Bus: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def settings(self) -> ServiceSettings: ...

    @property
    def catch_up(self) -> CatchUp: ...

    @property
    def feed(self) -> Feed: ...

    @property
    def auth(self) -> Authentication: ...

    @property
    def panels(self) -> Panels: ...

    @property
    def media_urls(self) -> MediaUrls: ...

    @property
    def whatsapp(self) -> WhatsAppLinking: ...

    @property
    def channels(self) -> ChannelsStatus: ...

    @property
    def sync(self) -> OutboxSync: ...

    @property
    def setup(self) -> Setup: ...

    @property
    def receipts(self) -> ClientReceipts: ...

    @property
    def templates(self) -> TemplateSync:
        """WhatsApp message templates: synchronising them, and each channel's reply window."""

    @property
    def call_backs(self) -> CallBacks:
        """Calls to clients through the PBX (application/calls.py)."""

    @property
    def people(self) -> People:
        """Admins manage operators; everyone changes their password (application/people.py)."""

