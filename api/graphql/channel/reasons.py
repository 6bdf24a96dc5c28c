"""The WhatsApp channel's reasons as codes with parameters, which the panel says in the reader's
language (`wa.reason.<CODE>`).

The channel's events keep their reason as an English sentence (stored events live forever), so
the sentences this system writes are read back here into codes; what a gateway said in its own
words comes back as GATEWAY with the words as data (`text`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# The sentences domain/channel.py, application/channel.py, application/whatsapp.py and
# projections/channel.py write, each with its code; groups become parameters.
_SENTENCES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (code, re.compile(pattern)) for code, pattern in (
        ("DEV_START", r"Development start: the simulated phone links itself\."),
        ("QR_REFRESHED", r"The code was refreshed: a new series starts\."),
        ("QR_NOT_OFFERED", r"The gateway offered no QR code in time\."),
        ("QR_ALL_EXPIRED", r"No code was scanned: all (?P<count>\d+) QR codes expired\..*"),
        ("QR_SHOWN", r"QR code (?P<sequence>\d+) of (?P<of>\d+) is shown: .*"),
        ("PAIRING_CODE", r"A pairing code was issued for (?P<phone>.+)\."),
        ("LINKED_ON", r"Linked as (?P<phone>.+?) on (?P<device>.+)\."),
        ("LINKED", r"Linked as (?P<phone>.+)\."),
        ("LINKING_FAILED", r"Linking failed\."),
        ("UNLINKED", r"Unlinked\."),
        ("LOGGED_OUT", r"The phone logged this device out: link it again\."),
        ("CONNECTION_LOST", r"The connection was lost\."),
        ("NO_CONNECTION", r"No connection\."),
        ("RECONNECTED", r"The connection is back\."),
        ("GATEWAY_STATUS", r"The gateway (?:reports|is) (?P<status>[A-Z_]+)\."),
        ("IN_SERVICE_WRITE_FIRST", r"In service; employees may write first\."),
        ("IN_SERVICE", r"In service; employees may not write first\."),
        ("OUT_OF_SERVICE_WRITE_FIRST", r"Out of service; employees may write first\."),
        ("OUT_OF_SERVICE", r"Out of service; employees may not write first\."),
        ("HELD_RELEASED", r"(?P<count>\d+) message\(s\) kept while out of service were "
                          r"delivered to the operators\."),
    ))
# Sentences that wrap another reason: the inner one is read too (`inner`).
_WRAPPERS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (code, re.compile(pattern)) for code, pattern in (
        ("RECONNECT_ATTEMPT", r"Attempt (?P<attempt>\d+): (?P<rest>.*)"),
        ("RECONNECT_FAILED", r"Reconnecting failed: (?P<rest>.*)"),
        ("GATEWAY_NOT_STARTED", r"The gateway could not start: (?P<rest>.*)"),
    ))
_NUMBERS = {"count", "sequence", "of", "attempt"}


@dataclass(frozen=True)
class Reason:
    code: str
    params: dict[str, str | int] = field(default_factory=dict)
    inner: Reason | None = None

    def as_params(self) -> dict[str, object]:
        """The parameters, with a wrapped reason under `inner` ({code, params})."""
        params: dict[str, object] = dict(self.params)
        if self.inner is not None:
            params["inner"] = {"code": self.inner.code, "params": self.inner.as_params()}
        return params


def _params(found: re.Match[str]) -> dict[str, str | int]:
    return {k: int(v) if k in _NUMBERS else v for k, v in found.groupdict().items()
            if k != "rest"}


def reason_of(text: str) -> Reason:
    """The code of a reason this system wrote; GATEWAY (the words as `text`) for any other;
    EMPTY for none."""
    text = text.strip()
    if not text:
        return Reason("EMPTY")
    for code, pattern in _SENTENCES:
        if found := pattern.fullmatch(text):
            return Reason(code, _params(found))
    for code, pattern in _WRAPPERS:
        if found := pattern.fullmatch(text):
            return Reason(code, _params(found), reason_of(found.group("rest")))
    return Reason("GATEWAY", {"text": text})
