"""IVR autocall queues (``/v2/autocall/queue``)."""

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
from ..models import AutocallCustomer, AutocallImportResult, AutocallResult

if TYPE_CHECKING:
    from ..client import AsyncTel4vnClient

__all__ = ("AsyncAutocall",)

_import = msgspec.json.Decoder(AutocallImportResult)
_result = msgspec.json.Decoder(AutocallResult)


def _customers(customers: Sequence[AutocallCustomer | Mapping[str, Any]]) -> list[dict[str, Any]]:
    if not customers:
        raise ValidationError("customers must not be empty")
    wire = []
    for index, customer in enumerate(customers):
        if isinstance(customer, Mapping):
            if "id" not in customer or "mobiles" not in customer:
                raise ValidationError(f"customers[{index}] needs 'id' and 'mobiles'")
            customer = AutocallCustomer.from_wire(dict(customer))
        require(**{f"customers[{index}].id": customer.id})
        if not customer.mobiles:
            raise ValidationError(f"customers[{index}].mobiles must not be empty")
        for mobile in customer.mobiles:
            check_phone(mobile, f"customers[{index}].mobiles")
        wire.append(customer.to_wire())
    return wire


class AsyncAutocall(AsyncResource["AsyncTel4vnClient"]):
    """Robocall queues driven by an IVR template; customers keep their template fields."""

    async def import_queue(
        self,
        *,
        queue_code: str,
        template: str,
        customers: Sequence[AutocallCustomer | Mapping[str, Any]],
        concurrent_call: int | None = None,
        max_recall_count: int | None = None,
        min_recall_duration: int | None = None,
        timeout: Timeout | None = None,
        **extras: Unpack[RequestExtras],
    ) -> AutocallImportResult:
        """``POST /v2/autocall/queue``: load customers; ``data.success``/``data.fail`` list ids."""
        require(queue_code=queue_code, template=template)
        for name, value in (
            ("concurrent_call", concurrent_call),
            ("max_recall_count", max_recall_count),
            ("min_recall_duration", min_recall_duration),
        ):
            if value is not None and value < 0:
                raise ValidationError(f"{name} must be >= 0, got {value}")
        body: dict[str, Any] = {"queue_code": queue_code, "template": template}
        if concurrent_call is not None:
            body["concurrent_call"] = concurrent_call
        if max_recall_count is not None:
            body["max_recall_count"] = max_recall_count
        if min_recall_duration is not None:
            body["min_recall_duration"] = min_recall_duration
        body["customers"] = _customers(customers)
        return await self._client._request(
            "POST", "/v2/autocall/queue", _import, json=body, timeout=timeout, idempotent=False
        )

    async def dnc(
        self,
        queue_code: str,
        *,
        customer_ids: Sequence[str],
        timeout: Timeout | None = None,
        **extras: Unpack[RequestExtras],
    ) -> AutocallResult:
        """``POST /v2/autocall/queue/dnc``: do not call these customers (if not dialled yet)."""
        require(queue_code=queue_code)
        if not customer_ids or any(not c for c in customer_ids):
            raise ValidationError("customer_ids must be a non-empty list of non-empty ids")
        return await self._client._request(
            "POST",
            "/v2/autocall/queue/dnc",
            _result,
            json={"queue_code": queue_code, "customers": [{"id": c} for c in customer_ids]},
            timeout=timeout,
            idempotent=True,
        )

    async def _control(
        self, action: str, queue_code: str, timeout: Timeout | None
    ) -> AutocallResult:
        require(queue_code=queue_code)
        return await self._client._request(
            "POST",
            f"/v2/autocall/queue/{action}",
            _result,
            json={"queue_code": queue_code},
            timeout=timeout,
            idempotent=True,
        )

    async def stop(
        self, queue_code: str, *, timeout: Timeout | None = None, **extras: Unpack[RequestExtras]
    ) -> AutocallResult:
        """``POST /v2/autocall/queue/stop``: pause a running queue."""
        return await self._control("stop", queue_code, timeout)

    async def start(
        self, queue_code: str, *, timeout: Timeout | None = None, **extras: Unpack[RequestExtras]
    ) -> AutocallResult:
        """``POST /v2/autocall/queue/start``: resume a paused queue."""
        return await self._control("start", queue_code, timeout)

    async def delete(
        self, queue_code: str, *, timeout: Timeout | None = None, **extras: Unpack[RequestExtras]
    ) -> AutocallResult:
        """``POST /v2/autocall/queue/delete``: withdraw a (stopped) queue."""
        return await self._control("delete", queue_code, timeout)
