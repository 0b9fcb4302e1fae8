"""Pagination strategies as pure steps, and the page-driving generator."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import anyio
import pytest

from telcall._core.errors import PaginationError, ValidationError
from telcall._core.pagination import (
    OffsetPagination,
    Page,
    PageNumberPagination,
    ScrollPagination,
    Strategy,
    check_paging,
    iterate_pages,
)


class OffsetServer:
    """An in-memory limit/offset listing that records what was asked."""

    def __init__(self, total: int, delay: float = 0.0) -> None:
        self.total = total
        self.delay = delay
        self.requests: list[dict[str, Any]] = []
        self.in_flight = 0
        self.max_in_flight = 0

    async def fetch(self, params: dict[str, Any]) -> Page[int]:
        self.requests.append(params)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            # Later pages answer faster, so in-order yielding is really exercised.
            offset, limit = int(params.get("offset", 0)), int(params["limit"])
            await asyncio.sleep(self.delay * (1 + (self.total - offset) / max(self.total, 1)))
            items = list(range(offset, min(offset + limit, self.total)))
            return Page(items, total=self.total, limit=limit, offset=offset)
        finally:
            self.in_flight -= 1


async def collect(pages: Any) -> list[int]:
    return [item async for page in pages for item in page.items]


def test_offset_next_params() -> None:
    """Offsets advance by the items received and stop at total."""
    strategy = OffsetPagination()
    page = Page([1, 2], total=5, limit=2, offset=0)
    assert strategy.next_params(page, {"limit": 2, "offset": 0}) == {"limit": 2, "offset": 2}
    last = Page([5], total=5, limit=2, offset=4)
    assert strategy.next_params(last, {"limit": 2, "offset": 4}) is None


def test_offset_without_total_stops_on_short_page() -> None:
    """Without total, a page shorter than the limit is the last."""
    strategy = OffsetPagination()
    assert strategy.next_params(Page([1]), {"limit": 2, "offset": 0}) is None
    assert strategy.next_params(Page([1, 2]), {"limit": 2, "offset": 0}) == {
        "limit": 2,
        "offset": 2,
    }


def test_page_number_follows_has_more() -> None:
    """Page-number listings stop when the provider says there is no next page."""
    strategy = PageNumberPagination()
    assert strategy.next_params(Page([1], has_more=True), {"page": 1, "size": 1}) == {
        "page": 2,
        "size": 1,
    }
    assert strategy.next_params(Page([1], has_more=False), {"page": 1, "size": 1}) is None


def test_scroll_prefers_scroll_id_then_offsets() -> None:
    """Scroll follows scroll_id, falls back to offsets, and stops on an empty page."""
    strategy = ScrollPagination()
    params = {"limit": 2}
    assert strategy.next_params(Page([1, 2], next_cursor="abc"), params) == {
        "limit": 2,
        "scroll_id": "abc",
    }
    fallback = Page([1, 2], total=10, limit=2, offset=0)
    assert strategy.next_params(fallback, params) == {"limit": 2, "offset": 2}
    assert strategy.next_params(Page([], next_cursor="abc"), params) is None
    assert strategy.next_params(Page([1, 2]), params) is None


async def test_sequential_reads_everything_in_order() -> None:
    """Plain iteration yields every item once, in order."""
    server = OffsetServer(25)
    items = await collect(iterate_pages(server.fetch, OffsetPagination(), {"limit": 10}))
    assert items == list(range(25))
    assert len(server.requests) == 3


async def test_max_items_stops_early() -> None:
    """max_items trims the last page and sends no further request."""
    server = OffsetServer(100)
    items = await collect(
        iterate_pages(server.fetch, OffsetPagination(), {"limit": 10}, max_items=15)
    )
    assert items == list(range(15))
    assert len(server.requests) == 2


async def test_breaking_after_first_page_sends_one_request() -> None:
    """Closing the generator after page one means exactly one request."""
    server = OffsetServer(100)
    pages = iterate_pages(server.fetch, OffsetPagination(), {"limit": 10})
    async for _ in pages:
        break
    await pages.aclose()
    assert len(server.requests) == 1


async def test_concurrent_pages_come_back_in_order_and_bounded() -> None:
    """With concurrency=4 pages are fetched in parallel, yielded in order, at most 4 held."""
    server = OffsetServer(1000, delay=0.002)
    pages = iterate_pages(
        server.fetch, OffsetPagination(), {"limit": 50, "offset": 0}, concurrency=4
    )
    items = await collect(pages)
    assert items == list(range(1000))
    assert server.max_in_flight == 3  # first page alone, then 3 more while one is held
    assert len(server.requests) == 20


async def test_concurrent_pages_respect_max_items() -> None:
    """max_items works with concurrent pages too."""
    server = OffsetServer(1000)
    pages = iterate_pages(
        server.fetch, OffsetPagination(), {"limit": 50, "offset": 0}, concurrency=3, max_items=120
    )
    assert await collect(pages) == list(range(120))


@pytest.mark.parametrize(
    ("max_items", "expected_requests"),
    [
        pytest.param(60, 2, id="one-more-page"),
        pytest.param(50, 1, id="first-page-is-enough"),
        pytest.param(10, 1, id="less-than-a-page"),
        pytest.param(151, 4, id="three-more-pages"),
    ],
)
async def test_concurrent_plan_is_trimmed_to_max_items(
    max_items: int, expected_requests: int
) -> None:
    """concurrency=8 plans only the pages max_items still needs (issue 17: 9 requests for 2)."""
    server = OffsetServer(1000)
    pages = iterate_pages(
        server.fetch,
        OffsetPagination(),
        {"limit": 50, "offset": 0},
        concurrency=8,
        max_items=max_items,
    )
    assert await collect(pages) == list(range(max_items))
    assert len(server.requests) == expected_requests


class StuckServer:
    """A listing whose server answers every request with the same page."""

    def __init__(self, page: Callable[[], Page[Any]]) -> None:
        self.page = page
        self.requests: list[dict[str, Any]] = []

    async def fetch(self, params: dict[str, Any]) -> Page[Any]:
        self.requests.append(params)
        await asyncio.sleep(0)  # a cancellation point, so the watchdog can stop a regression
        # A fresh but equal page each time, as a decoder would build from the same body.
        return self.page()


def _records() -> list[dict[str, str]]:
    return [{"id": "a"}, {"id": "b"}]


STUCK = [
    pytest.param(
        lambda: Page(_records(), next_cursor="scroll-1"),
        ScrollPagination(),
        {},
        id="same-scroll-id-same-records",
    ),
    pytest.param(
        lambda: Page(_records(), limit=2),
        OffsetPagination(),
        {"limit": 2, "offset": 0},
        id="offsets-ignored-no-total",
    ),
    pytest.param(
        lambda: Page(_records(), total=1000, limit=2, offset=0),
        OffsetPagination(),
        {"limit": 2, "offset": 0},
        id="offsets-ignored-with-total",
    ),
    pytest.param(
        lambda: Page(_records(), total=1000, limit=2, offset=0),
        OffsetPagination(),
        {"limit": 2, "offset": 0, "concurrency": 4},
        id="offsets-ignored-concurrent",
    ),
    pytest.param(
        lambda: Page(_records(), total=1000, limit=2, offset=0),
        ScrollPagination(),
        {"limit": 2},
        id="scroll-offset-fallback-ignored",
    ),
    pytest.param(
        lambda: Page(_records(), page=1, has_more=True),
        PageNumberPagination(),
        {"page": 1, "size": 2},
        id="has-next-on-the-same-page",
    ),
    pytest.param(
        lambda: Page(_records(), page=1, has_more=True),
        PageNumberPagination(),
        {"page": 1, "size": 2, "prefetch": 1},
        id="has-next-on-the-same-page-prefetch",
    ),
]


@pytest.mark.parametrize(("page", "strategy", "params"), STUCK)
async def test_cursor_that_never_advances_raises(
    page: Callable[[], Page[Any]], strategy: Strategy, params: dict[str, Any]
) -> None:
    """A server that answers the same page again raises PaginationError within a few pages."""
    server = StuckServer(page)
    options = {k: params.pop(k) for k in ("concurrency", "prefetch") if k in params}
    pages = iterate_pages(server.fetch, strategy, params, **options)
    seen: list[Page[Any]] = []

    async def drain() -> None:
        async for got in pages:
            seen.append(got)

    with anyio.fail_after(10), pytest.raises(PaginationError, match="does not advance"):
        await drain()
    assert len(seen) == 1, "the repeated page was handed out"
    assert len(server.requests) <= 5


async def test_overlapping_pages_are_not_a_stuck_cursor() -> None:
    """Pages that share a record at the edge (a record inserted meanwhile) still advance."""
    answers = iter([Page([1, 2], limit=2), Page([2, 3], limit=2), Page([3], limit=2)])

    async def fetch(params: dict[str, Any]) -> Page[int]:
        return next(answers)

    pages = iterate_pages(fetch, OffsetPagination(), {"limit": 2, "offset": 0})
    assert await collect(pages) == [1, 2, 2, 3, 3]


async def test_prefetch_overlaps_the_next_request() -> None:
    """With prefetch=1 page k+1 is requested before the caller finishes page k."""
    server = OffsetServer(30)
    pages = iterate_pages(server.fetch, OffsetPagination(), {"limit": 10}, prefetch=1)
    first = await pages.__anext__()
    await asyncio.sleep(0)
    assert first.items == list(range(10))
    assert len(server.requests) == 2
    await pages.aclose()


async def test_closing_cancels_in_flight_pages() -> None:
    """Closing early cancels prefetched and concurrent fetches instead of leaking them."""
    server = OffsetServer(1000, delay=0.05)
    pages = iterate_pages(
        server.fetch, OffsetPagination(), {"limit": 10, "offset": 0}, concurrency=5
    )
    await pages.__anext__()
    await pages.aclose()
    await asyncio.sleep(0)
    assert server.in_flight == 0
    leftovers = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    assert leftovers == []


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"page_size": 0}, id="page-size-zero"),
        pytest.param({"page_size": 5000}, id="page-size-too-big"),
        pytest.param({"max_items": -1}, id="negative-max-items"),
        pytest.param({"concurrency": 0}, id="zero-concurrency"),
        pytest.param({"prefetch": 2}, id="prefetch-two"),
    ],
)
def test_check_paging_rejects_bad_arguments(kwargs: dict[str, int]) -> None:
    """Bad paging arguments raise ValidationError."""
    args = {"page_size": 10, "max_items": None, "concurrency": 1, "prefetch": 0}
    args.update(kwargs)
    with pytest.raises(ValidationError):
        check_paging(max_page_size=1000, **args)  # type: ignore[arg-type]
