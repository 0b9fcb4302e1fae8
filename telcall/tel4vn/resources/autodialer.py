"""Predictive autodialer queues (``/v2/autodialer/queue``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Unpack

import msgspec

from ..._core.errors import ValidationError
from ..._core.options import RequestExtras
from ..._core.resource import AsyncResource
from ..._core.transport import Timeout
from ..._core.validation import require
from .._validation import check_phone
from ..models import AutodialerCustomer, AutodialerQueue, AutodialerResult

if TYPE_CHECKING:
    from ..client import AsyncTel4vnClient

__all__ = ("AsyncAutodialer", "to_dial_customers")

_result = msgspec.json.Decoder(AutodialerResult)


def to_dial_customers(
    customers: Sequence[AutodialerCustomer | Mapping[str, Any]], field: str = "customers"
) -> list[AutodialerCustomer]:
    """Validate customers (id + at least one valid mobile) into wire structs."""
    if not customers:
        raise ValidationError(f"{field} must not be empty")
    result = []
    for index, customer in enumerate(customers):
        if isinstance(customer, Mapping):
            try:
                customer = AutodialerCustomer(
                    id=str(customer["id"]), mobiles=[str(m) for m in customer["mobiles"]]
                )
            except KeyError as exc:
                raise ValidationError(f"{field}[{index}] is missing {exc.args[0]!r}") from None
        require(**{f"{field}[{index}].id": customer.id})
        if not customer.mobiles:
            raise ValidationError(f"{field}[{index}].mobiles must not be empty")
        for mobile in customer.mobiles:
            check_phone(mobile, f"{field}[{index}].mobiles")
        result.append(customer)
    return result


class AsyncAutodialer(AsyncResource["AsyncTel4vnClient"]):
    """Agent-based predictive dialing. Failures arrive as ``{"message": ...}`` and raise."""

    async def import_queue(
        self,
        *,
        campaign_id: str,
        queue_code: str,
        precall_ratio: int | str,
        max_recall_count: int | str,
        queue_agents: str | int,
        customers: Sequence[AutodialerCustomer | Mapping[str, Any]],
        timeout: Timeout | None = None,
        **extras: Unpack[RequestExtras],
    ) -> AutodialerResult:
        """``POST /v2/autodialer/queue``: load customers into a queue (not retried once sent)."""
        require(
            campaign_id=campaign_id,
            queue_code=queue_code,
            precall_ratio=precall_ratio,
            max_recall_count=max_recall_count,
            queue_agents=queue_agents,
        )
        body = AutodialerQueue(
            campaign_id=campaign_id,
            queue_code=queue_code,
            precall_ratio=str(precall_ratio),
            max_recall_count=str(max_recall_count),
            queue_agents=str(queue_agents),
            customers=to_dial_customers(customers),
        )
        return await self._client._request(
            "POST", "/v2/autodialer/queue", _result, json=body, timeout=timeout, idempotent=False
        )

    async def _control(
        self, action: str, queue_code: str, timeout: Timeout | None
    ) -> AutodialerResult:
        require(queue_code=queue_code)
        # Stopping a stopped queue is harmless, so these are safe to retry.
        return await self._client._request(
            "POST",
            f"/v2/autodialer/queue/{action}",
            _result,
            json={"queue_code": queue_code},
            timeout=timeout,
            idempotent=True,
        )

    async def stop(
        self, queue_code: str, *, timeout: Timeout | None = None, **extras: Unpack[RequestExtras]
    ) -> AutodialerResult:
        """``POST /v2/autodialer/queue/stop``: pause a running queue."""
        return await self._control("stop", queue_code, timeout)

    async def start(
        self, queue_code: str, *, timeout: Timeout | None = None, **extras: Unpack[RequestExtras]
    ) -> AutodialerResult:
        """``POST /v2/autodialer/queue/start``: resume a paused queue."""
        return await self._control("start", queue_code, timeout)

    async def delete(
        self, queue_code: str, *, timeout: Timeout | None = None, **extras: Unpack[RequestExtras]
    ) -> AutodialerResult:
        """``POST /v2/autodialer/queue/delete``: withdraw a (stopped) queue."""
        return await self._control("delete", queue_code, timeout)
