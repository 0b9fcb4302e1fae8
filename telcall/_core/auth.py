"""Token providers: obtain, cache, refresh before expiry, refresh once on 401.

Refresh is single-flight: however many requests find the token stale at the
same moment, exactly one of them fetches a new one and the rest wait for it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from .redaction import mask

__all__ = ("CachedToken", "StaticToken", "TokenProvider", "TokenSource")

logger = logging.getLogger("telcall")

#: Fetches a fresh token; returns ``(token, lifetime in seconds or None)``.
TokenSource = Callable[[], Awaitable[tuple[str, float | None]]]


class TokenProvider:
    """Interface of the objects a client asks for its current token."""

    async def get(self) -> str:
        """A token valid now (fetching one if needed)."""
        raise NotImplementedError

    def invalidate(self, token: str) -> bool:
        """Forget ``token`` after the server refused it; False if it cannot be renewed."""
        raise NotImplementedError

    @property
    def current(self) -> str | None:
        """The cached token, if any (used to scrub it from messages)."""
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

    @property
    def current(self) -> str | None:
        """The token as given."""
        return self._token

    def __repr__(self) -> str:
        return f"StaticToken(token={mask(self._token)})"


class CachedToken(TokenProvider):
    """Cache a token from ``source`` and renew it ``margin`` before it runs out.

    The margin is ``min(margin, lifetime / 10)`` so short-lived tokens are not
    renewed on every call.
    """

    def __init__(
        self,
        source: TokenSource,
        *,
        margin: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._source = source
        self._margin = margin
        self._clock = clock
        self._token: str | None = None
        self._refresh_at = 0.0
        self._lock: asyncio.Lock | None = None

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
        async with self._lock:
            # Another caller may have refreshed while we waited for the lock.
            token = self._fresh()
            if token is not None:
                return token
            token, lifetime = await self._source()
            now = self._clock()
            if lifetime is None or lifetime <= 0:
                self._refresh_at = float("inf")
            else:
                self._refresh_at = now + lifetime - min(self._margin, lifetime / 10)
            self._token = token
            logger.debug("obtained a new access token (lifetime %s s)", lifetime)
            return token

    def invalidate(self, token: str) -> bool:
        """Drop ``token`` if it is still the cached one; the next :meth:`get` renews."""
        if self._token == token:
            self._token = None
            self._refresh_at = 0.0
        return True

    @property
    def current(self) -> str | None:
        """The cached token, if any."""
        return self._token

    def __repr__(self) -> str:
        return f"CachedToken(token={mask(self._token)})"
