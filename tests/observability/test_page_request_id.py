"""Pages carry the provider's request id of the response they came from."""

from __future__ import annotations

from typing import Any

import pytest

from telcall import AsyncTel4vnClient
from telcall.simulator import Reply, Tel4vnSimulator


def page_body(offset: int, total: int) -> dict[str, Any]:
    """A TEL4VN offset page of minimal records (only ``id`` is required)."""
    count = max(0, min(2, total - offset))
    return {
        "data": [{"id": f"cdr-{offset + n}"} for n in range(count)],
        "limit": 2,
        "offset": offset,
        "total": total,
    }


@pytest.mark.parametrize(
    "header",
    [pytest.param("X-Request-Id", id="x-request-id"), pytest.param("request-id", id="lower")],
)
async def test_list_page_carries_the_request_id(
    client: AsyncTel4vnClient, sim: Tel4vnSimulator, header: str
) -> None:
    """``Page.request_id`` is the success answer's request id header."""
    await client.calls.list()
    sim.script(Reply(200, body=page_body(0, 0), headers={header: "rq-1"}), times=1, path="/v2/cdr")
    page = await client.cdrs.list(limit=2, offset=0)
    assert page.request_id == "rq-1"


async def test_each_page_of_a_listing_carries_its_own_request_id(
    client: AsyncTel4vnClient, sim: Tel4vnSimulator
) -> None:
    """Every page of ``pages()`` names the response it came from; none without a header."""
    await client.calls.list()
    sim.script(Reply(200, body=page_body(0, 4), headers={"X-Request-Id": "a"}), path="/v2/cdr")
    sim.script(Reply(200, body=page_body(2, 4), headers={"X-Request-Id": "b"}), path="/v2/cdr")
    pages = client.cdrs.pages(page_size=2, pagination="offset")
    ids = [page.request_id async for page in pages]
    assert ids == ["a", "b"]
    plain = await client.cdrs.list(limit=2)
    assert plain.request_id is None


async def test_customer_pages_carry_the_request_id(
    client: AsyncTel4vnClient, sim: Tel4vnSimulator
) -> None:
    """Another listing's pages (``customers``) carry it too."""
    await client.calls.list()
    body = {"code": 200, **page_body(0, 0)}
    sim.script(Reply(200, body=body, headers={"X-Request-Id": "c-9"}), times=1, path="/v2/customer")
    page = await client.customers.list(limit=2)
    assert page.request_id == "c-9"
