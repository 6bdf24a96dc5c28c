"""A simulator gateway whose sends the test controls and counts: it can be down, take no
idempotency key (as WAHA and the Cloud API), or refuse as the Cloud API's 24-hour rule does."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from datetime import timedelta

from application.ports import GatewayError
from infra.channels.simulator.gateway import SimulatorWhatsAppGateway


class CountingGateway(SimulatorWhatsAppGateway):
    """Every call to `send_text` is recorded; `sends[key]` counts what actually went out."""

    reply_window: timedelta | None = None

    def __init__(self, *, idempotent: bool = True, number: str = "+15555550100",
                 latency: float = 0.0) -> None:
        super().__init__(number)
        self.idempotent_sends = idempotent
        self.latency = latency  # seconds each send takes: lets racing senders overlap
        self.down: GatewayError | None = None
        self.calls: list[tuple[str, str, str]] = []
        self.sends: Counter[str] = Counter()
        self.texts: list[tuple[str, str]] = []
        self._ids: dict[str, str] = {}
        self._counting = threading.Lock()

    def fail_with(self, code: str = "NOT_CONNECTED", message: str = "The gateway is down.",
                  *, retryable: bool = True) -> None:
        self.down = GatewayError(message, code=code, retryable=retryable)

    def recover(self) -> None:
        self.down = None

    def send_text(self, to: str, text: str, idempotency_key: str) -> str:
        if self.latency:
            time.sleep(self.latency)
        with self._counting:
            self.calls.append((to, text, idempotency_key))
            if self.down is not None:
                raise self.down
            if self.idempotent_sends and idempotency_key in self._ids:
                return self._ids[idempotency_key]
            external_id = f"fake-{uuid.uuid4().hex}"
            self._ids[idempotency_key] = external_id
            self.sends[idempotency_key] += 1
            self.texts.append((to, text))
            return external_id

    @property
    def doubles(self) -> dict[str, int]:
        """What went out twice: never, while sends are idempotent (a repeat under the same key
        is merged, as by the simulator) — see `repeated_calls` for what was asked twice."""
        return {key: n for key, n in self.sends.items() if n > 1}

    @property
    def calls_per_key(self) -> Counter[str]:
        """How many times the gateway was called with each key, merged repeats included."""
        with self._counting:
            return Counter(key for _to, _text, key in self.calls)

    @property
    def repeated_calls(self) -> dict[str, int]:
        """The keys the gateway was called with more than once: a double send with a gateway
        that takes no idempotency key (WAHA, the Cloud API)."""
        return {key: n for key, n in self.calls_per_key.items() if n > 1}
