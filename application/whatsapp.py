"""The WhatsApp service: everything about the channel that needs the gateway (I/O) or time.

Admins' actions (link, refresh, pairing code, unlink) and the gateway's reports (webhooks, the
simulator) come here; so does the supervisor's `tick`, once a second, which hands out the next QR
code when the current one expires, fails a linking that ran out of codes, polls the gateway, and
reconnects a lost connection with backoff. The decisions are the channel aggregate's; this service
asks the gateway for what they need and submits commands. Every method blocks: call it from a
thread (the supervisor's, or `anyio.to_thread` in async code)."""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta
from typing import Any, Protocol

from application import channel as ch
from application.phones import to_e164
from application.ports import Clock, GatewayError, GatewaySession, LinkedAccount, WhatsAppGateway
from domain.channel import (
    LINKING,
    AlreadyLinked,
    ChannelState,
    ChannelStatus,
    Due,
    LinkMethod,
    NotLinked,
)
from domain.errors import DomainError

log = logging.getLogger(__name__)


class SyncBus(Protocol):
    def execute_sync(self, command: object) -> Any:
        """Runs the command and stores its events before answering (or raises its error)."""


class WhatsAppService:
    def __init__(
        self, *, bus: SyncBus, gateway: WhatsAppGateway, clock: Clock,
        poll_seconds: float = 2.0, health_seconds: float = 30.0, pairing_wait_seconds: float = 10.0,
    ) -> None:
        self.gateway = gateway
        self._bus = bus
        self._clock = clock
        self._poll = poll_seconds
        self._health = health_seconds
        self._pairing_wait = pairing_wait_seconds
        self._lock = threading.RLock()
        self._resumed = False
        self._next_poll: datetime | None = None

    # -- admins ----------------------------------------------------------------------------
    def start_linking(self, actor: str, method: LinkMethod = LinkMethod.QR) -> ChannelState:
        with self._lock:
            outcome = self._run(ch.StartLinking(method=method.value, now=self._now(),
                                                actor=actor))
            return self._start_gateway(outcome)

    def refresh(self, actor: str) -> ChannelState:
        """"Refresh code": a new series of QR codes (a failed linking starts again too)."""
        with self._lock:
            outcome = self._run(ch.RefreshLinking(now=self._now(), actor=actor))
            return self._start_gateway(outcome)

    def request_pairing_code(self, phone: str, actor: str) -> ChannelState:
        """Links by a code entered on the phone instead of a scan; QR codes stay the fallback."""
        number = to_e164(phone)
        with self._lock:
            state = self._check().state
            if state.linked:
                raise AlreadyLinked("WhatsApp is linked already: unlink it first.")
            if state.status not in LINKING:
                state = self.start_linking(actor, LinkMethod.PAIRING_CODE)
                if state.status not in LINKING:
                    return state
            self._wait_for_scan_screen()
            code = self.gateway.request_pairing_code(number)
            return self._run(ch.IssuePairingCode(phone=number, code=code, actor=actor)).state

    def unlink(self, actor: str) -> ChannelState:
        with self._lock:
            state = self._check().state
            if state.status == ChannelStatus.STOPPED:
                raise NotLinked("WhatsApp is not linked.")
            reason = "Unlinked by an admin." if state.linked else "Linking cancelled by an admin."
            try:
                self.gateway.logout()
            except GatewayError as error:
                reason += f" The gateway did not confirm the logout: {error.message}"
            self._next_poll = None
            return self._run(ch.UnlinkWhatsApp(reason=reason, actor=actor)).state

    def update_settings(self, *, in_service: bool, employees_may_write_first: bool,
                        actor: str) -> ChannelState:
        return self._run(ch.UpdateMessengerSettings(
            in_service=in_service, employees_may_write_first=employees_may_write_first,
            actor=actor)).state

    # -- the gateway -----------------------------------------------------------------------
    def gateway_reported(self, session: GatewaySession) -> ChannelState:
        """What a webhook (or the simulator) says about the session, as it happens."""
        with self._lock:
            outcome = self._report(session)
            return self._follow(outcome, session)

    def gateway_changed(self, hint: GatewaySession) -> ChannelState:
        """A webhook says the session changed. Webhooks arrive late, out of order and repeated,
        so the gateway is asked how the session is now; the hint counts only when it cannot
        answer."""
        with self._lock:
            try:
                session = self.gateway.status()
            except GatewayError:
                session = hint
            return self._follow(self._report(session), session)

    # -- the supervisor --------------------------------------------------------------------
    def tick(self) -> ChannelState:
        """One step of the supervisor; safe to call at any rate."""
        with self._lock:
            if not self._resumed:
                self._resume()
            outcome = self._check()
            state = outcome.state
            now = self._now()
            if outcome.due == Due.RECONNECT:
                return self._reconnect()
            if outcome.due == Due.QR_CODE:
                return self._next_qr(state)
            watching = state.status in LINKING and not state.reconnecting
            working = state.status == ChannelStatus.WORKING
            if (watching or working) and (self._next_poll is None or now >= self._next_poll):
                self._next_poll = now + _seconds(self._poll if watching else self._health)
                try:
                    session = self.gateway.status()
                except GatewayError as error:
                    session = GatewaySession(ChannelStatus.STARTING.value, reason=error.message)
                    if watching:
                        return state  # a gateway that does not answer yet: try again soon
                return self._follow(self._report(session), session)
            return state

    # -- inside ----------------------------------------------------------------------------
    def _start_gateway(self, outcome: ch.Outcome) -> ChannelState:
        try:
            session = self.gateway.start()
        except GatewayError as error:
            return self._run(ch.FailLinking(reason=f"The gateway could not start: "
                                                   f"{error.message}")).state
        self._next_poll = None
        return self._follow(self._report(session), session)

    def _follow(self, outcome: ch.Outcome, session: GatewaySession | None) -> ChannelState:
        """After a report: hand out the first QR code as soon as the gateway shows one."""
        state = outcome.state
        if state.status not in LINKING or state.reconnecting:
            return state
        if outcome.due == Due.QR_CODE or (
                state.qr_sequence == 0 and session is not None
                and session.status == ChannelStatus.SCAN_QR_CODE.value):
            return self._next_qr(state)
        return state

    def _next_qr(self, state: ChannelState) -> ChannelState:
        if not self.gateway.supports_linking:
            return state
        try:
            value = self.gateway.qr_code()
        except GatewayError as error:
            log.info("no QR code from the gateway yet: %s", error.message)
            try:
                session = self.gateway.status()
            except GatewayError:
                return state
            if session.status != ChannelStatus.SCAN_QR_CODE.value:
                return self._report(session).state
            return state
        try:
            return self._run(ch.IssueQrCode(sequence=state.qr_sequence + 1, value=value,
                                            now=self._now())).state
        except DomainError as error:  # another replica or a report got there first
            log.info("QR code not recorded: %s", error.message)
            return self._check().state

    def _reconnect(self) -> ChannelState:
        try:
            session = self.gateway.reconnect()
        except GatewayError as error:
            session = GatewaySession(ChannelStatus.FAILED.value, reason=error.message)
        if session.status in (ChannelStatus.WORKING.value, ChannelStatus.SCAN_QR_CODE.value):
            self._next_poll = None
            return self._report(session).state
        reason = session.reason or f"The gateway is {session.status}."
        return self._run(ch.RecordReconnectFailure(reason=f"Reconnecting failed: {reason}",
                                                   now=self._now())).state

    def _resume(self) -> None:
        state = self._check().state
        account = LinkedAccount(state.phone, state.device) if state.linked else None
        try:
            self.gateway.resume(account)
        except GatewayError as error:
            log.warning("the gateway did not resume: %s", error.message)
        self._resumed = True

    def _wait_for_scan_screen(self) -> None:
        deadline = time.monotonic() + self._pairing_wait
        while True:
            session = self.gateway.status()
            if session.status == ChannelStatus.SCAN_QR_CODE.value:
                return
            if time.monotonic() >= deadline:
                raise GatewayError("The gateway is not ready for a pairing code yet; try again "
                                   "in a few seconds.", code="GATEWAY_NOT_READY")
            time.sleep(0.2)

    def _report(self, session: GatewaySession) -> ch.Outcome:
        account = session.account
        return self._run(ch.ReportGatewayStatus(
            status=session.status, phone=account.phone if account else "",
            device=account.device if account else "", reason=session.reason, now=self._now()))

    def _check(self) -> ch.Outcome:
        return self._run(ch.CheckChannel(now=self._now()))

    def _run(self, command: object) -> ch.Outcome:
        outcome: ch.Outcome = self._bus.execute_sync(command)
        return outcome

    def _now(self) -> datetime:
        return self._clock.now()


def _seconds(value: float) -> timedelta:
    return timedelta(seconds=value)
