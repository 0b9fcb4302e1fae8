"""Exact requests the TEL4VN client builds (aioresponses: narrow unit tests, no server)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest
from aioresponses import aioresponses
from yarl import URL

from telcall import AsyncTel4vnClient

BASE = "http://pbx.test"
TOKEN = {"code": 200, "content": "ok", "data": {"token": "tok-1", "expired_in": 3600}}


@pytest.fixture
async def client() -> AsyncIterator[AsyncTel4vnClient]:
    """A client pointed at a host that only aioresponses answers."""
    async with AsyncTel4vnClient(base_url=BASE, api_key="key-1") as client:
        yield client


def sent(mocked: aioresponses, method: str, path: str) -> tuple[URL, dict[str, Any]]:
    """The URL (with query) and keyword arguments of the one matching request."""
    calls = [
        (url, call.kwargs)
        for (verb, url), recorded in mocked.requests.items()
        for call in recorded
        if verb == method and url.path == path
    ]
    assert len(calls) == 1, calls
    return calls[0]


Case = Callable[[AsyncTel4vnClient], Awaitable[Any]]

CASES: list[Any] = [
    pytest.param(
        lambda c: c.click2call.call(
            ext="101", phone="0899098899", auto_answer=True, hotline="1900"
        ),
        "GET",
        "/v1/click2call",
        {"ext": "101", "phone": "0899098899", "auto_answer": "true", "hotline": "1900"},
        None,
        {"status": "success", "call_id": "c1"},
        id="click2call-query-drops-unset",
    ),
    pytest.param(
        lambda c: c.click2call.call_customer(customer_id="KH1", mobile="0899098899", agent="101"),
        "POST",
        "/v2/click2call",
        {},
        {"id": "KH1", "mobile": "0899098899", "agent": "101"},
        {"code": "0", "status": "success", "call_id": "c1"},
        id="click2call-post-body",
    ),
    pytest.param(
        lambda c: c.customers.create(
            campaign_id="camp",
            customer_code="KH01",
            phone_number="0899888998",
            contract_number="ABC123",
        ),
        "POST",
        "/v2/customer",
        {},
        {
            "campaign_id": "camp",
            "customer_code": "KH01",
            "phone_number": "0899888998",
            "contract_number": "ABC123",
        },
        {"code": 201, "content": "successfully", "id": "new"},
        id="customer-body-omits-unset-optionals",
    ),
    pytest.param(
        lambda c: c.autodialer.import_queue(
            campaign_id="camp",
            queue_code="Q",
            precall_ratio=150,
            max_recall_count=2,
            queue_agents=5001,
            customers=[{"id": "C1", "mobiles": ["0899123456"]}],
        ),
        "POST",
        "/v2/autodialer/queue",
        {},
        {
            "campaign_id": "camp",
            "queue_code": "Q",
            "precall_ratio": "150",
            "max_recall_count": "2",
            "queue_agents": "5001",
            "customers": [{"id": "C1", "mobiles": ["0899123456"]}],
        },
        {"message": "successfully"},
        id="autodialer-numbers-as-strings",
    ),
    pytest.param(
        lambda c: c.events.create(callback_url="https://h", event="cdr", callback_apikey="k"),
        "POST",
        "/v1/event",
        {},
        {"callback_url": "https://h", "event": "cdr", "callback_apikey": "k"},
        {"created": True},
        id="event-create",
    ),
    pytest.param(
        lambda c: c.cdrs.list(
            start_date=datetime(2026, 11, 1, 0, 0, tzinfo=UTC), end_date="2026-11-02", page=2
        ),
        "GET",
        "/v2/cdr",
        {"start_date": "2026-11-01 07:00:00", "end_date": "2026-11-02", "page": "2", "limit": "50"},
        None,
        {"data": [], "limit": 50, "offset": 50, "total": 0},
        id="cdr-filters-in-local-time",
    ),
    pytest.param(
        lambda c: c.calls.transfer("call/1", ext="102"),
        "POST",
        "/v2/call/call%2F1/transfer",
        {},
        {"ext": "102"},
        {"status": "success", "call_id": "call/1", "ext": "102"},
        id="call-id-escaped-in-path",
    ),
]


@pytest.mark.parametrize(("call", "method", "path", "query", "body", "answer"), CASES)
async def test_request_shape(
    client: AsyncTel4vnClient,
    call: Case,
    method: str,
    path: str,
    query: dict[str, str],
    body: dict[str, Any] | None,
    answer: dict[str, Any],
) -> None:
    """Method, path, query, JSON body and bearer header are exactly what the API documents."""
    with aioresponses() as mocked:
        mocked.post(f"{BASE}/v2/auth/token", payload=TOKEN)
        mocked.add(re.compile(r".*"), method=method, payload=answer)
        await call(client)
        _, token_kwargs = sent(mocked, "POST", "/v2/auth/token")
        assert msgspec.json.decode(token_kwargs["data"]) == {"api_key": "key-1"}
        url, kwargs = sent(mocked, method, URL(path, encoded=True).path)
    assert dict(url.query) == query
    assert kwargs["headers"]["Authorization"] == "Bearer tok-1"
    if body is None:
        assert kwargs["data"] is None
    else:
        assert kwargs["headers"]["Content-Type"] == "application/json"
        assert msgspec.json.decode(kwargs["data"]) == body
