"""Wiring of the setup wizard's services, and the development start: with the simulator, an
installation begins in web-service mode with a sample publication, so that a newcomer's first
message arrives at once (a production installation starts in long-polling until the wizard
switches it)."""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass
from datetime import timedelta

from application import setup as s
from application.ports import Clock, CommandBus, Mailer, PbxProbe
from application.setup_services import (
    Jobs,
    PbxConnectionService,
    PhonebookService,
    RegistrationService,
)
from domain.setup import ConnectionMode
from infra.mailer import OutboxMailer, build_mailer
from infra.pbx import MikoPbxProbe
from infra.secretbox import FernetSecretBox
from infra.settings import Settings

log = logging.getLogger(__name__)
SAMPLE_PUBLICATION = "sample"


@dataclass
class SetupServices:
    registration: RegistrationService
    pbx: PbxConnectionService
    phonebook: PhonebookService
    jobs: Jobs
    mailer: Mailer
    box: FernetSecretBox

    @property
    def outbox(self) -> OutboxMailer | None:
        """The development outbox, when mail does not leave."""
        return self.mailer if isinstance(self.mailer, OutboxMailer) else None


def build_setup_services(
    settings: Settings, bus: CommandBus, clock: Clock, *, mailer: Mailer | None = None,
    probe: PbxProbe | None = None,
) -> SetupServices:
    jobs = Jobs()
    box = FernetSecretBox(settings.secret_key)
    mailer = mailer or build_mailer(settings)
    if isinstance(mailer, OutboxMailer) and not settings.is_development:
        log.warning("no SMTP server is set (SWITCHBOARD_SMTP_HOST): registration codes go to "
                    "the outbox %s; `switchboard outbox` shows them", mailer.folder)
    code_key = hmac.new(settings.secret_key.encode(), b"registration codes",
                        hashlib.sha256).digest()
    return SetupServices(
        registration=RegistrationService(
            bus=bus, mailer=mailer, clock=clock, key=code_key,
            ttl=timedelta(seconds=settings.registration_code_ttl_seconds)),
        pbx=PbxConnectionService(
            bus=bus, box=box, clock=clock, jobs=jobs,
            probe=probe or MikoPbxProbe(nats_port=settings.pbx_nats_port,
                                        nats_user=settings.pbx_nats_user),
            timeout=settings.pbx_check_timeout_seconds),
        phonebook=PhonebookService(bus=bus, jobs=jobs, region=settings.phone_region),
        jobs=jobs, mailer=mailer, box=box,
    )


def start_installation_command(settings: Settings) -> s.StartInstallation:
    if settings.is_development:
        return s.StartInstallation(
            connection_mode=ConnectionMode.WEB_SERVICE, actor="system",
            server_url=settings.base_url, publication_name=SAMPLE_PUBLICATION)
    return s.StartInstallation(connection_mode=ConnectionMode.LONG_POLLING, actor="system")
