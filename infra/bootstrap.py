"""The one composition root: every adapter is built here, from one settings object.

`Container.start` starts the writer and the projector, registers the reactions each setting
enables with the one runner (infra/runner.py: routing's timers, the WhatsApp supervisor, the sync
job and its watch, media downloads, read receipts and "typing…") and starts it; `stop` stops the
runner first, waiting for the jobs that run, and then closes what they used."""

from __future__ import annotations

import contextlib
import logging
import secrets
from dataclasses import dataclass, field
from typing import Any

from application import commands as c
from application.auth import AuthService, LoginThrottle
from application.channels import Channels, Intake
from application.ports import BlobStore, Clock, PasswordHasher, WhatsAppGateway
from application.registry import all_handlers
from application.routing import AddAccessMember, SeedAccessGroup
from domain.errors import AlreadyExists
from domain.ids import operator_id
from domain.operators import Role
from infra.blobstore import build_blob_store
from infra.channels.context import ChannelContext
from infra.channels.registry import Build, build_channels
from infra.clock import SystemClock
from infra.directory import SqlOperatorDirectory
from infra.eventstore import EventStore, open_event_store
from infra.media_jobs import FileKeeping, MediaJobs, limits_of
from infra.pbx_calls import AmiCallBackDialer
from infra.projection.livefeed import LiveFeed
from infra.projection.projector import Projector
from infra.receipts import ClientReceipts
from infra.routing_jobs import RoutingJobs
from infra.runner import Runner
from infra.security import Argon2PasswordHasher, HmacTokenCodec
from infra.settings import Settings
from infra.setup_services import SetupServices, build_setup_services, start_installation_command
from infra.sync_job import RecordedDeliveryReports, SyncJob
from infra.views import ViewsDatabase, open_views
from infra.whatsapp import WhatsApp, build_whatsapp
from infra.writer import GroupCommitWriter
from projections.registry import all_projections

log = logging.getLogger(__name__)
__all__ = ["Container", "all_projections", "bootstrap", "ensure_development_setup",
           "ensure_first_admin"]


@dataclass
class Container:
    settings: Settings
    store: EventStore
    views: ViewsDatabase
    writer: GroupCommitWriter
    projector: Projector
    feed: LiveFeed
    auth: AuthService
    hasher: PasswordHasher
    clock: Clock
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def runner(self) -> Runner:
        """The one scheduler of reactions and timers."""
        runner: Runner = self.extras["runner"]
        return runner

    @property
    def setup(self) -> SetupServices:
        services: SetupServices = self.extras["setup"]
        return services

    @property
    def routing(self) -> RoutingJobs:
        jobs: RoutingJobs = self.extras["routing"]
        return jobs

    @property
    def whatsapp(self) -> WhatsApp:
        """The WhatsApp gateway, its service and the supervisor."""
        whatsapp: WhatsApp = self.extras["whatsapp"]
        return whatsapp

    @property
    def channels(self) -> Channels:
        """The messengers active here (infra/channels/registry.py)."""
        channels: Channels = self.extras["channels"]
        return channels

    @property
    def sync(self) -> SyncJob:
        """The scheduled sync job that sends outgoing messages."""
        job: SyncJob = self.extras["sync"]
        return job

    @property
    def media(self) -> MediaJobs:
        """Background downloads of clients' files, and the blob store they go to."""
        jobs: MediaJobs = self.extras["media"]
        return jobs

    @property
    def receipts(self) -> ClientReceipts:
        """Read receipts and "typing…" at the gateways, in the background."""
        receipts: ClientReceipts = self.extras["receipts"]
        return receipts

    @property
    def blobs(self) -> BlobStore:
        store: BlobStore = self.extras["blobs"]
        return store

    def start(self, *, projections: bool | None = None) -> None:
        self.writer.start()
        if self.settings.run_projections if projections is None else projections:
            self.projector.start()
        runner = self.runner
        if self.settings.run_routing_jobs:
            self.routing.start(runner)
        if self.settings.autolinks_simulator:  # before the supervisor resumes the gateway
            self.whatsapp.link_at_first_start(self.writer, self.clock)
        self.whatsapp.start(runner)
        self.channels.start()
        if self.settings.run_sync_job:
            self.sync.start(runner)
        if self.settings.run_media_jobs:
            self.media.start(runner)
        self.receipts.start(runner)
        runner.start()  # the jobs registered above run from here on

    def stop(self) -> None:
        self.runner.stop(wait=True)  # no job runs after this: what they use can close
        self.extras["call_backs"].stop()  # calls going on are recorded as interrupted
        self.media.stop()
        self.receipts.stop()
        self.sync.stop()
        self.channels.stop()
        self.whatsapp.stop()
        self.routing.stop()
        self.projector.stop()
        self.writer.stop()
        self.views.dispose()
        self.store.close()


