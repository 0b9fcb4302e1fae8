"""Bad input raises ValidationError before any request leaves the process."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import pytest

from telcall import AsyncTel4vnClient, errors
from telcall.simulator import Tel4vnSimulator
from telcall.tel4vn import normalize_phone

Call = Callable[[AsyncTel4vnClient], Awaitable[Any]]


async def drain(iterator: Any) -> None:
    """Consume an async iterator (validation runs on the first step)."""
    async for _ in iterator:
        pass


BAD_CALLS: list[Any] = [
    pytest.param(
        lambda c: c.customers.create(
            campaign_id="c", customer_code="K", phone_number="84899888998", contract_number="A"
        ),
        "did you mean '0899888998'",
        id="customer-international-phone",
    ),
    pytest.param(
        lambda c: c.customers.create(
            campaign_id="c", customer_code="K", phone_number="12345", contract_number="A"
        ),
        "phone pattern",
        id="customer-short-phone",
    ),
    pytest.param(
        lambda c: c.customers.create(
            campaign_id="", customer_code="K", phone_number="0899888998", contract_number="A"
        ),
        "campaign_id",
        id="customer-missing-campaign",
    ),
    pytest.param(
        lambda c: c.customers.create(
            campaign_id="c",
            customer_code="K",
            phone_number="0899888998",
            contract_number="A",
            after_day=-1,
        ),
        "after_day",
        id="customer-negative-after-day",
    ),
    pytest.param(
        lambda c: c.click2call.call(ext="101", phone="+84899098899"),
        "phone",
        id="click2call-phone",
    ),
    pytest.param(
        lambda c: c.click2call.call_nowait(ext="", phone="0899098899"), "ext", id="c2c-ext"
    ),
    pytest.param(
        lambda c: c.click2call.call_customer(customer_id="K", mobile="abc", agent="101"),
        "mobile",
        id="c2c-post-mobile",
    ),
    pytest.param(
        lambda c: c.events.create(callback_url="https://x", event="create"),  # type: ignore[arg-type]
        "event must be one of",
        id="event-name",
    ),
    pytest.param(
        lambda c: c.events.ensure("https://x", events=["hangup", "created"]),
        r"events\[1\] must be one of",
        id="ensure-event-name",
    ),
    pytest.param(lambda c: c.events.create(callback_url="", event="cdr"), "callback_url", id="url"),
    pytest.param(
        lambda c: c.cdrs.list(start_date="2026-11-02", end_date="2026-11-01"),
        "after end_date",
        id="cdr-range",
    ),
    pytest.param(
        lambda c: drain(c.cdrs.iterate(start_date=date(2026, 11, 3), end_date=date(2026, 11, 1))),
        "after end_date",
        id="cdr-range-iterate",
    ),
    pytest.param(lambda c: c.cdrs.list(start_date="01/11/2026"), "start_date", id="date-format"),
    pytest.param(
        lambda c: c.cdrs.list(start_date="2026-02-30"),
        "start_date must be an ISO 8601 date",
        id="date-real",
    ),
    pytest.param(lambda c: c.cdrs.list(direction="sideways"), "direction", id="direction"),
    pytest.param(lambda c: c.cdrs.list(limit=0), "page_size", id="limit-zero"),
    pytest.param(lambda c: drain(c.cdrs.iterate(page_size=5000)), "page_size", id="page-size"),
    pytest.param(lambda c: drain(c.cdrs.iterate(concurrency=0)), "concurrency", id="concurrency"),
    pytest.param(lambda c: c.cdrs.get("  "), "cdr_id", id="cdr-id"),
    pytest.param(lambda c: c.users.status(""), "user_id", id="user-id"),
    pytest.param(lambda c: c.customers.get(""), "customer_id", id="customer-id"),
    pytest.param(lambda c: c.calls.transfer("", ext="101"), "call_id", id="call-id"),
    pytest.param(lambda c: c.calls.barge("abc", ext=""), "ext", id="call-ext"),
    pytest.param(
        lambda c: c.autodialer.import_queue(
            campaign_id="c",
            queue_code="Q",
            precall_ratio=1,
            max_recall_count=1,
            queue_agents=1,
            customers=[{"id": "1", "mobiles": ["123"]}],
        ),
        "mobiles",
        id="dialer-mobile",
    ),
    pytest.param(
        lambda c: c.autodialer.import_queue(
            campaign_id="c",
            queue_code="Q",
            precall_ratio=1,
            max_recall_count=1,
            queue_agents=1,
            customers=[],
        ),
        "customers",
        id="dialer-empty",
    ),
    pytest.param(
        lambda c: c.autocall.import_queue(
            queue_code="Q", template="T", customers=[{"id": "1", "mobiles": []}]
        ),
        "mobiles",
        id="autocall-no-mobile",
    ),
    pytest.param(
        lambda c: c.autocall.import_queue(queue_code="Q", template="T", customers=[{"id": "1"}]),
        "mobiles",
        id="autocall-missing-mobiles",
    ),
    pytest.param(
        lambda c: c.autocall.import_queue(
            queue_code="Q",
            template="T",
            concurrent_call=-1,
            customers=[{"id": "1", "mobiles": ["0982596021"]}],
        ),
        "concurrent_call",
        id="autocall-negative",
    ),
    pytest.param(lambda c: c.autocall.dnc("Q", customer_ids=[]), "customer_ids", id="dnc-empty"),
    pytest.param(lambda c: c.autocall.stop(""), "queue_code", id="queue-code"),
    pytest.param(lambda c: c.auth.login("", "x"), "username", id="login"),
]


@pytest.mark.parametrize(("call", "message"), BAD_CALLS)
async def test_bad_input_sends_nothing(
    client: AsyncTel4vnClient, tel4vn_simulator: Tel4vnSimulator, call: Call, message: str
) -> None:
    """The call raises ValidationError (a ValueError) and the server saw no request at all."""
    with pytest.raises(errors.ValidationError, match=message) as caught:
        await call(client)
    assert isinstance(caught.value, ValueError)
    assert tel4vn_simulator.requests == []


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        pytest.param("+84899888998", "0899888998", id="plus-84"),
        pytest.param("84899888998", "0899888998", id="84"),
        pytest.param("0084 899 888 998", "0899888998", id="0084-spaces"),
        pytest.param("0899.888.998", "0899888998", id="dots"),
        pytest.param("0899888998", "0899888998", id="already"),
    ],
)
def test_normalize_phone(raw: str, normal: str) -> None:
    """International and punctuated forms normalise to the 0… form the pattern accepts."""
    assert normalize_phone(raw) == normal


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({}, id="nothing"),
        pytest.param({"base_url": "pbx.example.vn", "api_key": "k"}, id="no-scheme"),
        pytest.param({"base_url": "http://x", "api_key": "k", "cdr_mapping": "x"}, id="mapping"),
        pytest.param({"base_url": "http://x", "api_key": "k", "max_retries": -1}, id="retries"),
    ],
)
def test_bad_constructor_arguments(kwargs: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """Missing or malformed settings are a ValidationError at construction."""
    for name in ("TELCALL_TEL4VN_BASE_URL", "TELCALL_TEL4VN_API_KEY", "TELCALL_TEL4VN_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(errors.ValidationError):
        AsyncTel4vnClient(**kwargs)


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Base URL and api key come from the environment when not passed."""
    monkeypatch.setenv("TELCALL_TEL4VN_BASE_URL", "https://pbx.example.vn/")
    monkeypatch.setenv("TELCALL_TEL4VN_API_KEY", "from-env")
    client = AsyncTel4vnClient()
    assert client.base_url == "https://pbx.example.vn"
    assert "from-env" not in repr(client)
