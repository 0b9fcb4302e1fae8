"""Vietnamese phone numbers: the normaliser users call before validation."""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ("normalize_vn_phone", "phone_hint")

_SEPARATORS = re.compile(r"[\s.\-()]")


def normalize_vn_phone(number: str) -> str:
    """Turn ``+84 899 888 998``, ``84899888998`` or ``0899-888-998`` into ``0899888998``.

    Only the international prefix and separators change; anything that does
    not look like a Vietnamese number comes back with just the separators
    removed, for the validator to judge.
    """
    digits = _SEPARATORS.sub("", number.strip())
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("0084"):
        digits = "0" + digits[4:]
    elif digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    return digits


def phone_hint(number: str, is_valid: Callable[[str], bool], normalizer: str) -> str:
    """``"; did you mean …? (normalizer)"`` if normalising makes ``number`` valid, else ``""``."""
    fixed = normalize_vn_phone(number)
    if fixed != number and is_valid(fixed):
        return f"; did you mean {fixed!r}? ({normalizer})"
    return ""
