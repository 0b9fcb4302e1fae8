"""Call history (``POST /api/call_transaction/list``), split into windows OMICall accepts.

OMICall refuses a range longer than 30 days (``date_is_too_long``). Ranges
here are closed-open, ``[from_date, to_date)``: ``from_date`` is included,
``to_date`` is not. Decision: the provider's ``from_date``/``to_date`` are
both inclusive epoch milliseconds, so a window ``[a, b)`` is sent as
``from_date=a, to_date=b - 1``. Consecutive windows then share no
millisecond and leave none out.

Every timestamp OMICall documents is a non-negative epoch millisecond, and a call cannot be
recorded in the future: a range must lie between 1970-01-01 UTC and 30 days (one window) from
now. Anything outside is refused before any request, so a typo like year 1290 raises
``ValidationError`` instead of sending one request per empty 30-day window (thousands).
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Required, Unpack

import msgspec

from ..._core.errors import ValidationError
from ..._core.options import RequestExtras
from ..._core.pagination import (
    Page,
    PageNumberPagination,
    check_paging,
    iterate_items,
    iterate_pages,
)
from ..._core.paging import SerialPaging, read_paging
from ..._core.raw import last_request_id
from ..._core.resource import AsyncResource
from ..._core.transport import Timeout
from ..._core.validation import DateLike, to_epoch_ms
from ..models import CallTransaction, CallTransactionPage, Envelope

if TYPE_CHECKING:
    from ..client import AsyncOmicallClient

__all__ = (
    "MAX_PAGE_SIZE",
    "MAX_WINDOW",
    "AsyncCallHistory",
    "CallHistoryPaging",
    "CallHistoryRange",
    "split_windows",
)

#: The largest ``size`` OMICall serves.
MAX_PAGE_SIZE = 50
#: The longest range one request may cover.
MAX_WINDOW = timedelta(days=30)

_MAX_WINDOW_MS = MAX_WINDOW // timedelta(milliseconds=1)

_page = msgspec.json.Decoder(Envelope[CallTransactionPage])


def split_windows(
    start_ms: int, end_ms: int, width_ms: int = _MAX_WINDOW_MS
) -> list[tuple[int, int]]:
    """Cut ``[start_ms, end_ms)`` into consecutive closed-open windows of at most ``width_ms``."""
    if width_ms <= 0:
        raise ValueError("width_ms must be > 0")
    return [(lo, min(lo + width_ms, end_ms)) for lo in range(start_ms, end_ms, width_ms)]


class CallHistoryRange(RequestExtras, total=False):
    """The range every call-history listing takes: ``[from_date, to_date)``, both required.

    ``datetime`` or ``date`` (naive values and dates are read in the client's ``tz``); the
    per-call extras (:class:`RequestExtras`) ride along.
    """

    from_date: Required[DateLike]
    to_date: Required[DateLike]


class CallHistoryPaging(SerialPaging, CallHistoryRange, total=False):
    """What ``pages`` and ``iterate`` take: :class:`SerialPaging` (``page_size`` 50 by
    default, the most OMICall serves) and the :class:`CallHistoryRange`."""


class AsyncCallHistory(AsyncResource["AsyncOmicallClient"]):
    """Calls made and received (OMICall call transactions).

    ``from_date``/``to_date`` take ``datetime`` or ``date`` (naive values and
    dates are read in the client's ``tz``) and mean ``[from_date, to_date)``.
    """

    def _range(self, window: CallHistoryRange) -> tuple[int, int]:
        tz = self._client.tz
        from_date, to_date = window["from_date"], window["to_date"]
        start = to_epoch_ms(from_date, "from_date", tz)
        end = to_epoch_ms(to_date, "to_date", tz)
        if end <= start:
            raise ValidationError(f"to_date ({to_date}) must be after from_date ({from_date})")
        if start < 0:
            raise ValidationError(
                f"from_date ({from_date}) is before 1970-01-01 UTC: OMICall's epoch-millisecond "
                "timestamps start there"
            )
        latest = time.time_ns() // 1_000_000 + _MAX_WINDOW_MS
        if end > latest:
            raise ValidationError(
                f"to_date ({to_date}) is more than 30 days from now: no call is recorded there"
            )
        return start, end

    async def _fetch(
        self, params: dict[str, Any], timeout: Timeout | None
    ) -> Page[CallTransaction]:
        answer = await self._client._request(
            "POST",
            "/api/call_transaction/list",
            _page,
            params={"page": params["page"], "size": params["size"]},
            json={"from_date": params["from_date"], "to_date": params["to_date"]},
            timeout=timeout,
            # Reading history changes nothing: safe to repeat.
            idempotent=True,
        )
        payload = answer.payload
        return Page(
            payload.items,
            total=payload.total_items,
            limit=payload.page_size or params["size"],
            page=payload.page_number,
            has_more=payload.has_next,
            request_id=last_request_id(),
        )

    async def list(
        self,
        *,
        page: int = 1,
        size: int = MAX_PAGE_SIZE,
        timeout: Timeout | None = None,
        **window: Unpack[CallHistoryRange],
    ) -> Page[CallTransaction]:
        """``POST /api/call_transaction/list``: one page of a range of at most 30 days.

        For longer ranges use :meth:`pages` or :meth:`iterate`, which split them.
        """
        check_paging(
            page_size=size, max_items=None, concurrency=1, prefetch=0, max_page_size=MAX_PAGE_SIZE
        )
        if page < 1:
            raise ValidationError(f"page must be >= 1, got {page}")
        start, end = self._range(window)
        if end - start > _MAX_WINDOW_MS:
            raise ValidationError(
                "OMICall lists at most 30 days per request; use pages() or iterate(), "
                "which split longer ranges"
            )
        params = {"page": page, "size": size, "from_date": start, "to_date": end - 1}
        return await self._fetch(params, timeout)

    async def pages(
        self, **options: Unpack[CallHistoryPaging]
    ) -> AsyncGenerator[Page[CallTransaction], None]:
        """Every non-empty page of ``[from_date, to_date)``, window after window.

        A range longer than 30 days is cut into consecutive 30-day windows
        (the last one shorter), each paged over ``has_next``. ``prefetch=1``
        fetches the next page of a window while you work on the current one.
        """
        walk = read_paging(options, page_size=MAX_PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
        start, end = self._range(options)
        remaining = walk.max_items
        for lo, hi in split_windows(start, end):
            if remaining == 0:
                return
            params = {"page": 1, "size": walk.page_size, "from_date": lo, "to_date": hi - 1}
            pages = iterate_pages(
                lambda p: self._fetch(p, walk.timeout),
                PageNumberPagination(page_param="page", size_param="size"),
                params,
                max_items=remaining,
                prefetch=walk.prefetch,
            )
            try:
                async for page in pages:
                    if not page.items:
                        continue
                    if remaining is not None:
                        remaining -= len(page.items)
                    yield page
            finally:
                await pages.aclose()

    def iterate(
        self, **options: Unpack[CallHistoryPaging]
    ) -> AsyncGenerator[CallTransaction, None]:
        """Every call of ``[from_date, to_date)``, page by page (see :meth:`pages`)."""
        return iterate_items(self.pages(**options))
