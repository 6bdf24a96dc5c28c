"""Builds the configured WhatsApp gateway and the service around it, and runs the supervisor: a
reaction of the runner (infra/runner.py), the job "whatsapp-supervisor", that calls
`WhatsAppService.tick()` at once and then every second (QR rotation, polling, reconnecting)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from application.channel import LinkAtFirstStart
from application.ports import Clock, DeliveryReports, LinkedAccount, WhatsAppGateway
from application.whatsapp import WhatsAppService
from infra.channels.cloud.gateway import CloudWhatsAppGateway
from infra.channels.simulator.gateway import DEVICE, SimulatorWhatsAppGateway
from infra.channels.waha.gateway import WahaWhatsAppGateway
from infra.runner import Runner
from infra.settings import Gateway, Settings
from infra.views import ViewsDatabase
from infra.writer import GroupCommitWriter
from projections.channel import last_client_message_at

log = logging.getLogger(__name__)
__all__ = ["WhatsApp", "build_whatsapp"]
JOB = "whatsapp-supervisor"


@dataclass
class WhatsApp:
    """The gateway, the service and the supervisor, as the container holds them."""

    gateway: WhatsAppGateway
    service: WhatsAppService
    delivery_reports: DeliveryReports  # where the webhooks hand the gateway's delivery reports
    tick_seconds: float = 1.0
    _runner: Runner | None = None

    @property
    def simulator(self) -> SimulatorWhatsAppGateway | None:
        return self.gateway if isinstance(self.gateway, SimulatorWhatsAppGateway) else None

    @property
    def waha(self) -> WahaWhatsAppGateway | None:
        return self.gateway if isinstance(self.gateway, WahaWhatsAppGateway) else None

    def link_at_first_start(self, writer: GroupCommitWriter, clock: Clock) -> bool:
        """The simulator's development start: linked and in service from the first event."""
        simulator = self.simulator
        if simulator is None:
            return False
        outcome = writer.execute_sync(LinkAtFirstStart(phone=simulator.number, device=DEVICE,
                                                       now=clock.now()))
        if outcome is None:
            return False
        simulator.resume(LinkedAccount(phone=simulator.number, device=DEVICE))
        log.info("the simulated WhatsApp starts linked and in service")
        return True

    def start(self, runner: Runner) -> None:
        """Registers the supervisor with the runner: a tick at once, then every second."""
        if self._runner is None:
            self._runner = runner
            runner.every(JOB, self.tick_seconds, self.service.tick)

    def stop(self) -> None:
        """Removes the supervisor's job (stop the runner first: a tick going on then is over)
        and closes the gateway."""
        runner, self._runner = self._runner, None
        if runner is not None:
            runner.remove(JOB)
        close = getattr(self.gateway, "close", None)
        if callable(close):
            close()


def build_gateway(settings: Settings, clock: Clock, views: ViewsDatabase) -> WhatsAppGateway:
    if settings.gateway == Gateway.WAHA:
        return WahaWhatsAppGateway(
            url=settings.waha_url, api_key=settings.waha_api_key, session=settings.waha_session,
            webhook_url=f"{settings.base_url}/webhooks/waha", hmac_key=settings.waha_hmac_key,
            retry_horizon_seconds=settings.webhook_retry_horizon_seconds)
    if settings.gateway == Gateway.CLOUD:
        def last_message(phone: str) -> Any:
            with views.reader.connect() as conn:
                return last_client_message_at(conn, phone)

        return CloudWhatsAppGateway(
            graph_url=settings.cloud_graph_url, access_token=settings.cloud_access_token,
            phone_number_id=settings.cloud_phone_number_id, last_client_message=last_message,
            clock=clock, waba_id=settings.cloud_waba_id)
    return SimulatorWhatsAppGateway(settings.simulator_number, now=clock.now)


def build_whatsapp(settings: Settings, writer: GroupCommitWriter, clock: Clock,
                   views: ViewsDatabase, delivery_reports: DeliveryReports,
                   gateway: WhatsAppGateway | None = None) -> WhatsApp:
    gateway = gateway or build_gateway(settings, clock, views)
    service = WhatsAppService(bus=writer, gateway=gateway, clock=clock)
    if isinstance(gateway, SimulatorWhatsAppGateway):
        gateway.listen(service.gateway_reported)
    return WhatsApp(gateway=gateway, service=service, delivery_reports=delivery_reports)
