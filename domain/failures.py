"""What failing attempts share across the domain (sends, downloads, reconnections): the reason
kept as one short line, and trying again later with exponential backoff."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

MAX_REASON = 500


def one_line(reason: str) -> str:
    """A reason as recorded: whitespace folded, at most MAX_REASON characters."""
    return " ".join(reason.split())[:MAX_REASON]


def retry_delay(attempt: int, first: timedelta, cap: timedelta) -> timedelta:
    """first, twice that, four times, … at most `cap`, after the `attempt`-th failed attempt."""
    factor = 2 ** min(max(attempt - 1, 0), 30)
    delay: timedelta = first * factor
    return min(delay, cap)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how soon a failed attempt is tried again."""

    max_attempts: int = 5
    first_delay_seconds: float = 2.0
    max_delay_seconds: float = 300.0

    def delay(self, attempt: int) -> timedelta:
        return retry_delay(attempt, timedelta(seconds=self.first_delay_seconds),
                           timedelta(seconds=self.max_delay_seconds))


NO_RETRY = RetryPolicy(max_attempts=1, first_delay_seconds=0, max_delay_seconds=0)
