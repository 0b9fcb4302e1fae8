"""OMICall call history: one page, 30-day windows without gap or overlap, input checks."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import msgspec
import pytest

from telcall.errors import ProviderError, ValidationError
from telcall.omicall import AsyncOmicallClient, CallTransaction
from telcall.omicall.models import CallTransactionPage, Envelope
from telcall.omicall.resources.call_history import split_windows
from telcall.simulator._data import VN
from telcall.simulator._omicall import OmicallSimulator

DAY_MS = 86_400_000
START = datetime(2026, 9, 1, tzinfo=VN)


def _ms(moment: datetime) -> int:
    return int(moment.timestamp()) * 1000


async def _drain(result):
    """Await a coroutine or exhaust an async generator."""
    if hasattr(result, "__aiter__"):
        return [item async for item in result]
    return await result


def _windows(sim):
    return [
        msgspec.json.decode(r.body)
        for r in sim.requests
        if r.path == "/api/call_transaction/list" and r.query["page"] == "1"
    ]


@pytest.fixture
async def hourly():
    """A simulator with exactly one call per hour for 90 days (so windows end on a record)."""
    async with OmicallSimulator(calls=90 * 24, start=START, end=START + timedelta(days=90)) as sim:
        client = AsyncOmicallClient(base_url=sim.base_url, api_key=sim.api_key, max_retries=0)
        try:
            yield sim, client
        finally:
            await client.aclose()


async def test_list_one_page(sim, client):
    """list() sends page/size in the query and the range in epoch ms, to_date inclusive."""
    page = await client.call_history.list(
        from_date=START, to_date=START + timedelta(days=1), size=20
    )
    request = sim.requests[-1]
    assert request.query == {"page": "1", "size": "20"}
    assert {"from_date": _ms(START), "to_date": _ms(START) + DAY_MS - 1} == msgspec.json.decode(
        request.body
    )
    assert len(page.items) == 20
    assert page.has_more is True
    assert page.total == len(sim.transaction_ids(_ms(START), _ms(START) + DAY_MS))
    assert all(isinstance(item, CallTransaction) for item in page.items)


@pytest.mark.parametrize(
    ("tz", "value", "expected"),
    [
        pytest.param("Asia/Ho_Chi_Minh", datetime(2026, 9, 2), _ms(START) + DAY_MS, id="naive-vn"),
        pytest.param(
            "UTC", datetime(2026, 9, 2), _ms(datetime(2026, 9, 2, tzinfo=UTC)), id="naive-utc"
        ),
        pytest.param("Asia/Ho_Chi_Minh", date(2026, 9, 2), _ms(START) + DAY_MS, id="date-vn"),
        pytest.param(
            "UTC",
            datetime(2026, 9, 2, 7, tzinfo=VN),
            _ms(START) + DAY_MS + 7 * 3_600_000,
            id="aware",
        ),
    ],
)
async def test_dates_in_client_zone(sim, tz, value, expected):
    """Naive datetimes and dates are read in the client's tz; aware ones keep their offset."""
    async with AsyncOmicallClient(base_url=sim.base_url, api_key=sim.api_key, tz=tz) as client:
        await client.call_history.list(from_date=value, to_date=value + timedelta(days=1))
    assert expected == msgspec.json.decode(sim.requests[-1].body)["from_date"]


async def test_windows_tile_the_range(hourly):
    """A 90-day range becomes three 30-day windows: contiguous, no millisecond twice."""
    sim, client = hourly
    end = START + timedelta(days=90)
    calls = [c async for c in client.call_history.iterate(from_date=START, to_date=end)]
    bodies = _windows(sim)
    assert len(bodies) == 3
    assert _ms(START) == bodies[0]["from_date"]
    assert _ms(end) - 1 == bodies[-1]["to_date"]
    for body in bodies:
        assert body["to_date"] - body["from_date"] < 30 * DAY_MS
    for left, right in itertools.pairwise(bodies):
        assert left["to_date"] + 1 == right["from_date"]
    ids = [c.transaction_id for c in calls]
    assert sim.transaction_ids(_ms(START), _ms(end)) == ids
    assert len(ids) == len(set(ids)) == 90 * 24


async def test_records_on_window_boundaries_appear_once(hourly):
    """Records stamped exactly on a window boundary are listed once, in the later window."""
    sim, client = hourly
    boundary = _ms(START) + 30 * DAY_MS
    on_boundary = sim.transaction(30 * 24)
    assert boundary == on_boundary["created_date"]
    calls = [
        c
        async for c in client.call_history.iterate(
            from_date=START, to_date=START + timedelta(days=61)
        )
    ]
    ids = [c.transaction_id for c in calls]
    assert ids.count(on_boundary["transaction_id"]) == 1
    assert ids.count(sim.transaction(60 * 24)["transaction_id"]) == 1


async def test_range_is_closed_open(hourly):
    """from_date is included and to_date is not."""
    sim, client = hourly
    first, last = sim.transaction(10), sim.transaction(20)
    calls = [
        c
        async for c in client.call_history.iterate(
            from_date=START + timedelta(hours=10), to_date=START + timedelta(hours=20)
        )
    ]
    ids = [c.transaction_id for c in calls]
    assert len(ids) == 10
    assert first["transaction_id"] == ids[0]
    assert last["transaction_id"] not in ids


