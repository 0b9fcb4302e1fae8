"""Synthetic CDR realism, quirks and determinism."""

import re
from collections import Counter
from typing import Any

import msgspec
import pytest

from telcall.simulator import Tel4vnSimulator, cdr_page_bytes
from telcall.simulator._data import CdrStore

PHONE = re.compile(r"^(84|0[3|5|7|8|9])+([0-9]{8})$")
N = 20_000


@pytest.fixture(scope="module")
def records():
    """20,000 default-mapping CDRs, seed 1."""
    store = CdrStore(N)
    return [store.record(i) for i in range(N)]


def share(records, predicate):
    """The fraction of records matching predicate."""
    return sum(1 for r in records if predicate(r)) / len(records)


def test_default_shape(records):
    """Records carry the documented default fields in the documented order."""
    keys = [
        "id",
        "sip_call_id",
        "cause",
        "duration",
        "direction",
        "recording_url",
        "extension",
        "from_number",
        "to_number",
        "receive_dest",
        "time_started",
        "time_answered",
        "time_ended",
        "status",
        "customer_id",
    ]
    assert all(list(r)[:15] == keys for r in records)


def test_phone_numbers_match_the_pattern(records):
    """Every customer mobile matches the documented phone pattern."""
    mobiles = [n for r in records for n in (r["from_number"], r["to_number"]) if len(n) == 10]
    assert len(mobiles) > N * 0.9
    assert all(PHONE.match(m) for m in mobiles)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        pytest.param("ANSWERED", 0.60, id="answered"),
        pytest.param("NO-ANSWERED", 0.14, id="no-answered"),
        pytest.param("BUSY", 0.12, id="busy"),
        pytest.param("CANCEL", 0.07, id="cancel"),
        pytest.param("NOT-AVAILABLE", 0.05, id="not-available"),
        pytest.param("INVALID", 0.02, id="invalid"),
    ],
)
def test_status_proportions(records, status, expected):
    """Statuses come in plausible proportions, upper case in the default mapping."""
    assert share(records, lambda r: r["status"] == status) == pytest.approx(expected, abs=0.015)


def test_direction_proportions(records):
    """About 55% outbound, 40% inbound, 5% local (direction may be the integer 3)."""
    kinds = Counter(
        "local"
        if len(r["from_number"]) == 3
        else "inbound"
        if len(r["from_number"]) == 10
        else "outbound"
        for r in records
    )
    assert kinds["outbound"] / N == pytest.approx(0.55, abs=0.02)
    assert kinds["inbound"] / N == pytest.approx(0.40, abs=0.02)
    assert kinds["local"] / N == pytest.approx(0.05, abs=0.01)


def test_answered_fields(records):
    """Only answered calls have time_answered and a recording; durations are consistent."""
    for r in records:
        answered = r["status"] == "ANSWERED"
        assert answered == bool(r["time_answered"]) == bool(r["recording_url"])
        assert r["time_started"] <= r["time_ended"]
        assert r["duration"] > 0
        assert (r["cause"] == "NORMAL_CLEARING") == answered


@pytest.mark.parametrize(
    ("predicate", "rate"),
    [
        pytest.param(lambda r: r["direction"] == 3, 0.05, id="direction-int"),
        pytest.param(lambda r: r["id"].endswith(" "), 0.02, id="id-trailing-space"),
        pytest.param(lambda r: "hangup_by" in r, 0.03, id="extra-field"),
    ],
)
def test_quirk_rates(records, predicate, rate):
    """The documented quirks appear at their small fixed rates."""
    assert share(records, predicate) == pytest.approx(rate, abs=0.006)


def test_ids_unique_and_uuid_like(records):
    """Ids and sip_call_ids are unique and UUID-shaped."""
    ids = {r["id"].strip() for r in records}
    assert N == len(ids) == len({r["sip_call_id"] for r in records})
    assert all(
        re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", i)
        for i in ids
    )


def test_times_monotonic_and_in_period(records):
    """time_started is non-decreasing and inside the default period."""
    started = [r["time_started"] for r in records]
    assert sorted(started) == started
    assert started[0] == "2026-11-01 00:00:00"
    assert started[-1] < "2026-11-08 00:00:00"


def test_flex_shape():
    """The flex mapping has the documented fields with lower-case statuses and billsec."""
    store = CdrStore(2000, mapping="flex")
    recs = [store.record(i) for i in range(2000)]
    assert list(recs[0]) == [
        "cdrId",
        "sip_call_id",
        "recordFile",
        "extensionId",
        "to",
        "hangupAt",
        "answeredAt",
        "ringAt",
        "dialAt",
        "status",
        "duration",
        "direction",
        "billsec",
        "customerId",
    ]
    assert all(r["status"].islower() and isinstance(r["direction"], str) for r in recs)
    assert all((r["billsec"] > 0) == (r["status"] == "answered") for r in recs)


def test_same_seed_same_bytes():
    """The same seed gives byte-identical pages; another seed does not."""
    assert cdr_page_bytes(500, seed=3) == cdr_page_bytes(500, seed=3)
    assert cdr_page_bytes(500, seed=3) != cdr_page_bytes(500, seed=4)


def test_cdr_page_bytes_shape():
    """cdr_page_bytes builds a pagination page body."""
    body = msgspec.json.decode(cdr_page_bytes(3, mapping="flex"))
    assert (body["limit"], body["offset"], body["total"], len(body["data"])) == (3, 0, 3, 3)
    assert "cdrId" in body["data"][0]


def test_page_encoding_is_the_store_records():
    """A 1,000-record page holds the store's records in order and encodes the same every time.

    Its speed (the claim this test once timed) is measured in ``benchmarks/``'s decode section.
    """
    page = cdr_page_bytes(1000)
    assert page == cdr_page_bytes(1000)
    body = msgspec.json.decode(page)
    store = CdrStore(1000)
    assert body["data"] == [store.record(i) for i in range(1000)]
    assert (body["limit"], body["offset"], body["total"]) == (1000, 0, 1000)


def test_lookup_is_constant_time():
    """Looking up CDR ids in a million-CDR store does not scan."""
    store = CdrStore(1_000_000)
    r = store.record(987_654)
    built: list[int] = []
    core = store.core

    def counting_core(index: int) -> Any:
        built.append(index)
        return core(index)

    store.core = counting_core  # type: ignore[method-assign]
    assert (store.lookup(r["id"]), store.lookup(r["sip_call_id"])) == (987_654, 987_654)
    # The id's tail unscrambles to its index: at most one record built per mask and lookup.
    assert len(built) <= 4


def test_simulator_cdr_matches_store():
    """sim.cdr(i) is the store's wire dict and inserted CDRs follow the generated ones."""
    sim = Tel4vnSimulator(cdrs=10)
    assert CdrStore(10).record(4) == sim.cdr(4)
    (index,) = sim.insert_cdrs(1)
    assert index == 10
    assert sim.cdr(10)["id"].strip() in set(sim.cdr_ids())
    with pytest.raises(IndexError):
        sim.cdr(11)
