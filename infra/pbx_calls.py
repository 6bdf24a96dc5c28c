"""The call-back dialer: each requested call is one AMI conversation (infra/pbx_ami.py) run as
an asyncio task on a loop of its own, in a thread of its own — never in a request, in the
writer or on the runner's few workers, since a call waits for as long as the phone rings. The
outcome is recorded with `FinishCallBack` through the writer. Stopping cancels the calls still
going on and records them FAILED (INTERRUPTED), so no call stays "ringing" for ever."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import threading
from uuid import UUID

from application.calls import CallRequested, FinishCallBack
from application.ports import Clock
from domain.calls import Outcome, Reason
from infra.pbx_ami import AmiAccess, AmiConversation, CallOutcome
from infra.settings import Settings
from infra.writer import GroupCommitWriter

log = logging.getLogger(__name__)
ACTOR = "pbx"


def access_of(settings: Settings) -> AmiAccess:
    return AmiAccess(host=settings.pbx_ami_host.strip(), port=settings.pbx_ami_port,
                     user=settings.pbx_ami_user, secret=settings.pbx_ami_secret,
                     channel=settings.pbx_ami_channel, context=settings.pbx_ami_context,
                     ring_seconds=settings.pbx_ami_ring_seconds,
                     timeout_seconds=settings.pbx_ami_timeout_seconds)


class AmiCallBackDialer:
    """The `CallBackDialer` port over AMI."""

    def __init__(self, settings: Settings, writer: GroupCommitWriter, clock: Clock) -> None:
        self.settings = settings
        self._writer = writer
        self._clock = clock
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._calls: dict[UUID, concurrent.futures.Future[None]] = {}
        self._stopped = False

    @property
    def configured(self) -> bool:
        return self.settings.pbx_ami_configured

    @property
    def dial_rules(self) -> str:
        return self.settings.pbx_ami_dial_rules

    def dial(self, call: CallRequested) -> None:
        with self._lock:
            future = None
            if not self._stopped:
                future = asyncio.run_coroutine_threadsafe(self._converse(call),
                                                          self._ensure_loop())
                self._calls[call.call_id] = future
        if future is None:
            self._finish(call.call_id, CallOutcome(Outcome.FAILED, Reason.INTERRUPTED.value,
                                                   "Switchboard is stopping"))
            return
        future.add_done_callback(lambda _: self._forget(call.call_id))

    def ongoing(self) -> int:
        with self._lock:
            return len(self._calls)

    def stop(self) -> None:
        """Cancels the calls going on (recorded FAILED, INTERRUPTED) and ends the loop."""
        with self._lock:
            self._stopped = True
            calls = dict(self._calls)
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None  # a second stop has nothing to do
        for future in calls.values():
            future.cancel()
        for call_id in calls:
            self._finish(call_id, CallOutcome(Outcome.FAILED, Reason.INTERRUPTED.value,
                                              "Switchboard stopped during the call"))
        if loop is not None:
            loop.call_soon_threadsafe(loop.stop)
        if thread is not None:
            thread.join(5)

    # -- inside -------------------------------------------------------------------------------
    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            self._thread = threading.Thread(target=self._run, args=(loop,), name="call-backs",
                                            daemon=True)
            self._thread.start()
        return self._loop

    @staticmethod
    def _run(loop: asyncio.AbstractEventLoop) -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_forever()
        finally:
            for task in asyncio.all_tasks(loop):
                task.cancel()
            with contextlib.suppress(Exception):
                loop.run_until_complete(asyncio.sleep(0))
            loop.close()

    async def _converse(self, call: CallRequested) -> None:
        conversation = AmiConversation(access_of(self.settings))
        caller = f'"{call.client_name or call.number}" <{call.exten}>'.replace("\n", " ")
        try:
            outcome = await conversation.call(extension=call.extension, exten=call.exten,
                                              caller_id=caller, action_id=call.action_id)
        except Exception as error:  # never leave a call ringing
            log.exception("call back %s failed", call.call_id)
            outcome = CallOutcome(Outcome.FAILED, Reason.CALL_FAILED.value, str(error)[:200])
        log.info("call back %s: %s %s", call.call_id, outcome.outcome.value, outcome.reason,
                 extra={"call": str(call.call_id)})
        await asyncio.to_thread(self._finish, call.call_id, outcome)

    def _finish(self, call_id: UUID, outcome: CallOutcome) -> None:
        try:
            self._writer.execute_sync(FinishCallBack(
                call_id=call_id, outcome=outcome.outcome, reason=outcome.reason,
                detail=outcome.detail, at=self._clock.now(), actor=ACTOR))
        except Exception:
            log.exception("the outcome of call back %s could not be recorded", call_id)

    def _forget(self, call_id: UUID) -> None:
        with self._lock:
            self._calls.pop(call_id, None)
