"""Read receipts and "typing…" at the gateways: what a client sees of the operators' attention.

A courtesy, sent in the background by the job "client-receipts" of the one runner
(infra/runner.py), never inside a request or the writer, and never the operator's failure: a
gateway that is down or refuses is logged and the job moves on (nothing is tried again).

- Read receipts. MarkRead answers which of the client's messages nobody had read before (the
  dialog's own count, `Read`, decided inside the writer: a second operator reading, or the same
  one reopening, finds none). `read` queues those; the job looks up the gateway's ids of the
  messages in the inbox read model (waiting up to `WAIT_FOR_INBOX` for one that has not caught
  up) and calls the dialog's channel's gateway `mark_read` once. A replica that stops before the
  job ran has not sent the receipt; nothing sends it twice. Off with
  SWITCHBOARD_SEND_READ_RECEIPTS=false.
- "Typing…". `typing` takes what the panel says while an operator writes (only one who may
  write in the dialog: a recipient, while nobody else holds it). The gateway hears a dialog at
  most once every `TYPING_EVERY`: a wish like the last one sent within it is dropped (the
  messenger still shows it), a different one (stopped, typing again) waits for the end of it,
  the latest wish replacing an older one. Messengers end "typing…" by themselves when a message
  comes (Telegram after 5 s, the Cloud API after 25 s; WAHA's startTyping lasts until
  stopTyping)."""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from uuid import UUID

from application.channels import Channels, Outbound
from application.handlers import Read
from application.ports import Clock, GatewayError
from infra.runner import Runner
from infra.settings import Settings
from infra.views import ViewsDatabase
from projections import inbox as view

log = logging.getLogger(__name__)
JOB = "client-receipts"
POLL_SECONDS = 1.0  # waiting receipts and deferred typing go out at the latest then
TYPING_EVERY = timedelta(seconds=5)
WAIT_FOR_INBOX = timedelta(seconds=30)
REMEMBERED = 10_000  # dialogs whose last typing call is remembered


@dataclass(frozen=True)
class _Receipt:
    read: Read
    until: datetime  # the inbox has not shown the messages by then: send what it shows


@dataclass(frozen=True)
class _Typing:
    on: bool
    channel: str
    to: str
    latest: str | None
    at: datetime  # when it went to the gateway (for the one sent last)


@dataclass
class ReceiptsReport:
    receipts: int = 0  # mark_read calls that went through
    typing: int = 0  # typing calls that went through
    failed: int = 0


class ClientReceipts:
    def __init__(self, settings: Settings, views: ViewsDatabase, channels: Channels,
                 clock: Clock) -> None:
        self.settings = settings
        self.views = views
        self.channels = channels
        self.clock = clock
        self._lock = threading.Lock()
        self._receipts: deque[_Receipt] = deque()
        self._wishes: dict[UUID, _Typing] = {}  # each dialog's latest wish not sent yet
        self._sent: dict[UUID, _Typing] = {}  # each dialog's typing call sent last
        self._runner: Runner | None = None

    def start(self, runner: Runner) -> None:
        if self._runner is None:
            self._runner = runner
            runner.every(JOB, POLL_SECONDS, self.run_once, at_once=False)

    def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            runner.remove(JOB)

    def _wake(self) -> None:
        runner = self._runner
        if runner is not None:
            runner.wake(JOB)

    # -- what the resolvers ask ----------------------------------------------------------------
    def read(self, read: Read) -> None:
        if not self.settings.send_read_receipts or not read.first_read:
            return
        with self._lock:
            self._receipts.append(_Receipt(read, self.clock.now() + WAIT_FOR_INBOX))
        self._wake()

    def typing(self, dialog_id: UUID, operator_id: UUID, on: bool) -> str:
        with self.views.reader.connect() as conn:
            entry = view.inbox_entry(conn, operator_id, dialog_id)
            if entry is None:
                return "NOT_FOUND"
            if entry.assignee_id not in (None, operator_id):
                return "ALREADY_TAKEN"
            latest = None
            if self.settings.send_read_receipts and entry.message_count:
                found = view.client_message_ids(conn, dialog_id, after=entry.message_count - 1,
                                                up_to=entry.message_count)
                latest = found[0] if found else None
        wish = _Typing(on=on, channel=entry.channel, to=entry.phone, latest=latest,
                       at=self.clock.now())
        with self._lock:
            last = self._sent.get(dialog_id)
            if last is not None and last.on == on and wish.at - last.at < TYPING_EVERY:
                self._wishes.pop(dialog_id, None)  # the messenger shows it still
                return ""
            if last is None and not on:
                self._wishes.pop(dialog_id, None)  # nothing shown: nothing to stop
                return ""
            self._wishes[dialog_id] = wish
        self._wake()
        return ""

    # -- the job -------------------------------------------------------------------------------
    def run_once(self) -> ReceiptsReport:
        report = ReceiptsReport()
        self._send_receipts(report)
        self._send_typing(report)
        return report

    def _send_receipts(self, report: ReceiptsReport) -> None:
        with self._lock:
            due, self._receipts = list(self._receipts), deque()
        later: list[_Receipt] = []
        for receipt in due:
            read = receipt.read
            with self.views.reader.connect() as conn:
                address = view.dialog_address(conn, read.dialog_id)
                ids = view.client_message_ids(conn, read.dialog_id, after=read.after,
                                              up_to=read.up_to)
            shown = len(ids) == read.up_to - read.after
            if (address is None or not shown) and self.clock.now() < receipt.until:
                later.append(receipt)  # the inbox has not caught up with them yet
                continue
            external = [i for i in ids if i]
            if address is None or not external:
                continue
            if self._call("mark_read", read.dialog_id, address.channel, report,
                          partial(_mark_read, address.phone, external)):
                report.receipts += 1
        if later:
            with self._lock:
                self._receipts.extendleft(reversed(later))

    def _send_typing(self, report: ReceiptsReport) -> None:
        now = self.clock.now()
        with self._lock:
            due: dict[UUID, _Typing] = {}
            for dialog_id, wish in list(self._wishes.items()):
                last = self._sent.get(dialog_id)
                if last is not None and now - last.at < TYPING_EVERY:
                    continue  # its turn comes at the end of the last call's interval
                del self._wishes[dialog_id]
                if last is None and not wish.on:
                    continue
                self._sent[dialog_id] = _Typing(wish.on, wish.channel, wish.to, wish.latest,
                                                now)
                due[dialog_id] = wish
            while len(self._sent) > REMEMBERED:
                del self._sent[next(iter(self._sent))]
        for dialog_id, wish in due.items():
            if self._call("typing", dialog_id, wish.channel, report,
                          partial(_typing, wish)):
                report.typing += 1

    def _call(self, what: str, dialog_id: UUID, channel: str, report: ReceiptsReport,
              call: Callable[[Outbound], None]) -> bool:
        try:
            call(self.channels.gateway(channel))
            return True
        except GatewayError as error:
            report.failed += 1
            log.info("%s not shown to the client: %s", what, error.message,
                     extra={"dialog_id": str(dialog_id), "code": error.code})
        except Exception:  # a courtesy: whatever broke, the operator's work goes on
            report.failed += 1
            log.warning("%s not shown to the client", what, exc_info=True,
                        extra={"dialog_id": str(dialog_id)})
        return False


def _typing(wish: _Typing, gateway: Outbound) -> None:
    gateway.typing(wish.to, wish.on, wish.latest)


def _mark_read(to: str, external_ids: list[str], gateway: Outbound) -> None:
    gateway.mark_read(to, external_ids)
