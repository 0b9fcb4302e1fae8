"""Argument checks every provider shares: required values, URL path segments."""

from __future__ import annotations

import re
from urllib.parse import quote

from .errors import ValidationError

__all__ = ("path_segment",)

# C0 and C1 control characters and DEL: never part of an id, and a CR/LF would split the request.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def path_segment(value: str, field: str) -> str:
    """``value`` percent-quoted as one URL path segment, or ValidationError.

    Empty, blank and dot-only values are refused: ``.`` and ``..`` survive quoting and
    the URL is normalised, so they would send the request to another endpoint.
    """
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be a str; got {value!r}")
    if not value.strip():
        raise ValidationError(f"{field} must not be empty")
    if not value.strip().strip("."):
        raise ValidationError(f"{field} must not be '.' or '..' (it would change the URL path)")
    if _CONTROL.search(value):
        raise ValidationError(f"{field} must not contain control characters; got {value!r}")
    return quote(value, safe="")
