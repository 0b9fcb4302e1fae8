"""Input checks TEL4VN needs before a request leaves the process."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, tzinfo
from typing import Literal

from .._core.errors import ValidationError
from .._core.phones import normalize_vn_phone, phone_hint
from .._core.records import CallStatus, Direction
from .._core.validation import DateLike, parse_date
from .models import EVENT_NAMES

__all__ = (
    "PHONE_PATTERN",
    "CdrDirectionFilter",
    "CdrStatusFilter",
    "cdr_direction",
    "cdr_status",
    "check_event",
    "check_phone",
    "check_range",
    "format_date",
    "is_valid_phone",
    "normalize_phone",
)

#: The provider's own pattern, verbatim (see API.md on what it really accepts); used with
#: ``fullmatch``, as ``$`` alone also matches before a trailing newline.
PHONE_PATTERN = re.compile(r"^(84|0[3|5|7|8|9])+([0-9]{8})$")


def normalize_phone(number: str) -> str:
    """Rewrite ``+84…``/``84…`` mobile numbers to the ``0…`` form TEL4VN accepts.

    >>> normalize_phone("+84 899 888 998")
    '0899888998'
    """
    return normalize_vn_phone(number)


def is_valid_phone(number: str) -> bool:
    """Whether ``number`` matches TEL4VN's documented phone pattern."""
    return PHONE_PATTERN.fullmatch(number) is not None


def check_phone(number: str, field: str) -> str:
    """Return ``number`` if it matches the pattern, else raise a helpful error."""
    if not isinstance(number, str) or not is_valid_phone(number):
        hint = ""
        if isinstance(number, str):
            hint = phone_hint(number, is_valid_phone, "telcall.tel4vn.normalize_phone")
        raise ValidationError(
            f"{field} {number!r} does not match TEL4VN's phone pattern "
            f"{PHONE_PATTERN.pattern}{hint}"
        )
    return number


def check_event(event: str, field: str = "event") -> str:
    """An event name the provider fires (others are accepted by it but never fire)."""
    if event not in EVENT_NAMES:
        raise ValidationError(
            f"{field} must be one of {', '.join(sorted(EVENT_NAMES))}; got {event!r}"
        )
    return event


def format_date(value: DateLike | None, field: str, tz: tzinfo) -> str | None:
    """A filter date as the API wants it: ``YYYY-MM-DD`` or ``YYYY-MM-DD HH:MM:SS`` local time."""
    if value is None:
        return None
    moment = parse_date(value, field, tz)
    if isinstance(moment, datetime):
        # isoformat, not strftime: %Y does not zero-pad years before 1000 ("999-01-01").
        return moment.astimezone(tz).replace(tzinfo=None).isoformat(" ", "seconds")
    return moment.isoformat()


def check_range(start: str | None, end: str | None, names: Iterable[str]) -> None:
    """``start`` must not be after ``end`` (both already formatted)."""
    if start is not None and end is not None and start > end:
        # Both are zero-padded ISO strings, so text order is time order.
        first, second = names
        raise ValidationError(f"{first} ({start}) is after {second} ({end})")


#: ``status=`` of ``cdrs.list/pages/iterate``: a :class:`CallStatus` (member or value), or the
#: provider's own word in lower or upper case.
CdrStatusFilter = (
    CallStatus
    | Literal["answered", "busy", "no-answer", "cancelled", "not-available", "failed"]
    | Literal["no-answered", "cancel", "invalid"]
    | Literal["ANSWERED", "BUSY", "NO-ANSWERED", "CANCEL", "NOT-AVAILABLE", "INVALID"]
)

#: ``direction=``: a :class:`Direction` (but ``unknown``) or its value.
CdrDirectionFilter = Direction | Literal["inbound", "outbound", "local"]

# CallStatus value -> the provider's word; FAILED covers only "invalid" (the one failure word).
_PROVIDER_STATUS = {
    CallStatus.ANSWERED: "answered",
    CallStatus.BUSY: "busy",
    CallStatus.NO_ANSWER: "no-answered",
    CallStatus.CANCELLED: "cancel",
    CallStatus.NOT_AVAILABLE: "not-available",
    CallStatus.FAILED: "invalid",
}
_PROVIDER_WORDS = frozenset(_PROVIDER_STATUS.values())


def cdr_status(value: str | None, mapping: str) -> str | None:
    """The provider's word for a status filter: upper case, or lower case for ``flex`` accounts."""
    if value is None:
        return None
    word = value.lower()
    if word not in _PROVIDER_WORDS:
        try:
            word = _PROVIDER_STATUS[CallStatus(word)]
        except (ValueError, KeyError):
            raise ValidationError(
                f"status must be a CallStatus or one of {', '.join(sorted(_PROVIDER_WORDS))}; "
                f"got {value!r}"
            ) from None
    return word if mapping == "flex" else word.upper()


def cdr_direction(value: str | None) -> str | None:
    """The provider's word for a direction filter (``Direction.UNKNOWN`` has none)."""
    if value is None:
        return None
    if value not in ("inbound", "outbound", "local"):
        raise ValidationError(f"direction must be inbound, outbound or local; got {value!r}")
    return str(value)
