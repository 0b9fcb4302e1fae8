"""Provider-neutral call records.

Every provider's wire model converts to :class:`CallRecord` through its own
``to_call_record()``; the helpers here hold the rules the providers share:
parsing naive provider-local timestamps, ``""`` meaning "absent", and mapping
the many spellings of a status or direction onto one enum. ``to_call_record()``
applies them to one record; the page-at-a-time ``to_call_records()`` (which
``page.to_arrow()`` and the export build on) applies the same functions a column
at a time (:func:`texts`, :class:`LocalTimes`, ``map``), so no Python frame runs
per record, and builds the records with one ``map(CallRecord, *columns)``.
"""

from __future__ import annotations

import enum
import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from typing import Annotated, Any, cast
from zoneinfo import ZoneInfo

import msgspec

__all__ = (
    "DEFAULT_TZ",
    "CallRecord",
    "CallStatus",
    "Direction",
    "LocalTimes",
    "direction_from_text",
    "direction_of",
    "directions",
    "from_epoch_ms",
    "from_epoch_s",
    "guess_direction",
    "none_as_empty",
    "none_if_empty",
    "parse_local_time",
    "resolve_tz",
    "status_from_text",
    "talk_seconds",
    "texts",
    "to_call_records",
)

DEFAULT_TZ: ZoneInfo = ZoneInfo("Asia/Ho_Chi_Minh")

# Vietnamese mobile prefixes (03x, 05x, 07x, 08x, 09x) + 8 digits; hotlines (1900…, 028…) differ.
_MOBILE = re.compile(r"^0[35789]\d{8}$")


class Direction(enum.StrEnum):
    """Which way a call went, seen from the call center."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"
    LOCAL = "local"
    UNKNOWN = "unknown"


class CallStatus(enum.StrEnum):
    """How a call ended, in one vocabulary for every provider."""

    ANSWERED = "answered"
    BUSY = "busy"
    NO_ANSWER = "no-answer"
    CANCELLED = "cancelled"
    NOT_AVAILABLE = "not-available"
    FAILED = "failed"
    UNKNOWN = "unknown"


class CallRecord(msgspec.Struct, frozen=True, gc=False):
    """One finished call, provider-neutral.

    Times are timezone-aware; ``duration`` is the whole call and ``billsec``
    the talk time, both in seconds. ``raw_status`` keeps the provider's own
    word for the outcome, because mapping it onto :class:`CallStatus` loses
    detail some users report on. Untracked by the garbage collector
    (``gc=False``): its fields cannot form cycles, and exports hold millions.
    Encoded with every field, ``null`` where absent, so every NDJSON line of an
    export has the same columns. Build it with keywords; the converters pass the
    fields by position, in this order, which is ~10x cheaper for msgspec.
    """

    id: str
    provider: str
    direction: Direction
    from_number: str | None = None
    to_number: str | None = None
    extension: str | None = None
    started_at: datetime | None = None
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    duration: int = 0
    billsec: int = 0
    status: CallStatus = CallStatus.UNKNOWN
    raw_status: str | None = None
    hangup_cause: str | None = None
    recording_url: str | None = None
    customer_id: str | None = None


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


# Cached: a provider sends a handful of distinct words, and a hit is one C call instead of
# strip, lower and a lookup per record. Bounded against hostile values.
@lru_cache(maxsize=1024)
def status_from_text(value: str | None) -> CallStatus:
    """Map a provider's status word (any case) onto :class:`CallStatus`."""
    if not value:
        return CallStatus.UNKNOWN
    return _STATUS_WORDS.get(value.strip().lower(), CallStatus.UNKNOWN)


@lru_cache(maxsize=1024)
def direction_from_text(value: object) -> Direction:
    """Map a provider's direction word (any case) onto :class:`Direction`; a non-word: unknown.

    TEL4VN's default mapping sometimes sends an integer instead of a word.
    """
    if not value or not isinstance(value, str):
        return Direction.UNKNOWN
    return _DIRECTION_WORDS.get(value.strip().lower(), Direction.UNKNOWN)


def _digits(number: str | None) -> str:
    return (number or "").strip().lstrip("+")


def _is_external(number: str | None) -> bool:
    # Extensions are short (101, 5001); hotlines and mobiles have 8+ digits.
    return len(_digits(number)) >= 8


def _is_mobile(number: str | None) -> bool:
    digits = _digits(number)
    if digits.startswith("84"):
        digits = "0" + digits[2:]
    return _MOBILE.fullmatch(digits) is not None


def guess_direction(from_number: str | None, to_number: str | None) -> Direction:
    """Infer a direction from the two numbers when the provider gave none we can read.

    TEL4VN's default mapping sometimes sends an undocumented integer; the
    numbers are a more trustworthy witness than guessing what the integer
    means. A customer's mobile calling a hotline is inbound; a hotline or an
    extension calling out is outbound; extension to extension is local.
    """
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


def direction_of(word: object, from_number: str | None, to_number: str | None) -> Direction:
    """The direction ``word`` names, else the one the two numbers suggest."""
    direction = direction_from_text(word)
    if direction is Direction.UNKNOWN:
        return guess_direction(from_number, to_number)
    return direction


def directions(
    words: Sequence[object],
    from_numbers: Sequence[str | None],
    to_numbers: Sequence[str | None],
) -> list[Direction]:
    """:func:`direction_of` of each record, a column at a time.

    The numbers are read only for the records whose word says nothing (a few per page).
    """
    column = list(map(direction_from_text, words))
    unknown = Direction.UNKNOWN
    for i in [i for i, direction in enumerate(column) if direction is unknown]:
        column[i] = guess_direction(from_numbers[i], to_numbers[i])
    return column


