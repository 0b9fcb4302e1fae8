"""One date parser for every date argument of every provider."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import anyio
import pytest

from telcall import errors
from telcall._core.validation import parse_date

VN = ZoneInfo("Asia/Ho_Chi_Minh")
MOMENT = datetime(2026, 11, 1, 10, 0, tzinfo=VN)

PARSED = [
    pytest.param("2026-11-01", date(2026, 11, 1), id="day"),
    pytest.param(date(2026, 11, 1), date(2026, 11, 1), id="date-object"),
    pytest.param("2026-11-01T10:00:00", MOMENT, id="t-naive-is-client-tz"),
    pytest.param("2026-11-01 10:00:00", MOMENT, id="space-naive"),
    pytest.param("2026-11-01T03:00:00Z", MOMENT, id="t-zulu"),
    pytest.param("2026-11-01 03:00:00+00:00", MOMENT, id="space-offset"),
    pytest.param("2026-11-01T10:00:00+07:00", MOMENT, id="t-offset"),
    pytest.param("2026-11-01T10:00", MOMENT, id="no-seconds"),
    pytest.param("2026-11-01T10:00:00.000", MOMENT, id="fraction"),
    pytest.param(datetime(2026, 11, 1, 10), MOMENT, id="naive-datetime"),
    pytest.param(datetime(2026, 11, 1, 3, tzinfo=UTC), MOMENT, id="aware-datetime"),
]


@pytest.mark.parametrize(("value", "expected"), PARSED)
def test_parse_date(value: Any, expected: date) -> None:
    """ISO 8601 with ``T`` or space, with or without offset, and date objects."""
    parsed = parse_date(value, "when", VN)
    assert expected == parsed
    assert type(expected) is type(parsed)


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("", id="empty"),
        pytest.param("yesterday", id="word"),
        pytest.param("2026-13-01", id="month-13"),
        pytest.param("2026-02-30", id="feb-30"),
        pytest.param("01/11/2026", id="dd-mm-yyyy"),
        pytest.param("2026-11-01X10:00", id="bad-separator"),
        pytest.param("2026-11-01\n", id="trailing-newline"),
        pytest.param("20261101", id="basic-format"),
    ],
)
def test_bad_date_string_is_refused(value: str) -> None:
    """Anything else is a ValidationError naming the argument."""
    with pytest.raises(errors.ValidationError, match="when"):
        parse_date(value, "when", VN)


TEL4VN_SENT = [
    pytest.param("2024-01-01T17:00:00Z", "2024-01-02 00:00:00", id="zulu-to-local"),
    pytest.param("2026-11-01T10:00:00", "2026-11-01 10:00:00", id="t-naive"),
    pytest.param("2026-11-01 10:00:00", "2026-11-01 10:00:00", id="space-naive"),
    pytest.param("2026-11-01", "2026-11-01", id="day"),
    pytest.param(
        datetime(2026, 11, 1, 11, tzinfo=timezone(timedelta(hours=8))),
        "2026-11-01 10:00:00",
        id="aware-object",
    ),
    pytest.param(datetime(999, 1, 1, 7, 6, 30), "0999-01-01 07:06:30", id="year-before-1000"),
]


@pytest.mark.parametrize(("value", "sent"), TEL4VN_SENT)
async def test_tel4vn_sends_local_time(hostile_factory: Any, value: Any, sent: str) -> None:
    """TEL4VN gets ``YYYY-MM-DD[ HH:MM:SS]`` in the client's zone, whatever form was given."""
    with anyio.fail_after(20):
        async with hostile_factory("tel4vn") as h:
            await h.client.cdrs.list(start_date=value, limit=1, offset=0)
            (request,) = h.served()
    assert sent == request.query["start_date"]


async def test_omicall_takes_strings(hostile_factory: Any) -> None:
    """OMICall's ``from_date``/``to_date`` take the same strings, sent as epoch ms."""
    with anyio.fail_after(20):
        async with hostile_factory("omicall") as h:
            await h.client.call_history.list(
                from_date="2026-09-01T00:00:00+07:00", to_date="2026-09-02"
            )
            (request,) = h.served()
    body = json.loads(request.body)
    assert int(datetime(2026, 9, 1, tzinfo=VN).timestamp() * 1000) == body["from_date"]
    # [from_date, to_date): the last millisecond sent is the one before to_date.
    assert int(datetime(2026, 9, 2, tzinfo=VN).timestamp() * 1000) - 1 == body["to_date"]


async def test_aicallcenter_takes_strings(hostile_factory: Any) -> None:
    """AI Call Center's ``start_time``/``end_time`` take the same strings, sent as epoch ms."""
    with anyio.fail_after(20):
        async with hostile_factory("aicallcenter") as h:
            await h.client.users.calls.list(start_time="2026-09-01 00:00:00Z")
            (request,) = h.served()
    assert (
        str(int(datetime(2026, 9, 1, tzinfo=UTC).timestamp() * 1000)) == request.query["start_time"]
    )


async def test_empty_scroll_id_is_refused(hostile_factory: Any) -> None:
    """An empty scroll_id is not a cursor: ValidationError, nothing sent (the API says expired)."""
    async with hostile_factory("tel4vn") as h:
        with pytest.raises(errors.ValidationError, match="scroll_id"):
            await h.client.cdrs.list(scroll_id=" ")
        assert h.served() == []
