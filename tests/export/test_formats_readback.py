"""Every export format read back with pyarrow, pandas and DuckDB: same columns, same values."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import msgspec
import pytest

from telcall import AsyncTel4vnClient
from telcall.export import COLUMNS, export_cdrs

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
pd = pytest.importorskip("pandas")
duckdb = pytest.importorskip("duckdb")

START, END = "2026-11-01", "2026-11-02"
FORMATS = ("ndjson", "csv", "parquet")
TIMES = ("started_at", "answered_at", "ended_at")
#: Text columns pandas would otherwise read as numbers (phone numbers lose their leading 0).
TEXT = dict.fromkeys(("from_number", "to_number", "extension", "customer_id"), "object")


async def _export(client: AsyncTel4vnClient, out: Path) -> dict[str, Path]:
    """One day exported in every format, each in its own directory; the one file of each."""
    files = {}
    for fmt in FORMATS:
        summary = await export_cdrs(client, START, END, out / fmt, format=fmt)  # type: ignore[arg-type]
        assert len(summary.files) == 1
        files[fmt] = out / fmt / summary.files[0]
    return files


def _duckdb(path: Path) -> Any:
    """The file as DuckDB reads it with its own type detection (not the date= directory)."""
    reader = {".ndjson": "read_json", ".csv": "read_csv", ".parquet": "read_parquet"}
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        query = f"SELECT * FROM {reader[path.suffix]}('{path}', hive_partitioning = false)"
        return con.sql(query).to_arrow_table()


async def test_ndjson_lines_carry_every_column(client: AsyncTel4vnClient, tmp_path: Path) -> None:
    """Each NDJSON line has every column, ``null`` for what is absent and ``0`` for no talk."""
    files = await _export(client, tmp_path)
    lines = [msgspec.json.decode(line) for line in files["ndjson"].read_bytes().splitlines()]
    assert all(tuple(line) == COLUMNS for line in lines)
    unanswered = [line for line in lines if line["answered_at"] is None]
    assert unanswered
    assert all(line["billsec"] == 0 for line in unanswered)


async def test_pandas_reads_the_same_frame_from_every_format(
    client: AsyncTel4vnClient, tmp_path: Path
) -> None:
    """pandas gives the same columns, integer dtypes and values from NDJSON, CSV and Parquet."""
    files = await _export(client, tmp_path)
    with warnings.catch_warnings():
        # pandas' own parser notes (format inference) are not what this test is about.
        warnings.simplefilter("ignore")
        frames = {
            "ndjson": pd.read_json(files["ndjson"], lines=True, convert_dates=False, dtype=TEXT),
            "csv": pd.read_csv(files["csv"], keep_default_na=False, na_values=[""], dtype=TEXT),
            "parquet": pd.read_parquet(files["parquet"]),
        }
    for fmt, frame in frames.items():
        assert list(COLUMNS) == list(frame.columns), fmt
        assert "int64" == frame["billsec"].dtype == frame["duration"].dtype, fmt
        for name in TIMES:
            frame[name] = pd.to_datetime(frame[name], utc=True, format="ISO8601")
        for name in ("provider", "direction", "status"):
            frame[name] = frame[name].astype(str)
    base = frames["parquet"]
    for fmt in ("ndjson", "csv"):
        pd.testing.assert_frame_equal(base, frames[fmt], check_dtype=False, obj=fmt)


async def test_duckdb_and_pyarrow_read_the_same_values_from_every_format(
    client: AsyncTel4vnClient, tmp_path: Path
) -> None:
    """DuckDB reads the same column names, BIGINT talk times and values from every format."""
    files = await _export(client, tmp_path)
    tables = {fmt: _duckdb(path) for fmt, path in files.items()}
    for fmt, table in tables.items():
        assert list(COLUMNS) == table.column_names, fmt
        assert pa.int64() == table.schema.field("billsec").type, fmt
        assert table["billsec"].null_count == 0, fmt
    expected = pq.read_table(files["parquet"]).to_pylist()

    def normalised(table: Any) -> list[dict[str, Any]]:
        # CSV has no types: DuckDB infers some (an all-digit extension reads as a number), so
        # values compare as text; times as instants, whichever type they were read as.
        return [
            {
                name: None
                if value is None
                else pd.Timestamp(value).tz_convert("UTC")
                if name in TIMES
                else str(value)
                for name, value in row.items()
            }
            for row in table.to_pylist()
        ]

    want = normalised(pa.Table.from_pylist(expected))
    for fmt, table in tables.items():
        assert want == normalised(table), fmt
