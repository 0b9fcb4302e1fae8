"""Click-to-call (``/v1/click2call``, ``/v1/click2call/async``, ``/v2/click2call``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Required, Unpack

import aiohttp
import msgspec

from ..._core.options import RequestExtras
from ..._core.resource import AsyncResource
from ..._core.transport import Timeout
from ..._core.validation import require
from .._validation import check_phone
from ..models import Click2CallResult

if TYPE_CHECKING:
    from ..client import AsyncTel4vnClient

__all__ = ("AsyncClick2Call", "CallOptions", "ClickCall")

_result = msgspec.json.Decoder(Click2CallResult)

# The synchronous endpoint holds the request open until the agent picks up or
# rejects; the 30 s default would cut off a slow agent.
_RING_TIMEOUT = aiohttp.ClientTimeout(total=120.0, connect=5.0)


class CallOptions(RequestExtras, total=False):
    """What both ``GET`` variants take besides ``ext`` and ``phone`` (all optional).

    Caller-id names and numbers shown to the agent (``src_*``) and to the customer
    (``dest_*``), ``auto_answer`` on the agent's phone, the ``hotline`` to call from and the
    ``customer_id`` to attach; plus the per-call extras (:class:`RequestExtras`).
    """

    src_cid_name: str | None
    src_cid_number: str | None
    dest_cid_name: str | None
    dest_cid_number: str | None
    auto_answer: bool | None
    hotline: str | None
    customer_id: str | None


class ClickCall(CallOptions, total=False):
    """What ``call`` and ``call_nowait`` take: ``ext`` (the agent's extension) and ``phone``
    (the customer's number), both required, ``timeout`` and the :class:`CallOptions`."""

    ext: Required[str]
    phone: Required[str]
    timeout: Timeout | None


class AsyncClick2Call(AsyncResource["AsyncTel4vnClient"]):
    """Ring an agent's extension, then dial the customer.

    Placing a call is never retried once the request may have reached the
    server. ``{"status": "fail", "error": "USER_BUSY"}`` (HTTP 200) raises
    ``ProviderError`` with ``code`` ``USER_BUSY`` / ``USER_NOT_REGISTERED``.
    """

    def _params(self, call: ClickCall) -> dict[str, Any]:
        ext, phone = call["ext"], call["phone"]
        require(ext=ext, phone=phone)
        check_phone(phone, "phone")
        return {
            "ext": ext,
            "phone": phone,
            "src_cid_name": call.get("src_cid_name"),
            "src_cid_number": call.get("src_cid_number"),
            "dest_cid_name": call.get("dest_cid_name"),
            "dest_cid_number": call.get("dest_cid_number"),
            "auto_answer": call.get("auto_answer"),
            "hotline": call.get("hotline"),
            "customer_id": call.get("customer_id"),
        }

    async def _place(self, path: str, call: ClickCall, timeout: Timeout | None) -> Click2CallResult:
        return await self._client._request(
            "GET", path, _result, params=self._params(call), timeout=timeout, idempotent=False
        )

    async def call(self, **call: Unpack[ClickCall]) -> Click2CallResult:
        """``GET /v1/click2call``: waits until the extension answers or hangs up (120 s)."""
        return await self._place("/v1/click2call", call, call.get("timeout") or _RING_TIMEOUT)

    async def call_nowait(self, **call: Unpack[ClickCall]) -> Click2CallResult:
        """``GET /v1/click2call/async``: returns the ``call_id`` at once (extension online)."""
        return await self._place("/v1/click2call/async", call, call.get("timeout"))

    async def call_customer(
        self,
        *,
        customer_id: str,
        mobile: str,
        agent: str,
        timeout: Timeout | None = None,
        **extras: Unpack[RequestExtras],
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
