"""The call listing the campaign export and the user call log share (limit/offset)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING, Any

import msgspec

from ..._core.errors import ValidationError
from ..._core.options import RequestExtras
from ..._core.pagination import OffsetPagination, Page, check_paging, iterate_pages
from ..._core.paging import Paging, read_paging
from ..._core.raw import last_request_id
from ..._core.resource import AsyncResource
from ..._core.transport import Timeout
from ..._core.validation import DateLike, to_epoch_ms
from .._validation import check_range
from ..models import Call, CallListResponse

if TYPE_CHECKING:
    from ..client import AsyncAICallCenterClient

__all__ = (
    "DEFAULT_LIMIT",
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "CallListing",
    "CallPaging",
    "CallWindow",
)

#: The provider's default ``limit``.
DEFAULT_LIMIT = 10
#: Nothing larger is documented; telcall caps pages here to stay polite.
MAX_PAGE_SIZE = 1000
#: telcall's default ``page_size`` for ``pages`` / ``iterate``.
DEFAULT_PAGE_SIZE = 100


_calls = msgspec.json.Decoder(CallListResponse)


class CallWindow(RequestExtras, total=False):
    """The filters of every AI Call Center call listing (``list``, ``pages``, ``iterate``).

    ``start_time``/``end_time`` take ``datetime`` or ``date`` (naive values are read in the
    client's ``tz``) and are sent as epoch milliseconds; the per-call extras ride along.
    """

    start_time: DateLike | None
    end_time: DateLike | None


class CallPaging(Paging, CallWindow, total=False):
    """What ``pages`` and ``iterate`` take: :class:`Paging` (``page_size`` 100 by default, at
    most 1000) and the :class:`CallWindow`."""


class CallListing(AsyncResource["AsyncAICallCenterClient"]):
    """Paging over ``{results: {limit?, total, calls}}`` with ``start_time``/``end_time``."""

    __slots__ = ()

    def _params(self, window: CallWindow) -> dict[str, Any]:
        tz = self._client.tz
        start_time, end_time = window.get("start_time"), window.get("end_time")
        start = None if start_time is None else to_epoch_ms(start_time, "start_time", tz)
        end = None if end_time is None else to_epoch_ms(end_time, "end_time", tz)
        check_range(start, end)
        return {"start_time": start, "end_time": end}

    async def _fetch(
        self, path: str, params: dict[str, Any], timeout: Timeout | None
    ) -> Page[Call]:
        answer = await self._client._request("GET", path, _calls, params=params, timeout=timeout)
        results = answer.results
        return Page(
            results.calls,
            total=results.total,
            limit=results.limit or params["limit"],
            offset=params["offset"],
            request_id=last_request_id(),
        )

    async def _list(
        self,
        path: str,
        window: CallWindow,
        limit: int,
        offset: int,
        timeout: Timeout | None,
    ) -> Page[Call]:
        check_paging(
            page_size=limit, max_items=None, concurrency=1, prefetch=0, max_page_size=MAX_PAGE_SIZE
        )
        if offset < 0:
            raise ValidationError(f"offset must be >= 0, got {offset}")
        params = self._params(window)
        params.update(limit=limit, offset=offset)
        return await self._fetch(path, params, timeout)

    def _pages(self, path: str, options: CallPaging) -> AsyncGenerator[Page[Call], None]:
        walk = read_paging(
            options,
            page_size=DEFAULT_PAGE_SIZE,
            max_page_size=MAX_PAGE_SIZE,
            concurrency=options.get("concurrency", 1),
        )
        params = self._params(options)
        params.update(limit=walk.page_size, offset=0)
        return iterate_pages(
            lambda p: self._fetch(path, p, walk.timeout),
            OffsetPagination(),
            params,
            max_items=walk.max_items,
            concurrency=walk.concurrency,
            prefetch=walk.prefetch,
        )
