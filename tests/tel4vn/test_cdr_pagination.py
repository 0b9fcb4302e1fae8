"""CDR listings over real HTTP: scroll, offset fallback, concurrency, prefetch, early exit."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import msgspec
import pytest

from telcall import AsyncTel4vnClient, CallRecord, errors
from telcall._core.retry import RetryPolicy
from telcall.simulator import Drop, Reply, Tel4vnSimulator, serve_in_thread
from telcall.tel4vn import FlexCdr

Factory = Callable[..., Awaitable[Tel4vnSimulator]]


def cdr_requests(sim: Tel4vnSimulator) -> int:
    """How many CDR list requests the server saw."""
    return sim.count("GET", "/v2/cdr")


async def test_scroll_by_scroll_id(
    client: AsyncTel4vnClient, tel4vn_simulator: Tel4vnSimulator
) -> None:
    """iterate() follows scroll_id to the end and yields every record once, in order."""
    ids = [c.cdr_id async for c in client.cdrs.iterate(page_size=100)]
    assert ids == list(tel4vn_simulator.cdr_ids())
    followups = [r for r in tel4vn_simulator.requests if r.query.get("scroll_id")]
    assert len(followups) == 10  # ten more requests: nine pages and the empty end


async def test_scroll_falls_back_to_offsets(tel4vn_simulator_factory: Factory) -> None:
    """When scroll answers carry limit/offset/total instead of a scroll_id, offsets continue."""
    sim = await tel4vn_simulator_factory(cdrs=450, scroll_style="offset")
    async with AsyncTel4vnClient(base_url=sim.base_url, api_key=sim.api_key) as client:
        ids = [c.cdr_id async for c in client.cdrs.iterate(page_size=100)]
    assert ids == list(sim.cdr_ids())
    offsets = [r.query.get("offset") for r in sim.requests if r.path == "/v2/cdr"]
    assert offsets == [None, "100", "200", "300", "400"]


async def test_break_after_first_page_sends_no_further_request(
    client: AsyncTel4vnClient, tel4vn_simulator: Tel4vnSimulator
) -> None:
    """Breaking out early means exactly one CDR request, and the generator is closed."""
    iterator = client.cdrs.iterate(page_size=50)
    async for _ in iterator:
        break
    await iterator.aclose()
    await asyncio.sleep(0.05)
    assert cdr_requests(tel4vn_simulator) == 1


async def test_max_items(client: AsyncTel4vnClient, tel4vn_simulator: Tel4vnSimulator) -> None:
    """max_items stops at that many records with no extra request."""
    records = [c async for c in client.cdrs.iterate(page_size=100, max_items=250)]
    assert len(records) == 250
    assert cdr_requests(tel4vn_simulator) == 3


@pytest.mark.parametrize("concurrency", [2, 4, 8])
async def test_concurrent_offset_pages_in_order(
    client: AsyncTel4vnClient, tel4vn_simulator: Tel4vnSimulator, concurrency: int
) -> None:
    """Offset pages fetched concurrently come back in server order, each record once."""
    ids = [
        c.cdr_id
        async for c in client.cdrs.iterate(
            pagination="offset", page_size=64, concurrency=concurrency
        )
    ]
    assert ids == list(tel4vn_simulator.cdr_ids())


async def test_prefetch_reads_everything(
    client: AsyncTel4vnClient, tel4vn_simulator: Tel4vnSimulator
) -> None:
    """prefetch=1 changes timing, not results."""
    ids = [c.cdr_id async for c in client.cdrs.iterate(page_size=100, prefetch=1)]
    assert ids == list(tel4vn_simulator.cdr_ids())


async def test_date_window_filters(
    client: AsyncTel4vnClient, tel4vn_simulator: Tel4vnSimulator
) -> None:
    """A start/end window returns exactly the server's records in it."""
    start = "2026-11-02 00:00:00"
    end = "2026-11-03 00:00:00"
    records = [
        c.to_call_record() async for c in client.cdrs.iterate(start_date=start, end_date=end)
    ]
    assert records
    assert all(isinstance(r, CallRecord) for r in records)
    first = records[0].started_at
    assert first is not None
    assert first.strftime("%Y-%m-%d") == "2026-11-02"


