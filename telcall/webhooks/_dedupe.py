"""Remembering which hook deliveries were already handled.

A receiver marks ``(call_id, state)`` before calling back, so a provider
retry that arrives while (or after) the first delivery is handled is
recognised.  The in-memory store suits one process; several workers need a
shared store, e.g. Redis::

    class RedisDedupeStore:
        def __init__(self, redis: redis.asyncio.Redis) -> None:
            self.redis = redis

        async def seen(self, key: str, ttl: float) -> bool:
            return not await self.redis.set(f"telcall:{key}", 1, nx=True, ex=max(1, int(ttl)))

        async def forget(self, key: str) -> None:
            await self.redis.delete(f"telcall:{key}")
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol

__all__ = ("DedupeStore", "MemoryDedupeStore")


class DedupeStore(Protocol):
    """Where a receiver records the deliveries it has accepted."""

    async def seen(self, key: str, ttl: float) -> bool:
        """Record ``key`` for ``ttl`` seconds; return whether it was already recorded.

        Checking and recording must be one atomic step, or two concurrent
        copies of a delivery could both be handled.
        """
        ...

    async def forget(self, key: str) -> None:
        """Drop ``key`` so the next delivery with it is handled (its callback failed)."""
        ...


class MemoryDedupeStore:
    """In-process store: least recently seen keys go first, and every key expires.

    ``clock`` returns seconds and exists so tests can move time; it must not
    go backwards (the default is :func:`time.monotonic`).
    """

    def __init__(
        self, max_entries: int = 100_000, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self._max_entries = max_entries
        self._clock = clock
        self._expires: OrderedDict[str, float] = OrderedDict()

    def __len__(self) -> int:
        return len(self._expires)

    async def seen(self, key: str, ttl: float) -> bool:
        """Record ``key`` for ``ttl`` seconds; return whether it was already recorded."""
        # No await in here: on one event loop the check and the insert cannot interleave.
        now = self._clock()
        expires = self._expires.get(key)
        if expires is not None and expires > now:
            self._expires.move_to_end(key)
            return True
        self._expires[key] = now + ttl
        self._expires.move_to_end(key)
        self._evict(now)
        return False

    async def forget(self, key: str) -> None:
        """Drop ``key`` so the next delivery with it is handled."""
        self._expires.pop(key, None)

    def _evict(self, now: float) -> None:
        expires = self._expires
        while len(expires) > self._max_entries:
            expires.popitem(last=False)
        # Stops at the first live entry; later expired ones are caught on lookup or by the cap.
        while expires:
            oldest, deadline = next(iter(expires.items()))
            if deadline > now:
                break
            del expires[oldest]
