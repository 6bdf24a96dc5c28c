"""The application's services (application/services.py) as the container holds them: what
GraphQL reaches the application through. `create_app` puts one on `app.state.services`. Each
role is looked up on the container when asked, so whatever a test changes there is seen."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import Future
from datetime import datetime, timedelta

import sqlalchemy as sa
from anyio import to_thread

from application import outbox as ob
from application.auth import AuthService
from application.calls import CallBacks
from application.channels import Channels, ChannelStatus
from application.people import People
from application.ports import Clock, CommandBus, GatewayError
from application.services import (
    ChannelsStatus,
    EffectiveSchedule,
    Services,
    ServiceSettings,
    SyncHealthReport,
    WhatsAppLinking,
)
from application.sync import RunReport
from application.templates import TemplateGateway, TemplateSync
from infra.bootstrap import Container
from infra.directory import SqlOperatorDirectory
from infra.mailer import OutboxMailer
from infra.media_urls import MediaUrlSigner
from infra.projection.livefeed import LiveFeed
from infra.receipts import ClientReceipts
from infra.routing_jobs import RoutingJobs
from infra.setup_services import SetupServices
from infra.sync_job import SyncJob, default_schedule


class ProjectorCatchUp:
    """Waits for the projector: each named projection up to the log's head as it is now."""

    def __init__(self, container: Container) -> None:
        self._container = container

    async def wait(self, *names: str, seconds: float) -> None:
        container = self._container
        runners = [r for r in container.projector.runners if r.name in names]
        if not runners:
            return
        head = await to_thread.run_sync(
            lambda: container.store.recorder.max_notification_id() or 0)
        deadline = time.monotonic() + seconds
        for runner in runners:
            while time.monotonic() < deadline:
                status = await to_thread.run_sync(runner.status)
                if status.position >= head:
                    break
                container.projector.wake()
                await asyncio.sleep(0.01)


class ChannelStandings:
    """The active channels' standing: each channel's `status()`, or its `check()` now."""

    def __init__(self, channels: Channels) -> None:
        self._channels = channels

    def statuses(self) -> list[ChannelStatus]:
        return [channel.status() for channel in self._channels]

    def check(self, name: str) -> ChannelStatus | None:
        channel = self._channels.named(name)
        if channel is None:
            return None
        return channel.check()


class SyncJobControl:
    """The sync job, with the settings' default schedule."""

    def __init__(self, job: SyncJob) -> None:
        self._job = job

    def schedule(self) -> EffectiveSchedule:
        return self._job.schedule()

    def default_schedule(self) -> ob.ScheduleState:
        return default_schedule(self._job.settings)

    def apply(self, state: ob.ScheduleState) -> bool:
        return self._job.apply(state)

    def next_run_at(self) -> datetime | None:
        return self._job.next_run_at()

    def run_now(self) -> Future[RunReport | None]:
        return self._job.run_now()

    def health(self) -> SyncHealthReport:
        return self._job.health()


class ContainerServices:
    def __init__(self, container: Container) -> None:
        self._container = container

    @property
    def reads(self) -> sa.Engine:
        return self._container.views.reader

    @property
    def bus(self) -> CommandBus:
        return self._container.writer

    @property
    def clock(self) -> Clock:
        return self._container.clock

    @property
    def settings(self) -> ServiceSettings:
        settings = self._container.settings
        return ServiceSettings(
            is_development=settings.is_development, phone_region=settings.phone_region,
            sync_timezone=settings.sync_timezone, business_timezone=settings.business_timezone,
            colleague_edit_window_seconds=settings.colleague_edit_window_seconds,
            company_name=settings.company_name)

    @property
    def catch_up(self) -> ProjectorCatchUp:
        return ProjectorCatchUp(self._container)

    @property
    def feed(self) -> LiveFeed:
        return self._container.feed

    @property
    def auth(self) -> AuthService:
        return self._container.auth

    @property
    def panels(self) -> RoutingJobs:
        return self._container.routing

    @property
    def media_urls(self) -> MediaUrlSigner:
        settings = self._container.settings
        return MediaUrlSigner(settings.secret_key, settings.media_url_ttl_seconds)

    @property
    def whatsapp(self) -> WhatsAppLinking:
        return self._container.whatsapp.service

    @property
    def channels(self) -> ChannelsStatus:
        return ChannelStandings(self._container.channels)

    @property
    def sync(self) -> SyncJobControl:
        return SyncJobControl(self._container.sync)

    @property
    def setup(self) -> SetupServices:
        return self._container.setup

    @property
    def receipts(self) -> ClientReceipts:
        return self._container.receipts

    @property
    def templates(self) -> TemplateSync:
        container = self._container
        gateway = container.whatsapp.gateway
        source = gateway if isinstance(gateway, TemplateGateway) \
            and container.settings.cloud_waba_id else None

        def reply_window(channel: str) -> timedelta | None:
            try:
                return container.channels.gateway(channel).reply_window
            except GatewayError:  # a channel no longer active here
                return None

        return TemplateSync(bus=container.writer, clock=container.clock, gateway=source,
                            reply_windows=reply_window)

    @property
    def call_backs(self) -> CallBacks:
        container = self._container
        return CallBacks(bus=container.writer, clock=container.clock,
                         dialer=container.extras["call_backs"])

    @property
    def people(self) -> People:
        container = self._container
        mailer = container.setup.mailer  # the outbox when no SMTP server is set: then shown
        return People(bus=container.writer, hasher=container.hasher,
                      directory=SqlOperatorDirectory(container.views.reader),
                      mailer=None if isinstance(mailer, OutboxMailer) else mailer)


def services_of(container: Container) -> Services:
    """What `app.state.services` holds (mypy checks here that it is a `Services`)."""
    return ContainerServices(container)
