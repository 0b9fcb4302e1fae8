"""One filter definition per listing: ``list``, ``pages`` and ``iterate`` cannot drift apart."""

from __future__ import annotations

import inspect
import typing
from collections import defaultdict
from datetime import date
from typing import Any, get_args

import anyio
import pytest

from telcall._core.options import EXTRA_NAMES
from telcall._core.paging import Paging, SerialPaging

from ..hostile.conftest import async_endpoints, sync_endpoints
from ..hostile.methods import Endpoint


def filters_type(endpoint: Endpoint) -> Any:
    """The TypedDict behind the method's ``**filters: Unpack[...]``, or None."""
    hints = typing.get_type_hints(endpoint.function)
    for param in inspect.signature(endpoint.function).parameters.values():
        if param.kind is param.VAR_KEYWORD:
            return get_args(hints[param.name])[0]
    return None


def listings(found: list[Endpoint]) -> dict[str, dict[str, Endpoint]]:
    """``provider:resource`` → its ``list``/``pages``/``iterate`` methods, when it has all three."""
    by_resource: dict[str, dict[str, Endpoint]] = defaultdict(dict)
    for endpoint in found:
        resource, _, method = endpoint.key.rpartition(".")
        if method in ("list", "pages", "iterate"):
            by_resource[resource][method] = endpoint
    return {key: methods for key, methods in by_resource.items() if len(methods) == 3}


#: What pages() / iterate() take beyond the listing's filters (TEL4VN CDRs: ``pagination``).
PAGING_OPTIONS = {*Paging.__optional_keys__, "pagination"}

LISTINGS = {
    **listings(async_endpoints()),
    **{f"sync-{k}": v for k, v in listings(sync_endpoints()).items()},
}


def test_every_paged_resource_is_found() -> None:
    """The discovery sees the paged listings of the three providers, async and sync."""
    assert {
        "tel4vn:cdrs",
        "omicall:call_history",
        "aicallcenter:users.calls",
        "aicallcenter:campaigns.calls",
    } <= set(LISTINGS)
    assert "sync-tel4vn:cdrs" in LISTINGS


@pytest.mark.parametrize("resource", sorted(LISTINGS))
def test_list_pages_and_iterate_share_one_filter_definition(resource: str) -> None:
    """``pages`` and ``iterate`` share one TypedDict: ``list``'s filters and the paging options."""
    methods = LISTINGS[resource]
    types = {name: filters_type(endpoint) for name, endpoint in methods.items()}
    assert types["pages"] is types["iterate"], types
    filters, walk = types["list"], types["pages"]
    assert set(typing.get_type_hints(filters)) - EXTRA_NAMES
    # The filters as list() takes them (required ones still required), plus paging only.
    assert filters.__required_keys__ == walk.__required_keys__
    assert filters.__optional_keys__ <= walk.__optional_keys__
    extra = set(walk.__optional_keys__ - filters.__optional_keys__)
    assert set(SerialPaging.__optional_keys__) <= extra <= PAGING_OPTIONS, extra


CDR_FILTERS: dict[str, Any] = {
    "start_date": date(2026, 11, 1),
    "end_date": "2026-11-30",
    "duration": 0,
    "min_duration": 1,
    "extension": "101",
    "phone": "0899888998",
    "direction": "outbound",
    "status": "answered",
    "hotline": "19001234",
    "campaign_uuid": "c-1",
    "start_date_ended": "2026-11-01T00:00:00+07:00",
    "end_date_ended": date(2026, 12, 1),
}

PAGING = frozenset({"limit", "offset", "page", "scroll_id"})


async def test_cdr_filters_are_sent_alike_by_list_pages_and_iterate(hostile_factory: Any) -> None:
    """The 12 CDR filters reach the server the same from ``list``, ``pages`` and ``iterate``."""
    with anyio.fail_after(20):
        async with hostile_factory("tel4vn") as h:
            await h.client.cdrs.list(**CDR_FILTERS)
            pages = h.client.cdrs.pages(**CDR_FILTERS)
            await anext(pages, None)
            await pages.aclose()
            items = h.client.cdrs.iterate(**CDR_FILTERS)
            await anext(items, None)
            await items.aclose()
            sent = [
                {k: v for k, v in r.query.items() if k not in PAGING}
                for r in h.served()
                if r.path == "/v2/cdr"
            ]
    assert len(sent) == 3
    assert sent[0] == sent[1] == sent[2]
    assert set(sent[0]) == set(CDR_FILTERS)


async def test_paging_options_are_not_sent_as_filters(hostile_factory: Any) -> None:
    """``pages``' paging options set the request's paging only, never a filter of the query."""
    with anyio.fail_after(20):
        async with hostile_factory("tel4vn") as h:
            pages = h.client.cdrs.pages(
                **CDR_FILTERS,
                page_size=7,
                max_items=3,
                concurrency=1,
                prefetch=0,
                pagination="offset",
                timeout=10,
            )
            await anext(pages, None)
            await pages.aclose()
            (request,) = [r for r in h.served() if r.path == "/v2/cdr"]
    assert set(request.query) == set(CDR_FILTERS) | {"limit", "offset"}
    assert (request.query["limit"], request.query["offset"]) == ("7", "0")
