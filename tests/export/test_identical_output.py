"""The batch and columnar paths give what the per-record path gave, value for value.

Every record is converted by the frozen reference (``reference_convert.py``: the old
``to_call_record()`` and sinks) and by the library: one record at a time, a page at a
time, and into Arrow; then written to NDJSON, CSV and Parquet by both. Every column of
every record must match, time zones and nulls included; a record the reference could
not convert (a time out of range) must be refused by the library too.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, strategies as st

from telcall import CallRecord
from telcall._core.pagination import Page
from telcall.aicallcenter.models import Call
from telcall.export._sinks import open_sink
from telcall.omicall.models import CallTransaction
from telcall.tel4vn.models import Cdr, FlexCdr

from . import reference_convert as ref

# Each case draws the profile's examples (60 in CI) of pages of records: seconds each.
pytestmark = pytest.mark.slow

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

ZONES = ("Asia/Ho_Chi_Minh", "UTC", "Europe/Berlin", "America/New_York")
FORMATS = ("ndjson", "csv", "parquet")

_naive = st.datetimes(min_value=datetime(1950, 1, 1), max_value=datetime(2100, 1, 1))
_times = st.one_of(
    _naive.map(lambda d: d.strftime("%Y-%m-%d %H:%M:%S")),
    _naive.map(lambda d: d.isoformat()),
    _naive.map(lambda d: d.replace(tzinfo=timezone(timedelta(hours=7))).isoformat()),
    st.sampled_from(
        ["", " ", "0001-01-01T00:00:00Z", "0000-00-00 00:00:00", "2026-13-01 00:00:00", "soon"]
    ),
    # A day of spring-forward and fall-back hours in the zones above.
    st.sampled_from(["2026-03-29 02:30:00", "2026-10-25 02:30:00", "2026-03-08 02:30:00"]),
)
# Only what ``LocalTimes.fill`` parses in one msgspec call (19-character naive values and ""),
# with a few that send a page back to the per-value path: Go's zero day, an hour msgspec refuses.
_plain_times = st.one_of(
    _naive.map(lambda d: d.strftime("%Y-%m-%d %H:%M:%S")),
    _naive.map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%S")),
    st.sampled_from(["", "2026-03-29 02:30:00", "2026-10-25 02:30:00", "2026-03-08 02:30:00"]),
    st.sampled_from(["0001-01-01 00:00:00", "2026-11-01 24:00:00"]),
)
_words = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "ANSWERED",
            "answered",
            " Busy ",
            "NO ANSWER",
            "no_answer",
            "NOANSWER",
            "missed",
            "Canceled",
            "cancel",
            "unavailable",
            "FAILED",
            "error",
            "invalid",
            "in",
            "OUT",
            " Inbound",
            "local",
            "internal",
            "sideways",
            "null",
        ]
    ),
    st.text(max_size=8),
)
_numbers = st.one_of(
    st.sampled_from(["", " ", "101", "5001", "19001234", "02812345678"]),
    st.from_regex(r"\+?(84|0)[35789]\d{8}", fullmatch=True),
    st.from_regex(r" ?\d{2,11} ?", fullmatch=True),
    st.text(max_size=6),
)
_text = st.one_of(st.sampled_from(["", "  ", "x"]), st.text(max_size=10))
_opt_text = st.one_of(st.none(), _text)
_epoch_s = st.one_of(
    st.none(), st.just(0), st.integers(1_500_000_000, 1_900_000_000), st.just(10**14)
)
_epoch_ms = st.one_of(
    st.none(), st.just(0), st.integers(1_500_000_000_000, 1_900_000_000_000), st.just(10**17)
)


def _cdr_of(times: st.SearchStrategy[str]) -> st.SearchStrategy[Cdr]:
    return st.builds(
        Cdr,
        id=st.one_of(_text, st.from_regex(r"cdr-\d{1,6} ?", fullmatch=True)),
        cause=_text,
        duration=st.integers(0, 10_000),
        direction=st.one_of(_words, st.integers(-1, 3)),
        recording_url=_text,
        extension=_numbers,
        from_number=_numbers,
        to_number=_numbers,
        time_started=times,
        time_answered=times,
        time_ended=times,
        status=_words,
        customer_id=_text,
    )


_cdr = _cdr_of(_times)


def _flex_of(times: st.SearchStrategy[str]) -> st.SearchStrategy[FlexCdr]:
    return st.builds(
        FlexCdr,
        cdrId=_text,
        recordFile=_text,
        extensionId=_numbers,
        to=_numbers,
        hangupAt=times,
        answeredAt=times,
        dialAt=times,
        status=_words,
        duration=st.integers(0, 10_000),
        direction=st.one_of(_words, st.integers(-1, 3)),
        billsec=st.integers(0, 10_000),
        customerId=_text,
    )


_flex = _flex_of(_times)
_transaction = st.builds(
    CallTransaction,
    transaction_id=_text,
    direction=st.one_of(st.none(), _words),
    source_number=st.one_of(st.none(), _numbers),
    destination_number=st.one_of(st.none(), _numbers),
    disposition=st.one_of(st.none(), _words),
    bill_sec=st.integers(0, 10_000),
    time_start_to_answer=_epoch_s,
    recording_file_url=_opt_text,
    sip_user=st.one_of(st.none(), _numbers),
    created_date=_epoch_ms,
    duration=st.integers(0, 10_000),
    hangup_cause=_opt_text,
    time_start_call=_epoch_s,
    time_end_call=_epoch_s,
)


def _call_of(times: st.SearchStrategy[str]) -> st.SearchStrategy[Call]:
    return st.builds(
        Call,
        call_id=st.one_of(_text, st.integers(0, 10**9)),
        caller_id=_numbers,
        callee_id=_numbers,
        called_at=times,
        duration=st.integers(0, 10_000),
        note=_opt_text,
        state=st.one_of(st.none(), st.sampled_from([0, 10, 40, 50, 99])),
    )


_call = _call_of(_times)

PROVIDERS = [
    pytest.param(_cdr, id="tel4vn"),
    pytest.param(_flex, id="tel4vn-flex"),
    pytest.param(_transaction, id="omicall"),
    pytest.param(_call, id="aicallcenter"),
    pytest.param(_cdr_of(_plain_times), id="tel4vn-plain-times"),
    pytest.param(_flex_of(_plain_times), id="tel4vn-flex-plain-times"),
    pytest.param(_call_of(_plain_times), id="aicallcenter-plain-times"),
]


def _reference(records: Sequence[Any], tz: ZoneInfo) -> list[CallRecord | None]:
    """The reference's record for each wire record, ``None`` where it raised (a reject)."""
    out: list[CallRecord | None] = []
    for record in records:
        try:
            out.append(ref.convert(record, tz))
        except ref.BAD_TIME:
            out.append(None)
    return out