def none_if_empty(value: str | None) -> str | None:
    """Return ``None`` for ``None``, ``""`` and whitespace, else the value stripped."""
    return (value and value.strip()) or None


# dict.get(value, value): the mapped value, or the value itself; a C call, no frame.
#: ``none_as_empty(value, value)``: ``""`` for ``None``, else ``value`` (texts, CSV cells).
none_as_empty = cast("Callable[[Any, Any], Any]", {None: ""}.get)
_EMPTY_AS_NONE = cast("Callable[[str, str], str | None]", {"": None}.get)


def texts(column: Sequence[str | None]) -> Iterator[str | None]:
    """:func:`none_if_empty` of each value of ``column``, in C (~0.1 µs a value, no frame)."""
    stripped = list(map(str.strip, map(none_as_empty, column, column)))
    return map(_EMPTY_AS_NONE, stripped, stripped)


def talk_seconds(answered: datetime | None, ended: datetime | None) -> int:
    """Whole seconds from answer to hang-up; ``0`` when either is missing or they are reversed."""
    if not (answered and ended):
        return 0
    # days and seconds floor the difference, as ``// timedelta(seconds=1)`` would, at a
    # third of its cost (no big-integer microseconds).
    talk = ended - answered
    return max(talk.days * 86_400 + talk.seconds, 0)


@lru_cache(maxsize=32)
def resolve_tz(tz: str | tzinfo | None) -> tzinfo:
    """Turn a zone name, a ``tzinfo`` or ``None`` (the default zone) into a ``tzinfo``."""
    if tz is None:
        return DEFAULT_TZ
    if isinstance(tz, str):
        return ZoneInfo(tz)
    return tz


def parse_local_time(value: str | None, tz: tzinfo | None = None) -> datetime | None:
    """Parse a naive provider timestamp (``YYYY-MM-DD HH:MM:SS``) in ``tz``.

    ``""`` and ``None`` mean "never" (an unanswered call has no answer time).
    RFC 3339 values with their own offset keep it; Go's zero time
    ``0001-01-01T00:00:00Z`` also means "never".
    """
    if not value or value.startswith("0001-01-01"):
        return None
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is not None:
        return parsed
    # combine() attaches the zone in one C call: ~3x cheaper than datetime(year, ...,
    # tz) and far cheaper than .replace(tzinfo=...); this runs three times per CDR.
    return datetime.combine(parsed, parsed.time(), tz or DEFAULT_TZ)


class LocalTimes(dict[str, "datetime | None"]):
    """:func:`parse_local_time` in one zone, each distinct value parsed once: ``times[value]``.

    Made for one page: its three time columns repeat the same seconds (a page of a
    busy hour spans a few minutes), so most lookups are a C-level dict hit instead of
    a parse, and records share the (immutable) datetimes. Bad values raise as
    :func:`parse_local_time` does.
    """

    __slots__ = ("tz",)

    def __init__(self, tz: tzinfo) -> None:
        super().__init__()
        self.tz = tz

    def __missing__(self, value: str) -> datetime | None:
        parsed = self[value] = parse_local_time(value, self.tz)
        return parsed

    def fill(self, *columns: Iterable[str]) -> LocalTimes:
        """Parse the distinct values of ``columns`` at once, in C where they are plain.

        Plain means every value is ``""`` or naive ``YYYY-MM-DD HH:MM:SS`` (19 characters),
        none on Go's zero day: msgspec parses those in one call (~0.05 µs a value against
        ~0.5 for :func:`parse_local_time`), accepting a subset of what ``fromisoformat``
        does with the same result, and ``datetime.combine`` attaches the zone inside
        ``map``. A page with any other value (offsets, fractions, a value msgspec refuses)
        is left to ``__missing__``, so it parses, and fails, exactly as one record would.
        """
        values = set().union(*columns)
        values.discard("")
        if not values or set(map(len, values)) != {19}:
            return self
        ordered = list(values)
        try:
            naive = msgspec.convert(ordered, _NaiveTimes)
        except msgspec.ValidationError:
            return self
        if min(naive) < _AFTER_ZERO_DAY:
            return self
        aware = map(datetime.combine, naive, map(datetime.time, naive), itertools.repeat(self.tz))
        self.update(zip(ordered, aware, strict=True))
        return self


_NaiveTimes = list[Annotated[datetime, msgspec.Meta(tz=False)]]
# Go's zero time (0001-01-01...) means "never": such a page takes the per-value path.
_AFTER_ZERO_DAY = datetime(1, 1, 2)


def from_epoch_s(value: float | None, tz: tzinfo = UTC) -> datetime | None:
    """Epoch seconds → aware datetime in ``tz``, UTC by default (``None``/``0`` → ``None``)."""
    if not value:
        return None
    return datetime.fromtimestamp(value, tz=tz)


def from_epoch_ms(value: float | None, tz: tzinfo = UTC) -> datetime | None:
    """Epoch milliseconds → aware datetime in ``tz``, UTC by default (``None``/``0`` → ``None``)."""
    if not value:
        return None
    return datetime.fromtimestamp(value / 1000, tz=tz)


def to_call_records(items: Sequence[Any], tz: tzinfo | None = None) -> list[CallRecord]:
    """Every wire record's ``to_call_record(tz)``, a page at a time.

    A page of one wire type goes through that type's ``to_call_records()`` in one
    call; a page mixing types (TEL4VN's two CDR mappings) is converted item by item.
    """
    if not items:
        return []
    kind = type(items[0])
    if all(type(item) is kind for item in items):
        converted: list[CallRecord] = kind.to_call_records(items, tz)
        return converted
    return [item.to_call_record(tz) for item in items]
