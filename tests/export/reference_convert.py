"""The per-record conversion and sinks as they were before the batch path: the test's oracle.

A frozen copy of ``to_call_record()`` of every provider's wire model (with the rule
tables it read) and of the NDJSON, CSV and Parquet sinks that wrote ``CallRecord``s one
tuple at a time. ``test_identical_output.py`` exports the same records through this and
through the library and compares every value; nothing in ``telcall`` imports it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo
from typing import Any, BinaryIO

import msgspec

from telcall import CallRecord, CallStatus, Direction
from telcall._core.records import DEFAULT_TZ

__all__ = ("BAD_TIME", "convert", "write")

#: What converting a record with an unreadable time raised: the export rejected it.
BAD_TIME = (ValueError, OverflowError, OSError)

_MOBILE = re.compile(r"^0[35789]\d{8}$")

_STATUS_WORDS: dict[str, CallStatus] = {
    "answered": CallStatus.ANSWERED,
    "answer": CallStatus.ANSWERED,
    "busy": CallStatus.BUSY,
    "no-answered": CallStatus.NO_ANSWER,
    "no-answer": CallStatus.NO_ANSWER,
    "no_answer": CallStatus.NO_ANSWER,
    "noanswer": CallStatus.NO_ANSWER,
    "no answer": CallStatus.NO_ANSWER,
    "missed": CallStatus.NO_ANSWER,
    "cancel": CallStatus.CANCELLED,
    "cancelled": CallStatus.CANCELLED,
    "canceled": CallStatus.CANCELLED,
    "not-available": CallStatus.NOT_AVAILABLE,
    "not_available": CallStatus.NOT_AVAILABLE,
    "unavailable": CallStatus.NOT_AVAILABLE,
    "invalid": CallStatus.FAILED,
    "fail": CallStatus.FAILED,
    "failed": CallStatus.FAILED,
    "error": CallStatus.FAILED,
}

_DIRECTION_WORDS: dict[str, Direction] = {
    "inbound": Direction.INBOUND,
    "in": Direction.INBOUND,
    "outbound": Direction.OUTBOUND,
    "out": Direction.OUTBOUND,
    "local": Direction.LOCAL,
    "internal": Direction.LOCAL,
}


def _status(value: str | None) -> CallStatus:
    if not value:
        return CallStatus.UNKNOWN
    return _STATUS_WORDS.get(value.strip().lower(), CallStatus.UNKNOWN)


def _direction(value: str | None) -> Direction:
    if not value:
        return Direction.UNKNOWN
    return _DIRECTION_WORDS.get(value.strip().lower(), Direction.UNKNOWN)


def _digits(number: str | None) -> str:
    return (number or "").strip().lstrip("+")


def _is_external(number: str | None) -> bool:
    return len(_digits(number)) >= 8


def _is_mobile(number: str | None) -> bool:
    digits = _digits(number)
    if digits.startswith("84"):
        digits = "0" + digits[2:]
    return _MOBILE.fullmatch(digits) is not None


def _guess(from_number: str | None, to_number: str | None) -> Direction:
    src, dst = _is_external(from_number), _is_external(to_number)
    if src and dst:
        if _is_mobile(from_number) and not _is_mobile(to_number):
            return Direction.INBOUND
        return Direction.OUTBOUND
    if src:
        return Direction.INBOUND
    if dst:
        return Direction.OUTBOUND
    if from_number and to_number:
        return Direction.LOCAL
    return Direction.UNKNOWN


def _none_if_empty(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def _local_time(value: str | None, tz: tzinfo | None) -> datetime | None:
    if not value or value.startswith("0001-01-01"):
        return None
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is not None:
        return parsed
    return parsed.replace(tzinfo=tz or DEFAULT_TZ)


def _epoch_s(value: float | None) -> datetime | None:
    return None if not value else datetime.fromtimestamp(value, tz=UTC)


def _epoch_ms(value: float | None) -> datetime | None:
    return None if not value else datetime.fromtimestamp(value / 1000, tz=UTC)


def _in(value: datetime | None, tz: tzinfo) -> datetime | None:
    return None if value is None else value.astimezone(tz)


def _tel4vn(r: Any, tz: tzinfo | None) -> CallRecord:
    direction = _direction(r.direction) if isinstance(r.direction, str) else Direction.UNKNOWN
    if direction is Direction.UNKNOWN:
        direction = _guess(r.from_number, r.to_number)
    answered = _local_time(r.time_answered, tz)
    ended = _local_time(r.time_ended, tz)
    billsec = int((ended - answered).total_seconds()) if answered and ended else 0
    return CallRecord(
        id=r.id.strip(),
        provider="tel4vn",
        direction=direction,
        from_number=_none_if_empty(r.from_number),
        to_number=_none_if_empty(r.to_number),
        extension=_none_if_empty(r.extension),
        started_at=_local_time(r.time_started, tz),
        answered_at=answered,
        ended_at=ended,
        duration=r.duration,
        billsec=max(billsec, 0),
        status=_status(r.status),
        raw_status=_none_if_empty(r.status),
        hangup_cause=_none_if_empty(r.cause),
        recording_url=_none_if_empty(r.recording_url),
        customer_id=_none_if_empty(r.customer_id),
    )


def _tel4vn_flex(r: Any, tz: tzinfo | None) -> CallRecord:
    direction = _direction(r.direction) if isinstance(r.direction, str) else Direction.UNKNOWN
    return CallRecord(
        id=r.cdrId.strip(),
        provider="tel4vn",
        direction=direction,
        to_number=_none_if_empty(r.to),
        extension=_none_if_empty(r.extensionId),
        started_at=_local_time(r.dialAt, tz),
        answered_at=_local_time(r.answeredAt, tz),
        ended_at=_local_time(r.hangupAt, tz),
        duration=r.duration,
        billsec=r.billsec,
        status=_status(r.status),
        raw_status=_none_if_empty(r.status),
        recording_url=_none_if_empty(r.recordFile),
        customer_id=_none_if_empty(r.customerId),
    )


def _omicall(r: Any, tz: tzinfo | None) -> CallRecord:
    zone = tz or DEFAULT_TZ
    started = _in(_epoch_s(r.time_start_call), zone) or _in(_epoch_ms(r.created_date), zone)
    status = _status(r.disposition)
    answered = (
        _in(_epoch_s(r.time_start_to_answer), zone) if status is CallStatus.ANSWERED else None
    )
    return CallRecord(
        id=r.transaction_id,
        provider="omicall",
        direction=_direction(r.direction),
        from_number=_none_if_empty(r.source_number),
        to_number=_none_if_empty(r.destination_number),
        extension=_none_if_empty(r.sip_user),
        started_at=started,
        answered_at=answered,
        ended_at=_in(_epoch_s(r.time_end_call), zone),
        duration=r.duration,
        billsec=r.bill_sec,
        status=status,
        raw_status=_none_if_empty(r.disposition),
        hangup_cause=_none_if_empty(r.hangup_cause),
        recording_url=_none_if_empty(r.recording_file_url),
    )


def _aicallcenter(r: Any, tz: tzinfo | None) -> CallRecord:
    if r.state == 40:
        status = CallStatus.ANSWERED
    elif r.state == 50:
        status = CallStatus.FAILED
    else:
        status = CallStatus.UNKNOWN
    return CallRecord(
        id=str(r.call_id),
        provider="aicallcenter",
        direction=Direction.OUTBOUND,
        from_number=_none_if_empty(r.caller_id),
        to_number=_none_if_empty(r.callee_id),
        started_at=_local_time(r.called_at, tz),
        duration=r.duration,
        billsec=r.duration if status is CallStatus.ANSWERED else 0,
        status=status,
        raw_status=None if r.state is None else str(r.state),
        hangup_cause=_none_if_empty(r.note),
    )


_CONVERT = {
    "Cdr": _tel4vn,
    "FlexCdr": _tel4vn_flex,
    "CallTransaction": _omicall,
    "Call": _aicallcenter,
}


def convert(record: Any, tz: tzinfo | None = None) -> CallRecord:
    """``record.to_call_record(tz)`` as it was (raises what it raised on a bad time)."""
    return _CONVERT[type(record).__name__](record, tz)


# -- sinks --------------------------------------------------------------------------------

_COLUMNS = CallRecord.__struct_fields__
_TIMES = frozenset({"started_at", "answered_at", "ended_at"})
_INTS = frozenset({"duration", "billsec"})
_ENUMS = frozenset({"provider", "direction", "status"})


def _schema(pa: Any, tz: str) -> Any:
    types = {
        **{name: pa.timestamp("us", tz=tz) for name in _TIMES},
        **{name: pa.int64() for name in _INTS},
        **{name: pa.dictionary(pa.int32(), pa.string()) for name in _ENUMS},
    }
    return pa.schema(
        [
            pa.field(name, types.get(name, pa.string()), nullable=name not in _INTS | {"id"})
            for name in _COLUMNS
        ]
    )


def write(format: str, file: BinaryIO, tz: str, pages: Sequence[Sequence[CallRecord]]) -> None:
    """Write ``pages`` of records to ``file`` the way the old sinks did."""
    if format == "ndjson":
        encoder = msgspec.json.Encoder()
        for records in pages:
            if records:
                file.write(encoder.encode_lines(records))
    elif format == "csv":
        text = io.TextIOWrapper(file, encoding="utf-8", newline="", write_through=True)
        writer = csv.writer(text)
        writer.writerow(_COLUMNS)
        for records in pages:
            writer.writerows(msgspec.to_builtins([msgspec.structs.astuple(r) for r in records]))
        text.flush()
        text.detach()
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = _schema(pa, tz)
        writer_ = pq.ParquetWriter(file, schema)
        rows = [msgspec.structs.astuple(r) for records in pages for r in records]
        if rows:
            columns = list(zip(*rows, strict=True))
            arrays = [
                pa.array(column, type=field.type)
                for column, field in zip(columns, schema, strict=True)
            ]
            writer_.write_table(pa.Table.from_arrays(arrays, schema=schema))
        writer_.close()
