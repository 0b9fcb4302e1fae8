"""Remembering which hook deliveries are being handled, and which were handled.

A receiver claims ``(call_id, state)`` before calling back and marks it done
after, so a provider retry that arrives *while* the first delivery is handled
is told to come back later (503), and one that arrives *after* it is
acknowledged as a duplicate.  Two protocols are accepted:

- :class:`TwoPhaseDedupeStore` (``begin`` / ``complete`` / ``release``) keeps
  the two states apart, across workers too.  :class:`MemoryDedupeStore`
  implements it for one process; the README has a Redis recipe.
- :class:`DedupeStore` (``seen`` / ``forget``), the original protocol, still
  works but is weaker: it cannot tell "in progress" from "done", so a copy
  that reaches *another* worker while the first is still being handled is
  acknowledged as a duplicate, and lost if that first callback then fails.
  (Within one process the receiver itself turns such copies away.)
"""

from __future__ import annotations

import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Literal, Protocol, TypeAlias

__all__ = ("DedupeState", "DedupeStore", "MemoryDedupeStore", "TwoPhaseDedupeStore")

logger = logging.getLogger("telcall.webhooks")

DedupeState: TypeAlias = Literal["new", "in_progress", "done"]


class DedupeStore(Protocol):
    """The original store protocol: one mark per delivery (see the module notes on its limits)."""

    async def seen(self, key: str, ttl: float) -> bool:
        """Record ``key`` for ``ttl`` seconds; return whether it was already recorded.

        Checking and recording must be one atomic step, or two concurrent
        copies of a delivery could both be handled.
        """
        ...

    async def forget(self, key: str) -> None:
        """Drop ``key`` so the next delivery with it is handled (its callback failed)."""
        ...


class TwoPhaseDedupeStore(Protocol):
    """A store that tells a delivery in progress from one that is done."""

    async def begin(self, key: str, ttl: float) -> DedupeState:
        """Claim ``key`` for ``ttl`` seconds unless it is claimed or done; say which it was.

        ``"new"`` means the caller now holds the claim and must ``complete``
        or ``release`` it.  Checking and claiming must be one atomic step.
        ``ttl`` is the short in-progress lifetime: it frees the key if the
        worker holding the claim dies.
        """
        ...

    async def complete(self, key: str, ttl: float) -> None:
        """Mark ``key`` done for ``ttl`` seconds (the de-duplication window)."""
        ...

    async def release(self, key: str) -> None:
        """Drop the claim on ``key`` (its callback failed) so the next delivery is handled.

        A key that is already done stays done.
        """
        ...


class MemoryDedupeStore:
    """In-process store with both protocols: every key expires, and the size is capped.

    The cap is ``max_entries`` or, by default, enough for ``expected_rate``
    deliveries a second over ``ttl`` seconds: ``max(1000, ceil(rate × ttl))``,
    108,000 keys (~30 MB) for the defaults (30/s, 1 h).  Past the cap the
    oldest keys go first; dropping one that has not expired means a repeat of
    it would be handled again, so that is logged as a warning on the
    ``telcall.webhooks`` logger, at most once every ``warn_interval`` seconds.

    ``clock`` returns seconds and exists so tests can move time; it must not
    go backwards (the default is :func:`time.monotonic`).
    """

    def __init__(
        self,
        max_entries: int | None = None,
        *,
        ttl: float = 3600.0,
        expected_rate: float = 30.0,
        warn_interval: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if ttl <= 0:
            raise ValueError("ttl must be positive")
        if expected_rate <= 0:
            raise ValueError("expected_rate must be positive")
        if max_entries is None:
            max_entries = max(1_000, math.ceil(expected_rate * ttl))
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.max_entries = max_entries
        self._clock = clock
        self._warn_interval = warn_interval
        # Two queues, each in expiry order because each holds keys of one ttl: the short
        # in-progress claims and the long done marks.  A key is in at most one of them.
        self._claims: OrderedDict[str, float] = OrderedDict()
        self._done: OrderedDict[str, float] = OrderedDict()
        self._evicted_live = 0
        self._warned_at: float | None = None

    def __len__(self) -> int:
        return len(self._claims) + len(self._done)

    # No await in any method: on one event loop a check and its update cannot interleave.

    async def begin(self, key: str, ttl: float) -> DedupeState:
        """Claim ``key`` for ``ttl`` seconds unless it is claimed or done; say which it was."""
        now = self._clock()
        if self._live(self._done, key, now):
            return "done"
        if self._live(self._claims, key, now):
            return "in_progress"
        self._claims[key] = now + ttl
        self._evict(now)
        return "new"

    async def complete(self, key: str, ttl: float) -> None:
        """Mark ``key`` done for ``ttl`` seconds."""
        now = self._clock()
        self._claims.pop(key, None)
        self._done.pop(key, None)
        self._done[key] = now + ttl
        self._evict(now)

    async def release(self, key: str) -> None:
        """Drop the claim on ``key``; a done key stays done."""
        self._claims.pop(key, None)

    async def seen(self, key: str, ttl: float) -> bool:
        """Record ``key`` as done for ``ttl`` seconds; return whether it was already recorded."""
        now = self._clock()
        if self._live(self._done, key, now) or self._live(self._claims, key, now):
            return True
        self._done[key] = now + ttl
        self._evict(now)
        return False

    async def forget(self, key: str) -> None:
        """Drop ``key``, claimed or done, so the next delivery with it is handled."""
        self._claims.pop(key, None)
        self._done.pop(key, None)

    @staticmethod
    def _live(entries: OrderedDict[str, float], key: str, now: float) -> bool:
        expires = entries.get(key)
        if expires is None:
            return False
        if expires > now:
            return True
        del entries[key]
        return False

    def _evict(self, now: float) -> None:
        for entries in (self._claims, self._done):
            while entries:
                oldest, expires = next(iter(entries.items()))
                if expires > now:
                    break
                del entries[oldest]
        while len(self) > self.max_entries:
            # Done marks go first: a claim is a callback running right now.
            entries = self._done or self._claims
            entries.popitem(last=False)
            self._evicted_live += 1
        if self._evicted_live and (
            self._warned_at is None or now - self._warned_at >= self._warn_interval
        ):
            logger.warning(
                "webhook dedupe store: its cap of %d keys evicted %d unexpired key(s) "
                "since the last warning, so a repeat of those would be handled again; "
                "size it for the peak rate (max_entries ≈ deliveries per second × ttl) "
                "or use a shared store (e.g. Redis)",
                self.max_entries,
                self._evicted_live,
            )
            self._evicted_live = 0
            self._warned_at = now