async def test_flex_and_mixed_mappings(tel4vn_simulator_factory: Factory) -> None:
    """The auto mapping decodes flex pages and pages mixing both shapes."""
    for mapping in ("flex", "mixed"):
        sim = await tel4vn_simulator_factory(cdrs=300, mapping=mapping)
        async with AsyncTel4vnClient(base_url=sim.base_url, api_key=sim.api_key) as client:
            records = [c async for c in client.cdrs.iterate(page_size=100)]
        assert [c.cdr_id for c in records] == list(sim.cdr_ids())
        assert any(isinstance(c, FlexCdr) for c in records)
        assert all(c.to_call_record().provider == "tel4vn" for c in records)


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(Drop(), id="dropped-mid-body"),
        pytest.param(Reply(502), id="502"),
    ],
)
async def test_lost_scroll_continuation_is_not_silently_retried(
    client: AsyncTel4vnClient, tel4vn_simulator: Tel4vnSimulator, fault: object
) -> None:
    """A scroll page whose answer was lost raises instead of skipping to the next batch."""
    client._transport.retry = RetryPolicy(max_retries=2, base=0.01, cap=0.02)
    seen: list[str] = []

    async def consume() -> None:
        async for cdr in client.cdrs.iterate(page_size=100):
            seen.append(cdr.cdr_id)
            if len(seen) == 100:
                tel4vn_simulator.script(fault, path="/v2/cdr")  # type: ignore[arg-type]

    with pytest.raises(errors.TelcallError):
        await consume()
    assert seen == list(tel4vn_simulator.cdr_ids())[:100]
    assert [r for r in tel4vn_simulator.requests if r.query.get("scroll_id")] != []
    assert tel4vn_simulator.count("GET", "/v2/cdr") == 2


async def test_first_scroll_request_is_retried(
    client: AsyncTel4vnClient, tel4vn_simulator: Tel4vnSimulator
) -> None:
    """Opening a scroll is safe to repeat, so a dropped first page is retried."""
    client._transport.retry = RetryPolicy(max_retries=2, base=0.01, cap=0.02)
    await client.calls.list()
    tel4vn_simulator.script(Drop(), path="/v2/cdr")
    ids = [c.cdr_id async for c in client.cdrs.iterate(page_size=500)]
    assert ids == list(tel4vn_simulator.cdr_ids())


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        pytest.param({}, 1, id="no-read-ahead"),
        pytest.param({"prefetch": 1}, 2, id="prefetch"),
        pytest.param({"pagination": "offset", "concurrency": 3}, 3, id="concurrency"),
    ],
)
def test_read_ahead_is_on_the_wire_while_the_caller_works(
    kwargs: dict[str, Any], expected: int
) -> None:
    """While the caller does blocking work on page 1, exactly the read-ahead pages are requested."""
    with serve_in_thread(Tel4vnSimulator(cdrs=1000)) as sim:

        async def first_page_then_block() -> int:
            async with AsyncTel4vnClient(base_url=sim.base_url, api_key=sim.api_key) as client:
                pages = client.cdrs.pages(page_size=100, **kwargs)
                await anext(pages)
                time.sleep(0.3)  # noqa: ASYNC251 - the caller's blocking work on the page
                seen = sim.count("GET", "/v2/cdr")
                await pages.aclose()
                return seen

        assert asyncio.run(first_page_then_block()) == expected


async def test_concurrent_offset_pages_stop_at_max_items(
    client: AsyncTel4vnClient, tel4vn_simulator: Tel4vnSimulator
) -> None:
    """max_items=60, page_size=50, concurrency=8 sends the 2 requests it needs, not 9."""
    pages = client.cdrs.pages(page_size=50, max_items=60, pagination="offset", concurrency=8)
    records = [cdr async for page in pages for cdr in page.items]
    assert [c.cdr_id for c in records] == list(tel4vn_simulator.cdr_ids())[:60]
    assert cdr_requests(tel4vn_simulator) == 2


async def test_offsets_ignored_without_total_raise(
    client: AsyncTel4vnClient, tel4vn_simulator: Tel4vnSimulator
) -> None:
    """A server that ignores offset and sends no total is caught after two pages."""
    page = await client.cdrs.list(offset=0, limit=2)
    body = {"data": [msgspec.to_builtins(c) for c in page.items], "limit": 2, "offset": 0}
    tel4vn_simulator.script(Reply(200, body), times=1000, path="/v2/cdr")
    before = cdr_requests(tel4vn_simulator)
    with anyio.fail_after(30), pytest.raises(errors.PaginationError):
        async for _ in client.cdrs.iterate(page_size=2, pagination="offset"):
            pass
    assert cdr_requests(tel4vn_simulator) - before == 2


async def test_fail_body_on_a_scroll_page_is_an_error(
    client: AsyncTel4vnClient, tel4vn_simulator: Tel4vnSimulator
) -> None:
    """A fail body in the middle of a scroll raises instead of ending the listing early."""
    pages = client.cdrs.pages(page_size=100)
    first = await pages.__anext__()
    assert len(first.items) == 100
    tel4vn_simulator.script(Reply(200, {"status": "fail", "error": "INTERNAL_ERROR"}))
    with pytest.raises(errors.ProviderError) as caught:
        await pages.__anext__()
    await pages.aclose()
    assert caught.value.code == "INTERNAL_ERROR"
    assert caught.value.status == 200
