"""Pagination: cursor steps without I/O, and the async generators that drive them.

A *strategy* looks at the page just fetched and the parameters that fetched
it and returns the parameters of the next request, or ``None`` when the
listing is done. :func:`iterate_pages` does the fetching, with optional
prefetch (overlap fetching page k+1 with the caller's work on page k) and,
for offset listings whose ``total`` is known, a bounded number of pages in
flight at once, always yielded in order.

A cursor that does not advance (the same ``scroll_id`` with the same records,
offsets the server ignores, ``has_next`` on a repeated page) would page
forever or hand out the same records again: every listing raises
:class:`~telcall.errors.PaginationError` at the first page that repeats the
one before it.
"""

from __future__ import annotations

import asyncio
import weakref
from collections import deque
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterator, Mapping
from datetime import tzinfo
from typing import Any, Generic, TypeVar

from . import arrow
from .errors import PaginationError, ValidationError
from .records import CallRecord, resolve_tz, to_call_records

__all__ = (
    "OffsetPagination",
    "Page",
    "PageNumberPagination",
    "Params",
    "ScrollPagination",
    "Strategy",
    "check_paging",
    "iterate_items",
    "iterate_pages",
    "page_source",
)

T = TypeVar("T")
Params = dict[str, Any]

_TURNS_TO_SEND = 6


class Page(Generic[T]):
    """One page of a listing: its items and whatever cursor facts the provider sent."""

    __slots__ = ("has_more", "items", "limit", "next_cursor", "offset", "page", "total")

    def __init__(
        self,
        items: list[T],
        *,
        total: int | None = None,
        limit: int | None = None,
        offset: int | None = None,
        page: int | None = None,
        next_cursor: str | None = None,
        has_more: bool | None = None,
    ) -> None:
        self.items = items
        self.total = total
        self.limit = limit
        self.offset = offset
        self.page = page
        self.next_cursor = next_cursor
        self.has_more = has_more

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def to_call_records(self, tz: str | tzinfo | None = None) -> list[CallRecord]:
        """The items (CDR wire records) as :class:`~telcall.CallRecord`, converted in one call.

        The same records as ``[item.to_call_record(tz) for item in page]``, faster;
        ``tz`` (a zone name or ``tzinfo``; default Vietnam time) reads naive times.
        """
        return to_call_records(self.items, resolve_tz(tz))

    def to_arrow(self, tz: str | tzinfo | None = None) -> Any:
        """The items' call records as a ``pyarrow.Table``: the columns of a Parquet export.

        ``tz`` must be a named zone (default Vietnam time); needs ``telcall[parquet]``.
        """
        key = arrow.zone_key(tz)
        schema = arrow.schema(key)
        batch = arrow.record_batch(to_call_records(self.items, resolve_tz(key)), schema)
        return arrow.pyarrow().Table.from_batches([batch], schema=schema)

    def __repr__(self) -> str:
        return (
            f"Page(items=<{len(self.items)}>, total={self.total}, limit={self.limit}, "
            f"offset={self.offset}, page={self.page}, has_more={self.has_more})"
        )


class Strategy:
    """Computes the next request's parameters from the last page."""

    def next_params(self, page: Page[Any], params: Params) -> Params | None:
        """Parameters for the next page, or ``None`` when done."""
        raise NotImplementedError

    def offsets_after(
        self, first: Page[Any], params: Params, wanted: int | None = None
    ) -> list[Params] | None:
        """All remaining requests at once, when knowable from the first page.

        ``wanted`` is how many more items the caller takes (``None``: all of them); no
        request is planned past it.
        """
        return None


class OffsetPagination(Strategy):
    """``limit``/``offset``/``total`` listings."""

    def __init__(self, *, limit_param: str = "limit", offset_param: str = "offset") -> None:
        self.limit_param = limit_param
        self.offset_param = offset_param

    def _step(self, page: Page[Any], params: Params) -> int:
        # The server may cap the limit; its own echo of it is the real page size.
        return int(page.limit or params.get(self.limit_param) or len(page.items))

    def next_params(self, page: Page[Any], params: Params) -> Params | None:
        """Advance the offset by the number of items received."""
        count = len(page.items)
        if count == 0:
            return None
        offset = int(params.get(self.offset_param) or 0) + count
        if page.total is not None:
            if offset >= page.total:
                return None
        elif count < self._step(page, params):
            return None
        return {**params, self.offset_param: offset}

    def offsets_after(
        self, first: Page[Any], params: Params, wanted: int | None = None
    ) -> list[Params] | None:
        """Every remaining offset, once the first page told us ``total``, up to ``wanted``."""
        if first.total is None or not first.items:
            return None
        step = self._step(first, params)
        start = int(params.get(self.offset_param) or 0) + len(first.items)
        end = first.total if wanted is None else min(first.total, start + wanted)
        return [
            {**params, self.offset_param: offset, self.limit_param: step}
            for offset in range(start, end, step)
        ]


