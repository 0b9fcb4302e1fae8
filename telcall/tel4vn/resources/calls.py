"""Live calls and call control (``/v2/call``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Unpack

import msgspec

from ..._core.options import RequestExtras
from ..._core.resource import AsyncResource
from ..._core.transport import Timeout
from ..._core.validation import path_segment, require
from ..models import CallControlResult, LiveCallList

if TYPE_CHECKING:
    from ..client import AsyncTel4vnClient

__all__ = ("AsyncCalls",)

_list = msgspec.json.Decoder(LiveCallList)
_control = msgspec.json.Decoder(CallControlResult)


class AsyncCalls(AsyncResource["AsyncTel4vnClient"]):
    """Calls in progress; a ``{"status": "fail"}`` answer raises ``ProviderError``."""

    async def list(
        self, *, timeout: Timeout | None = None, **extras: Unpack[RequestExtras]
    ) -> LiveCallList:
        """``GET /v2/call``: the calls in progress right now."""
        return await self._client._request("GET", "/v2/call", _list, timeout=timeout)

    async def _control(
        self, action: str, call_id: str, ext: str, timeout: Timeout | None
    ) -> CallControlResult:
        segment = path_segment(call_id, "call_id")
        require(ext=ext)
        # Moving a live call is not safe to repeat once the server may have seen it.
        return await self._client._request(
            "POST",
            f"/v2/call/{segment}/{action}",
            _control,
            json={"ext": ext},
            timeout=timeout,
            idempotent=False,
        )

    async def transfer(
        self,
        call_id: str,
        *,
        ext: str,
        timeout: Timeout | None = None,
        **extras: Unpack[RequestExtras],
    ) -> CallControlResult:
        """``POST /v2/call/<call_id>/transfer``: hand the call to extension ``ext``."""
        return await self._control("transfer", call_id, ext, timeout)

    async def listen(
        self,
        call_id: str,
        *,
        ext: str,
        timeout: Timeout | None = None,
        **extras: Unpack[RequestExtras],
    ) -> CallControlResult:
        """``POST /v2/call/<call_id>/listen``: extension ``ext`` listens in silently."""
        return await self._control("listen", call_id, ext, timeout)

    async def whisper(
        self,
        call_id: str,
        *,
        ext: str,
        timeout: Timeout | None = None,
        **extras: Unpack[RequestExtras],
    ) -> CallControlResult:
        """``POST /v2/call/<call_id>/whisper``: ``ext`` coaches the agent, unheard by the caller."""
        return await self._control("whisper", call_id, ext, timeout)

    async def barge(
        self,
        call_id: str,
        *,
        ext: str,
        timeout: Timeout | None = None,
        **extras: Unpack[RequestExtras],
    ) -> CallControlResult:
        """``POST /v2/call/<call_id>/barge``: ``ext`` joins a three-way call."""
        return await self._control("barge", call_id, ext, timeout)
