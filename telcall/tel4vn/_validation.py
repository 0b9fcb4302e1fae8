"""Input checks TEL4VN needs before a request leaves the process."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, tzinfo

from .._core.errors import ValidationError
from .._core.phones import normalize_vn_phone, phone_hint
from .._core.validation import DateLike, parse_date
from .models import EVENT_NAMES

__all__ = (
    "PHONE_PATTERN",
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
        return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")
    return moment.isoformat()


def check_range(start: str | None, end: str | None, names: Iterable[str]) -> None:
    """``start`` must not be after ``end`` (both already formatted)."""
    if start is not None and end is not None and start > end:
        # Both are zero-padded ISO strings, so text order is time order.
        first, second = names
        raise ValidationError(f"{first} ({start}) is after {second} ({end})")
