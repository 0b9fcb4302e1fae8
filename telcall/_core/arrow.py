"""CallRecords as Arrow columns: one table builder for ``page.to_arrow()`` and Parquet exports.

pyarrow is optional (``pip install 'telcall[parquet]'``) and imported on first use.
Timestamps are microseconds in the records' zone, statuses and directions
dictionary-encoded (a page holds a handful of distinct words), durations
``int64``; every other column is nullable text.
"""

from __future__ import annotations

import importlib
import operator
from collections.abc import Sequence
from datetime import tzinfo
from typing import Any

from .errors import ValidationError
from .records import CallRecord, resolve_tz

__all__ = ("COLUMNS", "pyarrow", "record_batch", "schema", "zone_key")

#: The columns: the fields of CallRecord, in order.
COLUMNS: tuple[str, ...] = CallRecord.__struct_fields__

_TIMES = frozenset({"started_at", "answered_at", "ended_at"})
_INTS = frozenset({"duration", "billsec"})
_ENUMS = frozenset({"provider", "direction", "status"})
_GETTERS = tuple(operator.attrgetter(name) for name in COLUMNS)


def pyarrow() -> Any:
    """The pyarrow module (``pyarrow.parquet`` loaded), or an ImportError naming the extra."""
    try:
        # pyarrow ships no type information; importlib keeps mypy from asking for stubs.
        pa = importlib.import_module("pyarrow")
        importlib.import_module("pyarrow.parquet")
    except ImportError as exc:
        raise ImportError(
            "Arrow and Parquet output need pyarrow: pip install 'telcall[parquet]'"
        ) from exc
    return pa


def zone_key(tz: str | tzinfo | None) -> str:
    """The IANA name Arrow's timestamps carry for ``tz`` (``None``: the default zone)."""
    key = getattr(resolve_tz(tz), "key", None)
    if not isinstance(key, str):
        raise ValidationError(f"Arrow timestamps need a named time zone (a ZoneInfo), got {tz!r}")
    return key


def schema(tz: str) -> Any:
    """The Arrow schema of CallRecord columns, timestamps in zone ``tz``."""
    pa = pyarrow()
    types = {
        **{name: pa.timestamp("us", tz=tz) for name in _TIMES},
        **{name: pa.int64() for name in _INTS},
        **{name: pa.dictionary(pa.int32(), pa.string()) for name in _ENUMS},
    }
    return pa.schema(
        [
            pa.field(name, types.get(name, pa.string()), nullable=name not in _INTS | {"id"})
            for name in COLUMNS
        ]
    )


def record_batch(records: Sequence[CallRecord], schema: Any) -> Any:
    """``records`` as one Arrow record batch of ``schema``: a column at a time, in C."""
    pa = pyarrow()
    arrays = [
        pa.array(list(map(get, records)), type=field.type)
        for get, field in zip(_GETTERS, schema, strict=True)
    ]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)