class PageNumberPagination(Strategy):
    """``page``/``size`` listings that say whether another page exists."""

    def __init__(self, *, page_param: str = "page", size_param: str = "size") -> None:
        self.page_param = page_param
        self.size_param = size_param

    def next_params(self, page: Page[Any], params: Params) -> Params | None:
        """Go to the next page number while the provider says there is one."""
        if not page.items:
            return None
        if page.has_more is False:
            return None
        if page.has_more is None and len(page.items) < int(params.get(self.size_param) or 0):
            return None
        return {**params, self.page_param: int(params.get(self.page_param) or 1) + 1}


class ScrollPagination(Strategy):
    """Follow a scroll id; fall back to offsets when the response carries those instead."""

    def __init__(
        self,
        *,
        cursor_param: str = "scroll_id",
        limit_param: str = "limit",
        offset_param: str = "offset",
    ) -> None:
        self.cursor_param = cursor_param
        self._offsets = OffsetPagination(limit_param=limit_param, offset_param=offset_param)

    def next_params(self, page: Page[Any], params: Params) -> Params | None:
        """Next scroll id if the page has one, else offset continuation, else done."""
        if not page.items:
            return None
        if page.next_cursor:
            return {**params, self.cursor_param: page.next_cursor}
        if page.total is not None and page.offset is not None:
            return self._offsets.next_params(page, {**params, "offset": page.offset})
        return None


class _Progress:
    """Notices a listing that does not advance: a page with the same items as the one before.

    Cheap on purpose: the item count and the first and last items are compared (msgspec
    Structs compare field by field in C). Consecutive pages of a listing that advances never
    start and end on the same records.
    """

    __slots__ = ("_count", "_first", "_last", "_pages")

    def __init__(self) -> None:
        self._pages = 0
        self._count = 0
        self._first: Any = None
        self._last: Any = None

    def check(self, page: Page[Any]) -> None:
        """Raise :class:`PaginationError` if ``page`` repeats the previous page."""
        self._pages += 1
        items = page.items
        if not items:
            return
        first, last = items[0], items[-1]
        if len(items) == self._count and first == self._first and last == self._last:
            raise PaginationError(
                f"the listing does not advance: page {self._pages} repeats page "
                f"{self._pages - 1} ({len(items)} records, the same first and last); "
                "the server ignored the cursor"
            )
        self._count, self._first, self._last = len(items), first, last


def check_paging(
    *, page_size: int, max_items: int | None, concurrency: int, prefetch: int, max_page_size: int
) -> None:
    """Validate the common pagination arguments before any I/O."""
    if not 1 <= page_size <= max_page_size:
        raise ValidationError(f"page_size must be between 1 and {max_page_size}, got {page_size}")
    if max_items is not None and max_items < 0:
        raise ValidationError(f"max_items must be >= 0, got {max_items}")
    if concurrency < 1:
        raise ValidationError(f"concurrency must be >= 1, got {concurrency}")
    if prefetch not in (0, 1):
        raise ValidationError(f"prefetch must be 0 or 1, got {prefetch}")


