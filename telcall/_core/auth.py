"""Token providers: obtain, cache, refresh before expiry, refresh once on 401.

Refresh is single-flight, in success and in failure: however many requests
find the token stale at the same moment, exactly one of them fetches a new one
(with the transport's retries) and the rest wait for it. If that fetch fails,
every waiter gets its error, and calls within ``cooldown`` seconds after it get
the same error without sending anything, so a token endpoint that is down is
not hammered by every caller in turn.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from types import TracebackType

from .errors import TransportTimeout
from .redaction import mask

__all__ = ("DEFAULT_TOKEN_COOLDOWN", "CachedToken", "StaticToken", "TokenProvider", "TokenSource")


#: Fetches a fresh token; returns ``(token, lifetime in seconds or None)``.
TokenSource = Callable[[], Awaitable[tuple[str, float | None]]]

#: Seconds after a failed token fetch before the next one may start.
DEFAULT_TOKEN_COOLDOWN = 1.0


class TokenProvider:
    """Interface of the objects a client asks for its current token."""

    async def get(self) -> str:
        """A token valid now (fetching one if needed)."""
        raise NotImplementedError

    def invalidate(self, token: str) -> bool:
        """Forget ``token`` after the server refused it; False if it cannot be renewed."""
        raise NotImplementedError


class StaticToken(TokenProvider):
    """A ready-made token supplied by the caller; it cannot be renewed."""

    def __init__(self, token: str) -> None:
        self._token = token

    async def get(self) -> str:
        """Return the token as given."""
        return self._token

    def invalidate(self, token: str) -> bool:
        """A caller-supplied token has no source to renew it from."""
        return False

    def __repr__(self) -> str:
        return f"StaticToken(token={mask(self._token)})"


class CachedToken(TokenProvider):
    """Cache a token from ``source`` and renew it ``margin`` before it runs out.

    The margin is ``min(margin, lifetime / 10)`` so short-lived tokens are not
    renewed on every call. A failed fetch is shared with its waiters and
    repeated to callers for ``cooldown`` seconds.
    """

    def __init__(
        self,
        source: TokenSource,
        *,
        margin: float = 300.0,
        cooldown: float = DEFAULT_TOKEN_COOLDOWN,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._source = source
        self._margin = margin
        self._cooldown = cooldown
        self._clock = clock
        self._token: str | None = None
        self._refresh_at = 0.0
        self._lock: asyncio.Lock | None = None
        # How many fetches have finished; a waiter that saw fewer knows one ended while it waited.
        self._finished = 0
        self._failure: Exception | None = None
        self._failure_tb: TracebackType | None = None
        self._retry_at = 0.0

    def _fresh(self) -> str | None:
        if self._token is not None and self._clock() < self._refresh_at:
            return self._token
        return None

    async def get(self) -> str:
        """The cached token, or a new one if it is missing or about to expire."""
        token = self._fresh()
        if token is not None:
            return token
        if self._lock is None:
            self._lock = asyncio.Lock()
        seen = self._finished
        async with self._lock:
            # Another caller may have refreshed while we waited for the lock.
            token = self._fresh()
            if token is not None:
                return token
            failure = self._failure
            if failure is not None and (seen != self._finished or self._clock() < self._retry_at):
                # Shared the way asyncio.Future shares an exception with every awaiter.
                raise failure.with_traceback(self._failure_tb)
            try:
                token, lifetime = await self._source()
            except Exception as exc:
                if not _callers_own(exc):
                    self._finished += 1
                    self._failure, self._failure_tb = exc, exc.__traceback__
                    self._retry_at = self._clock() + self._cooldown
                raise
            self._finished += 1
            self._failure = self._failure_tb = None
            now = self._clock()
            if lifetime is None or lifetime <= 0:
                self._refresh_at = float("inf")
            else:
                self._refresh_at = now + lifetime - min(self._margin, lifetime / 10)
            self._token = token
            return token

    def invalidate(self, token: str) -> bool:
        """Drop ``token`` if it is still the cached one; the next :meth:`get` renews."""
        if self._token == token:
            self._token = None
            self._refresh_at = 0.0
        return True

    def __repr__(self) -> str:
        return f"CachedToken(token={mask(self._token)})"


def _callers_own(exc: Exception) -> bool:
    """Whether a fetch failed because of the fetching caller's deadline, not the endpoint."""
    return isinstance(exc, TransportTimeout) and exc.timeout == "deadline"
