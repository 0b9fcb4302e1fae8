"""Window arithmetic without I/O: parsing bounds, the window grid, file names.

Windows are closed-open ``[start, end)`` on the call start time (for
OMICall, the record's creation time: see :mod:`._source`), cut on a fixed
grid: multiples of the window length from local midnight of 2000-01-01 in
the export's zone, counted in absolute time. A fixed grid makes
every run of the same job cut the same windows, which is what lets an
incremental run replace a file instead of writing a second one beside it.
Asia/Ho_Chi_Minh has had no DST since 1975, so there the grid falls on local
hours; in a zone with DST it stays consistent but drifts by the DST shift.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo

from .._core.errors import ValidationError

__all__ = (
    "MAX_WINDOW",
    "DateLike",
    "align_down",
    "check_window",
    "cut",
    "rejects_path",
    "relative_path",
    "to_instant",
)

DateLike = str | date | datetime

_ANCHOR = datetime(2000, 1, 1)

#: The longest window: one file per year is already coarser than any reader wants.
MAX_WINDOW = timedelta(days=366)


def to_instant(value: DateLike, tz: tzinfo, *, field: str, ceil: bool = False) -> datetime:
    """An aware datetime on a whole second from a date, a datetime or an ISO string.

    Dates mean local midnight in ``tz``; naive values are local time in ``tz``.
    Sub-second parts are dropped (``ceil`` rounds up instead) because the
    providers filter by whole seconds.
    """
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValidationError(
                f"{field} must be a date, a datetime or an ISO string; got {value!r}"
            ) from None
    if not isinstance(value, datetime):
        if not isinstance(value, date):
            raise ValidationError(f"{field} must be a date or a datetime; got {value!r}")
        value = datetime(value.year, value.month, value.day)
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    if value.microsecond:
        value = value.replace(microsecond=0) + timedelta(seconds=1 if ceil else 0)
    return value.astimezone(tz)


def check_window(window: timedelta) -> int:
    """The window length in whole seconds; reject anything else."""
    seconds = window.total_seconds()
    if seconds < 1 or seconds != int(seconds):
        raise ValidationError(f"window must be a whole number of seconds >= 1, got {window}")
    if window > MAX_WINDOW:
        raise ValidationError(f"window must be at most {MAX_WINDOW.days} days, got {window}")
    return int(seconds)


def align_down(when: datetime, seconds: int, tz: tzinfo) -> datetime:
    """The grid boundary at or before ``when``."""
    # Timestamps, not datetime arithmetic: two datetimes sharing a tzinfo
    # subtract as wall-clock times, which is wrong across a DST change.
    anchor = int(_ANCHOR.replace(tzinfo=tz).timestamp())
    steps = (int(when.timestamp()) - anchor) // seconds
    return datetime.fromtimestamp(anchor + steps * seconds, tz)


def cut(
    start: datetime, end: datetime, seconds: int, tz: tzinfo
) -> list[tuple[datetime, datetime]]:
    """``[start, end)`` cut on the grid; the first and last windows may be partial."""
    out: list[tuple[datetime, datetime]] = []
    lo = start
    while lo < end:
        boundary = datetime.fromtimestamp(align_down(lo, seconds, tz).timestamp() + seconds, tz)
        hi = min(boundary, end)
        out.append((lo, hi))
        lo = hi
    return out


def _stamp(when: datetime, tz: tzinfo) -> str:
    return when.astimezone(tz).strftime("%Y%m%dT%H%M%S")


def relative_path(start: datetime, end: datetime, ext: str, tz: tzinfo) -> str:
    """``date=YYYY-MM-DD/part-<start>-<end>.<ext>``, local dates and times in ``tz``."""
    day = start.astimezone(tz).strftime("%Y-%m-%d")
    return f"date={day}/part-{_stamp(start, tz)}-{_stamp(end, tz)}.{ext}"


def rejects_path(path: str) -> str:
    """Where a window's rejected records go: ``date=.../rejects-<start>-<end>.ndjson``."""
    day, _, name = path.rpartition("/")
    stem = name.removeprefix("part-").rsplit(".", 1)[0]
    return f"{day}/rejects-{stem}.ndjson"
