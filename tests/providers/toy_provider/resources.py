"""The toy API's one resource: a listing of calls."""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

from .models import ToyCall

if TYPE_CHECKING:
    from .client import AsyncToyClient

__all__ = ("AsyncCalls",)

_calls = msgspec.json.Decoder(list[ToyCall])


class AsyncCalls:
    """``GET /calls``."""

    def __init__(self, client: AsyncToyClient) -> None:
        self._client = client

    async def list(self, *, start: int = 0, end: int = 2**40) -> list[ToyCall]:
        """The calls started in ``[start, end)`` (epoch seconds)."""
        return await self._client._request(
            "GET", "/calls", _calls, params={"start": start, "end": end}
        )
