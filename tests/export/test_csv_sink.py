"""The CSV sink's joined fast path writes exactly what csv.writer writes."""

from __future__ import annotations

import csv
import io
from typing import Any

import msgspec
import pytest
from hypothesis import given, strategies as st

from telcall import CallRecord, Direction
from telcall.export._sinks import COLUMNS, CsvSink, plain_csv

_cells = st.one_of(
    st.none(),
    st.integers(),
    st.floats(),
    st.booleans(),
    st.text(),
    st.text(alphabet=' ,"\r\n\t\x00ab'),
)
_rows = st.integers(min_value=1, max_value=5).flatmap(
    lambda width: st.lists(st.lists(_cells, min_size=width, max_size=width), max_size=6)
)


def _written_by_csv(rows: list[list[Any]]) -> str:
    text = io.StringIO(newline="")
    csv.writer(text).writerows(rows)
    return text.getvalue()


@given(_rows)
def test_plain_csv_is_csv_writer_or_declines(rows: list[list[Any]]) -> None:
    """Whatever cells a page holds, the joined text is csv.writer's, or None (csv.writer then)."""
    text = plain_csv(rows)
    if text is not None:
        assert text == _written_by_csv(rows)


@given(st.lists(st.lists(st.text(alphabet="ab1:+- .T"), min_size=3, max_size=3), min_size=1))
def test_plain_csv_joins_cells_that_need_no_quoting(rows: list[list[str]]) -> None:
    """Cells without a comma, quote or line end are joined, and equal csv.writer's output."""
    assert plain_csv(rows) == _written_by_csv(rows)


@pytest.mark.parametrize(
    "rows",
    [
        pytest.param([["a,b", "x"]], id="comma"),
        pytest.param([['say "hi"', "x"]], id="quote"),
        pytest.param([["two\nlines", "x"]], id="newline"),
        pytest.param([["carriage\r", "x"]], id="return"),
        pytest.param([[""]], id="lone-empty-cell"),
        pytest.param([["a,b,c", "x"], ["d"]], id="unequal-widths"),
        pytest.param([], id="no-rows"),
    ],
)
def test_plain_csv_declines_what_csv_writer_quotes(rows: list[list[Any]]) -> None:
    """A page csv.writer would quote, or could write differently, is left to csv.writer."""
    assert plain_csv(rows) is None


def test_csv_sink_mixes_both_paths_into_csv_writers_bytes() -> None:
    """Pages that take the join and pages that need quoting make one file, as csv.writer does."""
    plain = [
        CallRecord(id=f"c{i}", provider="tel4vn", direction=Direction.INBOUND, duration=i)
        for i in range(3)
    ]
    quoted = [
        CallRecord(
            id="q", provider="tel4vn", direction=Direction.OUTBOUND, hangup_cause='busy, "user"'
        )
    ]
    file = io.BytesIO()
    sink = CsvSink(file)
    for page in (plain, quoted, plain):
        sink.write(page)
    sink.close()
    records = [msgspec.structs.astuple(r) for r in (*plain, *quoted, *plain)]
    rows = [list(COLUMNS), *msgspec.to_builtins(records)]
    assert file.getvalue().decode() == _written_by_csv(rows)
