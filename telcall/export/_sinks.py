"""Output formats: a sink turns pages of records into one window's file.

Sinks write to a binary file the job owns (a temp file it later syncs and
renames); ``close()`` finishes the format but leaves the file open.

- NDJSON: one JSON object per line, a whole page encoded by msgspec at once.
- CSV: a header, then one column per :class:`~telcall.CallRecord` field;
  datetimes in ISO 8601 with their offset, enums as their values, ``None``
  as an empty cell. Bytes as :func:`csv.writer` writes them; a page none of whose
  cells needs quoting (nearly all) is joined in C instead, ~10x cheaper.
- Parquet (``pip install 'telcall[parquet]'``): a typed schema, timestamps
  in the export's zone, statuses and directions dictionary-encoded
  (:mod:`telcall._core.arrow`, the columns of ``page.to_arrow()``); each page
  becomes Arrow columns at once, and row groups of :data:`ROW_GROUP` records
  are written as they fill, so a window is never held as Python objects.

``raw=True`` (the provider's wire records) is NDJSON only: wire records nest
objects and lists (OMICall's call history does) and differ per provider, so
they have no flat schema to put in CSV or Parquet.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any, BinaryIO, Literal, Protocol

import msgspec

from .._core import arrow
from .._core.errors import ValidationError
from .._core.records import none_as_empty

__all__ = (
    "COLUMNS",
    "EXTENSIONS",
    "ROW_GROUP",
    "Format",
    "Sink",
    "check_format",
    "open_sink",
    "parquet_schema",
    "plain_csv",
)

Format = Literal["ndjson", "csv", "parquet", "postgresql"]

# postgresql windows are rows in a table: the extension only names them in messages and status.
EXTENSIONS: dict[str, str] = {
    "ndjson": "ndjson",
    "csv": "csv",
    "parquet": "parquet",
    "postgresql": "pg",
}

#: CSV and Parquet columns: the fields of CallRecord, in order.
COLUMNS: tuple[str, ...] = arrow.COLUMNS

ROW_GROUP = 65_536


class Sink(Protocol):
    """Writes one window's records to an open binary file."""

    def write(self, records: Sequence[Any]) -> None:
        """Append a page of records."""
        ...

    def close(self) -> None:
        """Finish the format (headers, footers); the file itself stays open."""
        ...


def _pyarrow() -> Any:
    try:
        return arrow.pyarrow()
    except ImportError as exc:
        raise ImportError("Parquet output needs pyarrow: pip install 'telcall[parquet]'") from exc


def check_format(format: str, raw: bool) -> Format:
    """Validate ``format``/``raw`` before any I/O (and that pyarrow is there for Parquet)."""
    if format not in EXTENSIONS:
        raise ValidationError(f"format must be ndjson, csv, parquet or postgresql; got {format!r}")
    if raw and format != "ndjson":
        raise ValidationError("raw=True writes the providers' wire records, which needs ndjson")
    if format == "parquet":
        _pyarrow()
    return format  # type: ignore[return-value]  # checked against EXTENSIONS above


class NdjsonSink:
    """One JSON object per line."""

    def __init__(self, file: BinaryIO) -> None:
        self._file = file
        self._encoder = msgspec.json.Encoder()

    def write(self, records: Sequence[Any]) -> None:
        """Encode the whole page in one call."""
        if records:
            self._file.write(self._encoder.encode_lines(records))

    def close(self) -> None:
        """Nothing to finish."""


class CsvSink:
    """A header row, then one row per record."""

    def __init__(self, file: BinaryIO) -> None:
        # newline="": the csv module writes its own \r\n line ends.
        self._text = io.TextIOWrapper(file, encoding="utf-8", newline="", write_through=True)
        self._writer = csv.writer(self._text)
        self._writer.writerow(COLUMNS)

    def write(self, records: Sequence[Any]) -> None:
        """Rows via msgspec: ISO datetimes and enum values without a Python loop per cell."""
        rows = msgspec.to_builtins([msgspec.structs.astuple(r) for r in records])
        text = plain_csv(rows)
        if text is None:
            self._writer.writerows(rows)
        else:
            self._text.write(text)

    def close(self) -> None:
        """Flush, and let go of the binary file without closing it."""
        self._text.flush()
        self._text.detach()


def plain_csv(rows: Sequence[Sequence[Any]]) -> str | None:
    """``rows`` as :func:`csv.writer` writes them, if no cell needs quoting; else ``None``.

    Every cell becomes ``str(cell)`` (``""`` for ``None``), and the rows are joined with
    ``,`` and ``\\r\\n``, all in C. csv.writer quotes a cell holding a comma, a quote or
    a line end; such a cell shows in the joined text as a comma, ``"``, ``\\r`` or ``\\n``
    more than the joins put there, so one count of each tells whether the join is exact.
    One-column rows (csv.writer quotes a lone empty cell) and rows of unequal widths are
    left to csv.writer too.
    """
    width = len(rows[0]) if rows else 0
    # Equal widths, or zip() below would drop cells and the counts could still agree.
    if width < 2 or set(map(len, rows)) != {width}:
        return None
    cells: list[Iterable[Any]] = []
    # Only the columns that need it are mapped: most hold text and no None.
    for column in zip(*rows, strict=True):
        cell: Sequence[Any] = column
        if None in cell:
            cell = list(map(none_as_empty, cell, cell))  # as csv.writer writes None
        cells.append(cell if type(cell[0]) is str else map(str, cell))
    try:
        text = "\r\n".join(map(",".join, zip(*cells, strict=True))) + "\r\n"
    except TypeError:
        # A text column with a number further down: csv.writer writes it.
        return None
    lines = len(rows)
    if (
        text.count(",") != lines * (width - 1)
        or text.count("\n") != lines
        or text.count("\r") != lines
        or '"' in text
    ):
        return None
    return text


def parquet_schema(tz: str) -> Any:
    """The Parquet schema of CallRecord columns, timestamps in zone ``tz``."""
    _pyarrow()
    return arrow.schema(tz)


class ParquetSink:
    """Typed columns, written in row groups of ``ROW_GROUP`` records."""

    def __init__(self, file: BinaryIO, tz: str) -> None:
        self._pa = _pyarrow()
        self._schema = parquet_schema(tz)
        self._writer = self._pa.parquet.ParquetWriter(file, self._schema)
        self._batches: list[Any] = []
        self._rows = 0

    def write(self, records: Sequence[Any]) -> None:
        """Turn the page into Arrow columns; write a row group once enough rows are in."""
        if records:
            self._batches.append(arrow.record_batch(records, self._schema))
            self._rows += len(records)
        if self._rows >= ROW_GROUP:
            self._flush()

    def _flush(self) -> None:
        table = self._pa.Table.from_batches(self._batches, schema=self._schema)
        self._writer.write_table(table, row_group_size=ROW_GROUP)
        self._batches, self._rows = [], 0

    def close(self) -> None:
        """Write what is buffered (an empty window still gets a schema) and the footer."""
        if self._batches:
            self._flush()
        self._writer.close()


def open_sink(format: Format, file: BinaryIO, tz: str) -> Sink:
    """A sink writing ``format`` to ``file``; ``tz`` names the zone of Parquet timestamps."""
    if format == "ndjson":
        return NdjsonSink(file)
    if format == "csv":
        return CsvSink(file)
    return ParquetSink(file, tz)