def _same_value(a: object, b: object) -> bool:
    """Equal, of the same type, and for datetimes the same zone and offset too."""
    if type(a) is not type(b) or a != b:
        return False
    if isinstance(a, datetime):
        assert isinstance(b, datetime)
        return a.tzinfo == b.tzinfo and a.utcoffset() == b.utcoffset() and a.fold == b.fold
    return True


def _assert_same_records(got: Sequence[CallRecord], want: Sequence[CallRecord]) -> None:
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        for name in CallRecord.__struct_fields__:
            a, b = getattr(g, name), getattr(w, name)
            assert _same_value(a, b), (name, a, b, w)


def _sink_bytes(format: str, tz: str, pages: Sequence[Sequence[CallRecord]]) -> bytes:
    file = io.BytesIO()
    sink = open_sink(format, file, tz)  # type: ignore[arg-type]
    for page in pages:
        sink.write(page)
    sink.close()
    return file.getvalue()


def _reference_bytes(format: str, tz: str, pages: Sequence[Sequence[CallRecord]]) -> bytes:
    file = io.BytesIO()
    ref.write(format, file, tz, pages)
    return file.getvalue()


def _assert_same_table(got: Any, want: Any) -> None:
    """Same schema (types, zones, nullability) and the same values, nulls in place."""
    assert got.schema.equals(want.schema), (got.schema, want.schema)
    for name in want.column_names:
        g, w = got.column(name).to_pylist(), want.column(name).to_pylist()
        assert len(g) == len(w)
        for a, b in zip(g, w, strict=True):
            assert _same_value(a, b), (name, a, b)


