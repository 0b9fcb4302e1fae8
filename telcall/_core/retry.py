"""When to retry a failed request, and how long to wait.

Pure decisions, no I/O: the transport asks :meth:`RetryPolicy.should_retry`
after each failed attempt and sleeps for :meth:`RetryPolicy.delay`.
"""

from __future__ import annotations

import random
import time
from email.utils import parsedate_to_datetime

__all__ = ("REFUSED_STATUSES", "RETRYABLE_STATUSES", "RetryPolicy", "parse_retry_after")

RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})

# Statuses that promise the request was refused before any processing, so even
# a non-idempotent request may be repeated (RFC 6585 §4).
REFUSED_STATUSES = frozenset({429})


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class RetryPolicy:
    """Exponential backoff with full jitter, bounded by ``max_retries`` and a deadline.

    ``Retry-After`` from the server wins over the computed backoff, capped at
    ``max_retry_after`` so a hostile or confused server cannot park a worker.
    """

    __slots__ = ("base", "cap", "max_retries", "max_retry_after", "rng")

    def __init__(
        self,
        *,
        max_retries: int = 2,
        base: float = 0.5,
        cap: float = 8.0,
        max_retry_after: float = 60.0,
        rng: random.Random | None = None,
    ) -> None:
        if max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        self.max_retries = max_retries
        self.base = base
        self.cap = cap
        self.max_retry_after = max_retry_after
        self.rng = rng or random.Random()

    def should_retry(
        self, attempt: int, *, status: int | None, sent: bool, idempotent: bool
    ) -> bool:
        """Whether attempt number ``attempt`` (1-based) may be followed by another.

        ``status`` is the HTTP status, or ``None`` for a transport failure;
        ``sent`` is False only when the connection demonstrably failed before
        the request left. A non-idempotent call is repeated only then, or after
        a 429, which says the server did not process it.
        """
        if attempt > self.max_retries:
            return False
        if status is not None and status not in RETRYABLE_STATUSES:
            return False
        return idempotent or not sent or status in REFUSED_STATUSES

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to sleep before attempt ``attempt + 1``."""
        if retry_after is not None:
            return min(retry_after, self.max_retry_after)
        return self.rng.uniform(0.0, min(self.cap, self.base * 2 ** (attempt - 1)))
