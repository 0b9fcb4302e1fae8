"""Input checks OMICall needs before a request leaves the process."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, TypeVar

import msgspec

from .._core.errors import ValidationError
from .._core.phones import normalize_vn_phone, phone_hint

__all__ = (
    "GENDERS",
    "PHONE_PATTERN",
    "check_birthday",
    "check_gender",
    "check_phone",
    "convert",
    "is_valid_phone",
    "normalize_phone",
)

#: Domestic Vietnamese numbers: 10-digit mobiles (``09x…``) and 11-digit landlines
#: (``02x…``, as the seed's ``02525485xxx``), plus 1800/1900 hotlines.
PHONE_PATTERN = re.compile(r"^(0[1-9][0-9]{8,9}|1[89]00[0-9]{4,6})$")

GENDERS = frozenset({"other", "male", "female"})

_BIRTHDAY = re.compile(r"^\d{2}/\d{2}/\d{4}$")

T = TypeVar("T")


def normalize_phone(number: str) -> str:
    """Rewrite ``+84…``/``84…`` numbers to the domestic ``0…`` form.

    >>> normalize_phone("+84 393 123 456")
    '0393123456'
    """
    return normalize_vn_phone(number)


def is_valid_phone(number: str) -> bool:
    """Whether ``number`` is a domestic Vietnamese number telcall sends to OMICall."""
    return PHONE_PATTERN.fullmatch(number) is not None


def check_phone(number: object, field: str) -> str:
    """Return ``number`` if it is a valid domestic number, else raise with a hint."""
    if not isinstance(number, str) or not is_valid_phone(number):
        hint = ""
        if isinstance(number, str):
            hint = phone_hint(number, is_valid_phone, "telcall.omicall.normalize_phone")
        raise ValidationError(
            f"{field} {number!r} is not a Vietnamese phone number ({PHONE_PATTERN.pattern}){hint}"
        )
    return number


def check_birthday(value: str | date | None, field: str) -> str | None:
    """A birthday as OMICall wants it, ``dd/MM/yyyy``; a ``date`` is formatted for you."""
    if value is None:
        return None
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if not isinstance(value, str) or not _BIRTHDAY.fullmatch(value):
        raise ValidationError(f"{field} must be a date or 'dd/MM/yyyy'; got {value!r}")
    try:
        datetime.strptime(value, "%d/%m/%Y")
    except ValueError:
        raise ValidationError(f"{field} is not a real date: {value!r}") from None
    return value


def check_gender(value: str | None, field: str) -> str | None:
    """``other``, ``male`` or ``female`` (or unset)."""
    if value is not None and value not in GENDERS:
        raise ValidationError(f"{field} must be one of other, male, female; got {value!r}")
    return value


def convert(value: Any, kind: type[T], field: str) -> T:
    """A struct of ``kind`` from itself or a mapping of wire names, or a ValidationError."""
    if isinstance(value, kind):
        return value
    if not isinstance(value, Mapping):
        raise ValidationError(f"{field} must be a {kind.__name__} or a mapping; got {value!r}")
    try:
        return msgspec.convert(dict(value), kind)
    except msgspec.ValidationError as exc:
        raise ValidationError(f"{field}: {exc}") from None