async def iterate_pages(
    fetch: Callable[[Params], Awaitable[Page[T]]],
    strategy: Strategy,
    params: Mapping[str, Any],
    *,
    max_items: int | None = None,
    concurrency: int = 1,
    prefetch: int = 0,
) -> AsyncGenerator[Page[T], None]:
    """Yield pages in order until the strategy says done or ``max_items`` is reached.

    With ``concurrency > 1`` and a strategy that can list every remaining
    request after the first page, up to ``concurrency`` pages are in flight
    (and held) at once. With ``prefetch=1`` the next page is requested while
    the caller works on the current one. Both off by default: closing the
    generator after the first page means exactly one request was sent.
    """
    if max_items == 0:
        return
    remaining = max_items
    current: Params = dict(params)
    pending: deque[asyncio.Task[Page[T]]] = deque()
    progress = _Progress()
    first = True
    try:
        page = await fetch(current)
        progress.check(page)
        if concurrency > 1:
            wanted = None if remaining is None else remaining - len(page.items)
            plan = strategy.offsets_after(page, current, wanted)
            if plan is not None:
                ordered = _in_order(fetch, page, plan, concurrency, remaining, progress)
                try:
                    async for out in ordered:
                        yield out
                finally:
                    # `async for` does not close the inner generator when we are closed.
                    await ordered.aclose()
                return
        while True:
            if remaining is not None:
                if len(page.items) >= remaining:
                    del page.items[remaining:]
                    yield page
                    return
                remaining -= len(page.items)
            next_params = strategy.next_params(page, current)
            if next_params is not None and prefetch:
                pending.append(asyncio.ensure_future(fetch(next_params)))
                await _let_requests_start()
            # An empty page ends a scroll; show it only if it is all there is.
            if page.items or first:
                yield page
            first = False
            if next_params is None:
                return
            current = next_params
            page = await pending.popleft() if pending else await fetch(current)
            progress.check(page)
    finally:
        await _cancel_all(pending)


async def _in_order(
    fetch: Callable[[Params], Awaitable[Page[T]]],
    first: Page[T],
    plan: list[Params],
    concurrency: int,
    remaining: int | None,
    progress: _Progress,
) -> AsyncGenerator[Page[T], None]:
    """Fetch ``plan`` with at most ``concurrency`` pages in flight or held; yield in order."""
    pending: deque[asyncio.Task[Page[T]]] = deque()
    requests = iter(plan)
    page: Page[T] | None = first
    try:
        while page is not None:
            # Top up before yielding so the network works while the caller does.
            while len(pending) < concurrency - 1:
                next_params = next(requests, None)
                if next_params is None:
                    break
                pending.append(asyncio.ensure_future(fetch(next_params)))
            await _let_requests_start()
            if remaining is not None:
                if len(page.items) >= remaining:
                    del page.items[remaining:]
                    yield page
                    return
                remaining -= len(page.items)
            yield page
            page = await pending.popleft() if pending else None
            if page is not None:
                progress.check(page)
    finally:
        await _cancel_all(pending)


async def _let_requests_start() -> None:
    """Give new fetch tasks the loop turns they need to put their requests on the wire.

    The caller's work on the page we are about to yield may never await, so a
    task merely scheduled would start only after it: no overlap at all. A
    request on a pooled connection is written within two turns (aiohttp writes
    from a task of its own); opening a new loopback connection takes six. DNS
    or a TLS handshake may need longer, and then the request leaves at the
    caller's next await, as it would without this.
    """
    for _ in range(_TURNS_TO_SEND):
        await asyncio.sleep(0)


async def _cancel_all(tasks: deque[asyncio.Task[Any]]) -> None:
    for task in tasks:
        task.cancel()
    # return_exceptions swallows the children's outcomes only; our own
    # cancellation still propagates.
    await asyncio.gather(*tasks, return_exceptions=True)
    tasks.clear()


# Item iterators made by iterate_items() and the page generators they flatten.
_page_sources: weakref.WeakKeyDictionary[AsyncGenerator[Any, None], AsyncGenerator[Page[Any], None]]
_page_sources = weakref.WeakKeyDictionary()


def iterate_items(pages: AsyncGenerator[Page[T], None]) -> AsyncGenerator[T, None]:
    """The items of ``pages``, closing the page generator as soon as the caller stops.

    :func:`page_source` gives ``pages`` back to whoever would rather move whole pages (the sync
    facade: one thread hop per page instead of per item).
    """
    items = _items_of(pages)
    _page_sources[items] = pages
    return items


def page_source(items: object) -> AsyncGenerator[Page[Any], None] | None:
    """The page generator an unstarted :func:`iterate_items` iterator flattens, else ``None``.

    Taking it detaches it: iterate the pages instead of ``items``, never both.
    """
    if not isinstance(items, AsyncGenerator):
        return None
    return _page_sources.pop(items, None)


async def _items_of(pages: AsyncGenerator[Page[T], None]) -> AsyncGenerator[T, None]:
    try:
        async for page in pages:
            for item in page.items:
                yield item
    finally:
        await pages.aclose()
