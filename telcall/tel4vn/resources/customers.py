"""Customers uploaded for autodialing (``/v2/customer``)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING, Any, Unpack

import msgspec

from ..._core.errors import ValidationError
from ..._core.options import RequestExtras
from ..._core.pagination import OffsetPagination, Page, check_paging, iterate_items, iterate_pages
from ..._core.paging import Paging, read_paging
from ..._core.raw import last_request_id
from ..._core.resource import AsyncResource
from ..._core.transport import Timeout
from ..._core.validation import path_segment, require
from .._validation import check_phone
from ..models import Customer, CustomerCreated, CustomerList, CustomerResponse, NewCustomer

if TYPE_CHECKING:
    from ..client import AsyncTel4vnClient

__all__ = ("AsyncCustomers", "CustomerFilters", "CustomerPaging")

_list = msgspec.json.Decoder(CustomerList)
_get = msgspec.json.Decoder(CustomerResponse)
_created = msgspec.json.Decoder(CustomerCreated)

MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 100


class CustomerFilters(RequestExtras, total=False):
    """What every customer listing (``list``, ``pages``, ``iterate``) filters by.

    ``campaign_id`` keeps one autodialer campaign's customers; the per-call extras ride along.
    """

    campaign_id: str | None


class CustomerPaging(Paging, CustomerFilters, total=False):
    """What ``pages`` and ``iterate`` take: :class:`Paging` (``page_size`` 100 by default, at
    most 1000) and the :class:`CustomerFilters`."""


class AsyncCustomers(AsyncResource["AsyncTel4vnClient"]):
    """Customers of autodialer campaigns: list, get, create."""

    async def _fetch(self, params: dict[str, Any], timeout: Timeout | None) -> Page[Customer]:
        answer = await self._client._request(
            "GET", "/v2/customer", _list, params=params, timeout=timeout
        )
        return Page(
            answer.data,
            total=answer.total,
            limit=answer.limit,
            offset=answer.offset,
            request_id=last_request_id(),
        )

    async def list(
        self,
        *,
        limit: int = 50,
        offset: int = 0,
        timeout: Timeout | None = None,
        **filters: Unpack[CustomerFilters],
    ) -> Page[Customer]:
        """``GET /v2/customer``: one page (``.items``, ``.total``)."""
        check_paging(
            page_size=limit, max_items=None, concurrency=1, prefetch=0, max_page_size=MAX_PAGE_SIZE
        )
        if offset < 0:
            raise ValidationError(f"offset must be >= 0, got {offset}")
        params = {"campaign_id": filters.get("campaign_id"), "limit": limit, "offset": offset}
        return await self._fetch(params, timeout)

    def pages(self, **options: Unpack[CustomerPaging]) -> AsyncGenerator[Page[Customer], None]:
        """Every page in order; ``concurrency`` pages in flight once ``total`` is known."""
        walk = read_paging(
            options,
            page_size=DEFAULT_PAGE_SIZE,
            max_page_size=MAX_PAGE_SIZE,
            concurrency=options.get("concurrency", 1),
        )
        params = {"campaign_id": options.get("campaign_id"), "limit": walk.page_size, "offset": 0}
        return iterate_pages(
            lambda p: self._fetch(p, walk.timeout),
            OffsetPagination(),
            params,
            max_items=walk.max_items,
            concurrency=walk.concurrency,
            prefetch=walk.prefetch,
        )

    def iterate(self, **options: Unpack[CustomerPaging]) -> AsyncGenerator[Customer, None]:
        """Every customer, page by page (see :meth:`pages`)."""
        return iterate_items(self.pages(**options))

    async def get(
        self, customer_id: str, *, timeout: Timeout | None = None, **extras: Unpack[RequestExtras]
    ) -> Customer:
        """``GET /v2/customer/<customer_id>``; unknown → ``NotFoundError``."""
        segment = path_segment(customer_id, "customer_id")
        answer = await self._client._request(
            "GET", f"/v2/customer/{segment}", _get, timeout=timeout
        )
        return answer.data

    async def create(
        self,
        *,
        campaign_id: str,
        customer_code: str,
        phone_number: str,
        contract_number: str,
        customer_name: str | None = None,
        after_day: int | None = None,
        timeout: Timeout | None = None,
        **extras: Unpack[RequestExtras],
    ) -> CustomerCreated:
        """``POST /v2/customer``: autodialed ``after_day`` days later (7 by default).

        Not retried once the request may have reached the server (it would
        create a duplicate).
        """
        require(
            campaign_id=campaign_id,
            customer_code=customer_code,
            phone_number=phone_number,
            contract_number=contract_number,
        )
        check_phone(phone_number, "phone_number")
        if after_day is not None and after_day < 0:
            raise ValidationError(f"after_day must be >= 0, got {after_day}")
        body = NewCustomer(
            campaign_id=campaign_id,
            customer_name=customer_name,
            customer_code=customer_code,
            phone_number=phone_number,
            contract_number=contract_number,
            after_day=after_day,
        )
        return await self._client._request(
            "POST", "/v2/customer", _created, json=body, timeout=timeout, idempotent=False
        )