@pytest.mark.parametrize("strategy", PROVIDERS)
@given(data=st.data(), zone=st.sampled_from(ZONES))
def test_one_record_and_a_page_convert_as_the_reference(
    strategy: Any, data: st.DataObject, zone: str
) -> None:
    """``to_call_record()`` and ``to_call_records()`` give the reference's values or refuse."""
    records = data.draw(st.lists(strategy, max_size=20))
    tz = ZoneInfo(zone)
    want = _reference(records, tz)
    for record, expected in zip(records, want, strict=True):
        if expected is None:
            with pytest.raises(ref.BAD_TIME):
                record.to_call_record(tz)
        else:
            _assert_same_records([record.to_call_record(tz)], [expected])
    good = [r for r, w in zip(records, want, strict=True) if w is not None]
    _assert_same_records(Page(good).to_call_records(tz), [w for w in want if w])
    if len(good) < len(records):
        with pytest.raises(ref.BAD_TIME):
            Page(records).to_call_records(zone)


@pytest.mark.parametrize("format", FORMATS)
@pytest.mark.parametrize("strategy", PROVIDERS)
@given(data=st.data(), zone=st.sampled_from(ZONES))
def test_sinks_write_what_the_reference_wrote(
    format: str, strategy: Any, data: st.DataObject, zone: str
) -> None:
    """NDJSON and CSV byte for byte, Parquet column for column, pages of any size."""
    pages = data.draw(st.lists(st.lists(strategy, max_size=8), max_size=4))
    tz = ZoneInfo(zone)
    want = [[r for r in _reference(page, tz) if r is not None] for page in pages]
    got = [Page(page).to_call_records(tz) for page in want_wire(pages, tz)]
    new, old = _sink_bytes(format, zone, got), _reference_bytes(format, zone, want)
    if format == "parquet":
        _assert_same_table(pq.read_table(io.BytesIO(new)), pq.read_table(io.BytesIO(old)))
    else:
        assert new == old


def want_wire(pages: Sequence[Sequence[Any]], tz: ZoneInfo) -> list[list[Any]]:
    """The wire records of each page the reference could convert (rejects left out)."""
    return [
        [r for r, w in zip(page, _reference(page, tz), strict=True) if w is not None]
        for page in pages
    ]


@pytest.mark.parametrize("strategy", PROVIDERS)
@given(data=st.data(), zone=st.sampled_from(ZONES))
def test_to_arrow_is_the_reference_parquet_table(
    strategy: Any, data: st.DataObject, zone: str
) -> None:
    """``page.to_arrow()`` is the reference's Parquet table; a bad time refuses the page."""
    records = data.draw(st.lists(strategy, min_size=1, max_size=20))
    tz = ZoneInfo(zone)
    want = _reference(records, tz)
    if None in want:
        with pytest.raises(ref.BAD_TIME):
            Page(records).to_arrow(zone)
        return
    old = _reference_bytes("parquet", zone, [[w for w in want if w is not None]])
    _assert_same_table(Page(records).to_arrow(tz), pq.read_table(io.BytesIO(old)))


@given(records=st.lists(st.one_of(_cdr, _flex), max_size=12), zone=st.sampled_from(ZONES))
def test_a_page_mixing_both_cdr_mappings_converts_item_by_item(
    records: list[Any], zone: str
) -> None:
    """A TEL4VN page of default and flex records (the ``auto`` mapping) converts each as itself."""
    tz = ZoneInfo(zone)
    want = _reference(records, tz)
    if None in want:
        with pytest.raises(ref.BAD_TIME):
            Page(records).to_call_records(tz)
    else:
        _assert_same_records(Page(records).to_call_records(tz), [w for w in want if w])
