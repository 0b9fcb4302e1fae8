"""Click-to-call (``/v1/click2call``, ``/v1/click2call/async``, ``/v2/click2call``)."""

from __future__ import annotations

from typing import Any

import aiohttp
import msgspec

from ..._core.transport import Timeout
from ..._core.validation import require
from .._validation import check_phone
from ..models import Click2CallResult
from ._base import AsyncResource

__all__ = ("AsyncClick2Call",)

_result = msgspec.json.Decoder(Click2CallResult)

# The synchronous endpoint holds the request open until the agent picks up or
# rejects; the 30 s default would cut off a slow agent.
_RING_TIMEOUT = aiohttp.ClientTimeout(total=120.0, connect=5.0)


class AsyncClick2Call(AsyncResource):
    """Ring an agent's extension, then dial the customer.

    Placing a call is never retried once the request may have reached the
    server. ``{"status": "fail", "error": "USER_BUSY"}`` (HTTP 200) raises
    ``ProviderError`` with ``code`` ``USER_BUSY`` / ``USER_NOT_REGISTERED``.
    """

    def _params(
        self,
        ext: str,
        phone: str,
        src_cid_name: str | None,
        src_cid_number: str | None,
        dest_cid_name: str | None,
        dest_cid_number: str | None,
        auto_answer: bool | None,
        hotline: str | None,
        customer_id: str | None,
    ) -> dict[str, Any]:
        require(ext=ext, phone=phone)
        check_phone(phone, "phone")
        return {
            "ext": ext,
            "phone": phone,
            "src_cid_name": src_cid_name,
            "src_cid_number": src_cid_number,
            "dest_cid_name": dest_cid_name,
            "dest_cid_number": dest_cid_number,
            "auto_answer": auto_answer,
            "hotline": hotline,
            "customer_id": customer_id,
        }

    async def call(
        self,
        *,
        ext: str,
        phone: str,
        src_cid_name: str | None = None,
        src_cid_number: str | None = None,
        dest_cid_name: str | None = None,
        dest_cid_number: str | None = None,
        auto_answer: bool | None = None,
        hotline: str | None = None,
        customer_id: str | None = None,
        timeout: Timeout | None = None,
    ) -> Click2CallResult:
        """``GET /v1/click2call``: waits until the extension answers or hangs up (120 s)."""
        params = self._params(
            ext,
            phone,
            src_cid_name,
            src_cid_number,
            dest_cid_name,
            dest_cid_number,
            auto_answer,
            hotline,
            customer_id,
        )
        return await self._client._request(
            "GET",
            "/v1/click2call",
            _result,
            params=params,
            timeout=timeout or _RING_TIMEOUT,
            idempotent=False,
        )

    async def call_nowait(
        self,
        *,
        ext: str,
        phone: str,
        src_cid_name: str | None = None,
        src_cid_number: str | None = None,
        dest_cid_name: str | None = None,
        dest_cid_number: str | None = None,
        auto_answer: bool | None = None,
        hotline: str | None = None,
        customer_id: str | None = None,
        timeout: Timeout | None = None,
    ) -> Click2CallResult:
        """``GET /v1/click2call/async``: returns the ``call_id`` at once (extension online)."""
        params = self._params(
            ext,
            phone,
            src_cid_name,
            src_cid_number,
            dest_cid_name,
            dest_cid_number,
            auto_answer,
            hotline,
            customer_id,
        )
        return await self._client._request(
            "GET", "/v1/click2call/async", _result, params=params, timeout=timeout, idempotent=False
        )

    async def call_customer(
        self,
        *,
        customer_id: str,
        mobile: str,
        agent: str,
        timeout: Timeout | None = None,
    ) -> Click2CallResult:
        """``POST /v2/click2call``: call ``customer_id`` on ``mobile`` from extension ``agent``."""
        require(customer_id=customer_id, mobile=mobile, agent=agent)
        check_phone(mobile, "mobile")
        return await self._client._request(
            "POST",
            "/v2/click2call",
            _result,
            json={"id": customer_id, "mobile": mobile, "agent": agent},
            timeout=timeout,
            idempotent=False,
        )
