"""A window's pages: the whole-page fast path keeps, counts and rejects what the loop does."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings, strategies as st

from telcall import CallRecord, Direction
from telcall.export import Connection, SourceRecord, _job
from telcall.export._files import RejectsFile
from telcall.export._plan import WindowSpec
from telcall.export._source import Rejected

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
START = datetime(2026, 11, 1, tzinfo=ZONE)
END = START + timedelta(hours=6)
CONNECTION = Connection(provider="tel4vn", base_url="http://127.0.0.1:9", tz=ZONE.key)


class ListSource:
    """A source that yields the pages it was given."""

    provider = "tel4vn"
    tz = ZONE

    def __init__(self, pages: list[list[SourceRecord]]) -> None:
        self._pages = pages

    def connection(self) -> Connection:
        """The test connection."""
        return CONNECTION

    async def pages(
        self, start: datetime, end: datetime, *, page_size: int
    ) -> AsyncIterator[list[SourceRecord]]:
        """The pages, as given."""
        for page in self._pages:
            yield page

    async def count(self, start: datetime, end: datetime) -> int | None:
        """No count: the read is taken as whole."""
        return None


class ListSink:
    """Keeps each page it is given."""

    def __init__(self) -> None:
        self.pages: list[list[Any]] = []

    def write(self, records: Any) -> None:
        """Keep a copy of the page."""
        self.pages.append(list(records))

    def close(self) -> None:
        """Nothing to finish."""


def _record(rid: str, at: datetime | None, refused: bool) -> SourceRecord:
    record: CallRecord | Rejected = (
        Rejected("bad_time", "a time that cannot be read")
        if refused
        else CallRecord(id=rid, provider="tel4vn", direction=Direction.INBOUND, started_at=at)
    )
    return (rid, at, record, {"wire": rid})


_times = st.sampled_from(
    [None, START - timedelta(seconds=1), START, END - timedelta(microseconds=1), END]
)
_records = st.builds(
    _record,
    st.sampled_from(["a", "b", "c", "d", " e ", "", " "]),
    _times,
    st.booleans() | st.just(False),
)
# Pages of a clean scroll too, so the fast path is taken, not only drawn past; some with
# their last record refused by the source, which only the Rejected check can tell.
_clean_pages = st.tuples(
    st.lists(st.integers(0, 10**6), unique=True, min_size=1, max_size=5), st.booleans()
).map(
    lambda drawn: [
        _record(f"id{i}", START + timedelta(seconds=i % 3600), drawn[1] and i == drawn[0][-1])
        for i in drawn[0]
    ]
)
_pages = st.lists(st.integers(0, 10**6), unique=True, min_size=1, max_size=5).map(
    lambda ids: [_record(f"id{i}", START + timedelta(seconds=i % 3600), False) for i in ids]
)
_pages = st.lists(st.lists(_records, max_size=6) | _clean_pages, max_size=5)


@contextlib.contextmanager
def _rejects() -> Iterator[RejectsFile]:
    with tempfile.TemporaryDirectory() as out:
        rejects = RejectsFile(Path(out) / "rejects.ndjson", "run")
        try:
            yield rejects
        finally:
            rejects.discard()


async def _read(pages: list[list[SourceRecord]], raw: bool) -> tuple[Any, ...]:
    spec = WindowSpec(
        connection=CONNECTION,
        out_dir="/nonexistent",
        format="ndjson",
        raw=raw,
        start=START,
        end=END,
        path="w.ndjson",
    )
    sink = ListSink()
    with _rejects() as rejects:
        counts = await _job._fill(
            spec, ListSource(pages), sink, rejects, contextlib.nullcontext(), None
        )
        lines = b""
        if rejects.file is not None:
            rejects.file.flush()
            lines = rejects.tmp.read_bytes()
    return sink.pages, counts, dict(rejects.kinds), lines


@pytest.mark.parametrize("raw", [pytest.param(False, id="records"), pytest.param(True, id="raw")])
@settings(max_examples=60)
@given(pages=_pages)
async def test_whole_pages_read_as_the_loop_reads_them(
    raw: bool, pages: list[list[SourceRecord]]
) -> None:
    """Pages written, counts and rejects lines are the loop's, whatever pages take the fast path."""
    fast = await _read(pages, raw)
    with mock.patch.object(_job, "_whole_page", return_value=None):
        loop = await _read(pages, raw)
    assert fast == loop


def test_a_clean_page_takes_the_fast_path() -> None:
    """A page of new ids inside the window is taken whole; a duplicate sends it to the loop."""
    page = [_record(f"id{i}", START + timedelta(minutes=i), False) for i in range(3)]
    assert _job._whole_page(page, set(), START, END) is not None
    assert _job._whole_page(page, {"id1"}, START, END) is None
    assert _job._whole_page([*page, page[0]], set(), START, END) is None