@pytest.mark.parametrize(
    ("start", "end", "width", "expected"),
    [
        pytest.param(0, 10, 4, [(0, 4), (4, 8), (8, 10)], id="remainder"),
        pytest.param(0, 8, 4, [(0, 4), (4, 8)], id="exact"),
        pytest.param(5, 6, 4, [(5, 6)], id="short"),
        pytest.param(5, 5, 4, [], id="empty"),
    ],
)
def test_split_windows(start, end, width, expected):
    """Windows are closed-open, consecutive, and at most ``width`` long."""
    assert expected == split_windows(start, end, width)


async def test_max_items_across_windows(hourly):
    """max_items stops inside a later window without fetching more."""
    sim, client = hourly
    calls = [
        c
        async for c in client.call_history.iterate(
            from_date=START, to_date=START + timedelta(days=90), max_items=30 * 24 + 5
        )
    ]
    assert len(calls) == 30 * 24 + 5
    assert len(_windows(sim)) == 2
    assert sim.count("POST", "/api/call_transaction/list") == 16


async def test_pages_skip_empty_windows(sim, client):
    """A range with no calls yields no page (but still asks each window once)."""
    before = START - timedelta(days=70)
    pages = [p async for p in client.call_history.pages(from_date=before, to_date=START)]
    assert pages == []
    assert sim.count("POST", "/api/call_transaction/list") == 3


async def test_prefetch_yields_same_pages(hourly):
    """prefetch=1 yields exactly the same records."""
    _sim, client = hourly
    kwargs = {"from_date": START, "to_date": START + timedelta(days=40)}
    plain = [c.transaction_id async for c in client.call_history.iterate(**kwargs)]
    ahead = [c.transaction_id async for c in client.call_history.iterate(prefetch=1, **kwargs)]
    assert plain == ahead


@pytest.mark.parametrize(
    ("body", "size", "code"),
    [
        pytest.param({"from_date": 0, "to_date": 31 * DAY_MS}, 50, "date_is_too_long", id="range"),
        pytest.param({"from_date": 0, "to_date": DAY_MS}, 51, "size_is_too_large", id="size"),
        pytest.param({}, 10, "date_is_required", id="no-dates"),
    ],
)
async def test_simulator_refusals_map_to_provider_error(client, body, size, code):
    """The simulator's documented refusals (HTTP 200, -9999) surface as ProviderError."""
    decoder = msgspec.json.Decoder(Envelope[CallTransactionPage])
    with pytest.raises(ProviderError) as info:
        await client._request(
            "POST",
            "/api/call_transaction/list",
            decoder,
            params={"page": 1, "size": size},
            json=body,
        )
    assert code == info.value.code


@pytest.mark.parametrize(
    ("method", "kwargs"),
    [
        pytest.param(
            "list", {"to_date": START + timedelta(days=31)}, id="list-longer-than-30-days"
        ),
        pytest.param("list", {"to_date": START}, id="empty-range"),
        pytest.param("list", {"to_date": START - timedelta(days=1)}, id="reversed"),
        pytest.param("list", {"to_date": START + timedelta(days=1), "size": 51}, id="size-51"),
        pytest.param("list", {"to_date": START + timedelta(days=1), "page": 0}, id="page-0"),
        pytest.param("list", {"to_date": "02/09/2026"}, id="non-iso-string-date"),
        pytest.param(
            "iterate", {"to_date": START + timedelta(days=1), "page_size": 51}, id="page-size-51"
        ),
        pytest.param(
            "iterate", {"to_date": START + timedelta(days=1), "max_items": -1}, id="max-items"
        ),
        pytest.param("iterate", {"to_date": START}, id="iterate-empty-range"),
    ],
)
async def test_bad_input_sends_nothing(sim, client, method, kwargs):
    """Bad input raises ValidationError and no request reaches the simulator."""
    with pytest.raises(ValidationError):
        await _drain(getattr(client.call_history, method)(from_date=START, **kwargs))
    assert sim.requests == []


@pytest.mark.parametrize("method", ["list", "pages", "iterate"])
@pytest.mark.parametrize(
    ("from_date", "to_date"),
    [
        pytest.param(datetime(1290, 1, 1, tzinfo=UTC), START, id="year-1290"),
        pytest.param(datetime(1969, 12, 31, 23, tzinfo=UTC), START, id="before-1970"),
        pytest.param(START, datetime(9999, 1, 1, tzinfo=UTC), id="year-9999"),
        pytest.param(
            datetime.now(UTC) + timedelta(days=1),
            datetime.now(UTC) + timedelta(days=32),
            id="over-30-days-ahead",
        ),
    ],
)
async def test_range_outside_the_providers_timestamps_sends_nothing(
    sim, client, method, from_date, to_date
):
    """A range before the epoch or beyond a window from now is refused before any request."""
    with pytest.raises(ValidationError, match=r"1970|30 days from now"):
        await _drain(getattr(client.call_history, method)(from_date=from_date, to_date=to_date))
    assert sim.requests == []


async def test_range_up_to_a_window_ahead_is_sent(sim, client):
    """to_date up to 30 days from now is a range OMICall is asked for, not refused."""
    now = datetime.now(UTC)
    pages = [
        p async for p in client.call_history.pages(from_date=now, to_date=now + timedelta(days=29))
    ]
    assert pages == []
    assert sim.count("POST", "/api/call_transaction/list") == 1
