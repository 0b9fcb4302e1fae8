"""Input checks AI Call Center needs before a request leaves the process."""

from __future__ import annotations

import re

from .._core.errors import ValidationError
from .._core.phones import normalize_vn_phone, phone_hint

__all__ = (
    "PHONE_PATTERN",
    "check_range",
    "is_valid_otp",
    "is_valid_phone",
    "normalize_phone",
    "phone_problem",
)

#: Domestic Vietnamese numbers: 10-digit mobiles (``090xxxxxxx``) and 11-digit landlines.
PHONE_PATTERN = re.compile(r"^0[1-9][0-9]{8,9}$")

_OTP = re.compile(r"^[0-9]{6}$")


def normalize_phone(number: str) -> str:
    """Rewrite ``+84…``/``84…`` numbers to the domestic ``0…`` form.

    >>> normalize_phone("+84 90 123 4567")
    '0901234567'
    """
    return normalize_vn_phone(number)


def is_valid_phone(number: str) -> bool:
    """Whether ``number`` is a domestic Vietnamese number telcall sends to AI Call Center."""
    return PHONE_PATTERN.fullmatch(number) is not None


def phone_problem(number: object) -> str | None:
    """Why ``number`` cannot be sent (with a fix when there is one), or ``None`` if it can."""
    if not isinstance(number, str):
        return f"phone_number must be a string; got {number!r}"
    if is_valid_phone(number):
        return None
    hint = phone_hint(number, is_valid_phone, "telcall.aicallcenter.normalize_phone")
    return f"{number!r} is not a Vietnamese phone number ({PHONE_PATTERN.pattern}){hint}"


def is_valid_otp(code: object) -> bool:
    """Whether ``code`` is a voice-OTP code the provider accepts: "000001" to "999999"."""
    return isinstance(code, str) and _OTP.fullmatch(code) is not None and code != "000000"


def check_range(start: int | None, end: int | None) -> None:
    """``start_time`` must not be after ``end_time``."""
    if start is not None and end is not None and start > end:
        raise ValidationError("start_time is after end_time")