def bootstrap(
    settings: Settings, *, hasher: PasswordHasher | None = None, clock: Clock | None = None,
    gateway: WhatsAppGateway | None = None, channels: tuple[Build, ...] = (),
) -> Container:
    """Builds everything; `gateway` replaces the configured WhatsApp gateway and `channels`
    adds channels of its own (tests do both)."""
    store = open_event_store(settings)
    views = open_views(settings)
    writer = GroupCommitWriter(store, all_handlers(), max_batch=settings.writer_max_batch)
    clock = clock or SystemClock()
    hasher = hasher or Argon2PasswordHasher()
    auth = AuthService(
        bus=writer, hasher=hasher, tokens=HmacTokenCodec(settings.secret_key),
        directory=SqlOperatorDirectory(views.reader),
        throttle=LoginThrottle(settings.login_attempts_per_login,
                               settings.login_attempts_per_address,
                               settings.login_window_seconds),
        clock=clock, ttl_seconds=settings.token_ttl_seconds,
    )
    whatsapp = build_whatsapp(settings, writer, clock, views,
                              RecordedDeliveryReports(writer), gateway)  # reports become events
    blobs = build_blob_store(settings)  # clients' and operators' files, by sha256
    projector = Projector(settings, store, views, all_projections(settings.business_timezone))
    keeping = FileKeeping(blobs, views, projector.waiter("media"))
    extras: dict[str, Any] = {"runner": Runner()}
    intake = Intake(writer, limits=lambda: limits_of(settings),
                    media_arrived=lambda: extras["media"].wake(),
                    reports=whatsapp.delivery_reports.report, now=clock.now)
    active = build_channels(ChannelContext(settings=settings, intake=intake, clock=clock,
                                           views=views, whatsapp=whatsapp), channels)
    extras["call_backs"] = AmiCallBackDialer(settings, writer, clock)  # calls through the PBX
    extras.update({"setup": build_setup_services(settings, writer, clock),
                   "routing": RoutingJobs(settings, writer, views, clock),
                   "whatsapp": whatsapp, "channels": active, "intake": intake,
                   "sync": SyncJob(settings, writer, views, active, clock, blobs=blobs,
                                   caught_up=projector.waiter("outbox")),
                   "blobs": blobs, "receipts": ClientReceipts(settings, views, active, clock),
                   "media": MediaJobs(settings, writer, views, active, blobs, clock,
                                      keeping=keeping)})
    return Container(
        settings=settings, store=store, views=views, writer=writer, projector=projector,
        feed=LiveFeed(settings, views.reader), auth=auth, hasher=hasher, clock=clock,
        extras=extras,
    )


def ensure_first_admin(container: Container) -> str | None:
    """Creates the first admin, in the employee queue, unless one exists. Returns the password
    when it was generated here (so it can be printed once), else None."""
    settings = container.settings
    ensure_development_setup(container)
    container.writer.execute_sync(SeedAccessGroup(actor="system"))
    admin_id = operator_id(settings.admin_login)
    if container.store.recorder.select_events(admin_id, limit=1):
        return None
    generated = None
    password = settings.admin_password
    if not password:
        password = generated = secrets.token_urlsafe(12)
    writer = container.writer
    try:
        writer.execute_sync(c.RegisterOperator(
            login=settings.admin_login, display_name=settings.admin_name, role=Role.ADMIN,
            password_hash=container.hasher.hash(password), actor="system",
        ))
    except AlreadyExists:
        return None
    with contextlib.suppress(AlreadyExists):  # the access group first, then the queue
        writer.execute_sync(AddAccessMember(operator_id=admin_id, actor="system"))
    with contextlib.suppress(AlreadyExists):
        writer.execute_sync(c.AddQueueMember(operator_id=admin_id, actor="system"))
    log.info("first admin created", extra={"login": settings.admin_login})
    return generated


def ensure_development_setup(container: Container) -> bool:
    """In development and tests, an installation that nothing configured yet starts in
    web-service mode with a sample publication (events by "system"), so that the simulator's
    messages arrive at once. Production starts in long-polling until the wizard switches it."""
    if not container.settings.is_development:
        return False
    started: bool = container.writer.execute_sync(start_installation_command(container.settings))
    return started
