"""The rules every provider shares live once in ``telcall._core.validation``."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import anyio
import pytest

from telcall import errors
from telcall._core.validation import require, to_epoch_ms

VN = ZoneInfo("Asia/Ho_Chi_Minh")

BLANK_CALLS: list[Any] = [
    pytest.param(
        "tel4vn",
        lambda c, v: c.customers.create(
            campaign_id=v, customer_code="K", phone_number="0899888998", contract_number="A"
        ),
        id="tel4vn-customers-create",
    ),
    pytest.param("tel4vn", lambda c, v: c.calls.transfer("C1", ext=v), id="tel4vn-transfer-ext"),
    pytest.param(
        "tel4vn",
        lambda c, v: c.events.create(callback_url=v, event="hangup"),
        id="tel4vn-events-create",
    ),
    pytest.param("tel4vn", lambda c, v: c.autocall.stop(v), id="tel4vn-autocall-stop"),
    pytest.param("omicall", lambda c, v: c.contacts.get(ref_id=v), id="omicall-contacts-get"),
]


@pytest.mark.parametrize("blank", [pytest.param("", id="empty"), pytest.param(" \t", id="ws")])
@pytest.mark.parametrize(("provider", "call"), BLANK_CALLS)
async def test_blank_required_value_is_refused(
    hostile_factory: Any, provider: str, call: Any, blank: str
) -> None:
    """A required value that is empty or whitespace-only is refused by every provider."""
    with anyio.fail_after(20):
        async with hostile_factory(provider) as h:
            with pytest.raises(errors.ValidationError, match="missing required"):
                await call(h.client, blank)
            assert h.served() == []


def test_require_names_every_missing_field() -> None:
    """``require`` lists each blank or missing name."""
    with pytest.raises(errors.ValidationError, match="a, b"):
        require(a=None, b="  ", c="x")
    require(a="x", b=0)


EPOCH_CASES = [
    pytest.param(datetime(2026, 1, 1, tzinfo=UTC), 1767225600000, id="aware"),
    pytest.param(datetime(2026, 1, 1, 7), 1767225600000, id="naive-is-client-tz"),
    pytest.param(date(2026, 1, 1), 1767200400000, id="date-is-local-midnight"),
    pytest.param(
        datetime(2026, 1, 1, 8, tzinfo=timezone(timedelta(hours=8))), 1767225600000, id="offset"
    ),
    pytest.param(datetime(2026, 1, 1, 0, 0, 0, 999, tzinfo=UTC), 1767225600000, id="exact-ms"),
]


@pytest.mark.parametrize(("value", "expected"), EPOCH_CASES)
def test_to_epoch_ms(value: date, expected: int) -> None:
    """Epoch milliseconds in integer arithmetic; naive values are read in the client's zone."""
    assert expected == to_epoch_ms(value, "when", VN)


async def test_add_many_takes_plain_string_phones(hostile_factory: Any) -> None:
    """``contacts.add_many`` takes ``phones=["0393123457"]`` as ``contacts.add`` does."""
    contacts = [
        {"fullName": "Nguyen Van A", "phones": ["0393123457"], "emails": ["a@example.vn"]},
        {"fullName": "Tran Thi B", "phones": [{"data": "0393123458"}]},
    ]
    with anyio.fail_after(20):
        async with hostile_factory("omicall") as h:
            await h.client.contacts.add_many(contacts)
            (request,) = h.served()
    sent = json.loads(request.body)
    assert sent[0]["phones"][0]["data"] == "0393123457"
    assert sent[0]["emails"][0]["data"] == "a@example.vn"
    assert sent[1]["phones"][0]["data"] == "0393123458"


async def test_add_many_checks_plain_string_phones(hostile_factory: Any) -> None:
    """A plain-string phone in ``add_many`` is validated like any other."""
    with anyio.fail_after(20):
        async with hostile_factory("omicall") as h:
            with pytest.raises(errors.ValidationError, match=r"contacts\[0\]\.phones\[0\]"):
                await h.client.contacts.add_many([{"fullName": "A", "phones": ["12\n"]}])
            assert h.served() == []
