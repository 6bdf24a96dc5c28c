"""Builds the configured WhatsApp gateway and the service around it, and runs the supervisor: a
thread that calls `WhatsAppService.tick()` once a second (QR rotation, polling, reconnecting)."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from application.channel import LinkAtFirstStart
from application.ports import Clock, DeliveryReports, LinkedAccount, WhatsAppGateway
from application.whatsapp import WhatsAppService
from infra.channels.cloud.gateway import CloudWhatsAppGateway
from infra.channels.simulator.gateway import DEVICE, SimulatorWhatsAppGateway
from infra.channels.waha.gateway import WahaWhatsAppGateway
from infra.settings import Gateway, Settings
from infra.views import ViewsDatabase
from infra.writer import GroupCommitWriter
from projections.channel import last_client_message_at

log = logging.getLogger(__name__)
__all__ = ["WhatsApp", "build_whatsapp"]


@dataclass
class WhatsApp:
    """The gateway, the service and the supervisor, as the container holds them."""

    gateway: WhatsAppGateway
    service: WhatsAppService
    delivery_reports: DeliveryReports  # where the webhooks hand the gateway's delivery reports
    tick_seconds: float = 1.0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

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

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="whatsapp-supervisor",
                                            daemon=True)
            self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join(timeout=15)
            self._thread = None
        close = getattr(self.gateway, "close", None)
        if callable(close):
            close()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.service.tick()
            except Exception:  # the supervisor never dies: it tries again next second
                log.warning("whatsapp supervisor step failed", exc_info=True)
            self._stop.wait(self.tick_seconds)


def build_gateway(settings: Settings, clock: Clock, views: ViewsDatabase) -> WhatsAppGateway:
    if settings.gateway == Gateway.WAHA:
        return WahaWhatsAppGateway(
            url=settings.waha_url, api_key=settings.waha_api_key, session=settings.waha_session,
            webhook_url=f"{settings.base_url}/webhooks/waha", hmac_key=settings.waha_hmac_key)
    if settings.gateway == Gateway.CLOUD:
        def last_message(phone: str) -> Any:
            with views.reader.connect() as conn:
                return last_client_message_at(conn, phone)

        return CloudWhatsAppGateway(
            graph_url=settings.cloud_graph_url, access_token=settings.cloud_access_token,
            phone_number_id=settings.cloud_phone_number_id, last_client_message=last_message,
            clock=clock)
    return SimulatorWhatsAppGateway(settings.simulator_number, now=clock.now)


def build_whatsapp(settings: Settings, writer: GroupCommitWriter, clock: Clock,
                   views: ViewsDatabase, delivery_reports: DeliveryReports,
                   gateway: WhatsAppGateway | None = None) -> WhatsApp:
    gateway = gateway or build_gateway(settings, clock, views)
    service = WhatsAppService(bus=writer, gateway=gateway, clock=clock)
    if isinstance(gateway, SimulatorWhatsAppGateway):
        gateway.listen(service.gateway_reported)
    return WhatsApp(gateway=gateway, service=service, delivery_reports=delivery_reports)
