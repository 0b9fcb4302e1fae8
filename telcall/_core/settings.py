"""Checks for client settings: bad values fail at construction, never at the first call.

Each check raises :class:`~telcall.errors.ValidationError` with the setting's name. Checks of
credentials never quote the value (only where in it the problem is).
"""

from __future__ import annotations

import math
import re
from datetime import tzinfo
from urllib.parse import urlsplit
from zoneinfo import ZoneInfoNotFoundError

from .errors import ValidationError
from .records import resolve_tz

__all__ = ("check_base_url", "check_count", "check_credential", "check_seconds", "check_tz")

# C0 and C1 control characters and DEL: a CR/LF in a header or URL splits the request.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _from(env: str | None) -> str:
    return f" (from {env})" if env else ""


def _check_text(name: str, value: object, env: str | None) -> str:
    if not isinstance(value, str):
        raise ValidationError(f"{name} must be a string, got {type(value).__name__}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        # Raised without the codec error: it holds the whole value.
        raise ValidationError(
            f"{name}{_from(env)} is not valid UTF-8 text (undecodable bytes at position "
            f"{exc.start}); check the environment's encoding"
        ) from None
    bad = _CONTROL.search(value)
    if bad is not None:
        raise ValidationError(
            f"{name}{_from(env)} contains a control character (U+{ord(bad.group()):04X}) at "
            f"position {bad.start()}; a trailing newline from a file or a shell is the usual cause"
        )
    return value


def check_base_url(value: object, env: str | None = None) -> str:
    """An ``http(s)://host[:port][/path]`` URL without control characters or whitespace."""
    url = _check_text("base_url", value, env)
    if not url.startswith(("http://", "https://")):
        raise ValidationError(f"base_url{_from(env)} must start with http:// or https://")
    if any(c.isspace() for c in url):
        raise ValidationError(f"base_url{_from(env)} contains whitespace")
    try:
        parts = urlsplit(url)
        host, _ = parts.hostname, parts.port
    except ValueError as exc:
        raise ValidationError(f"base_url{_from(env)} is not a valid URL: {exc}") from None
    if not host:
        raise ValidationError(f"base_url{_from(env)} has no host")
    return url


def check_credential(name: str, value: object, env: str | None = None) -> str:
    """A secret or token: UTF-8 text, no control characters, no surrounding whitespace."""
    secret = _check_text(name, value, env)
    if not secret.strip():
        raise ValidationError(f"{name}{_from(env)} is blank")
    if secret != secret.strip():
        raise ValidationError(f"{name}{_from(env)} has leading or trailing whitespace")
    return secret


def check_count(name: str, value: object, *, minimum: int) -> int:
    """An ``int`` (not a bool) of at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{name} must be an int, got {type(value).__name__}")
    if value < minimum:
        raise ValidationError(f"{name} must be >= {minimum}, got {value}")
    return value


def check_seconds(name: str, value: object, *, allow_zero: bool = False) -> float:
    """A finite number of seconds, positive (or also zero with ``allow_zero``)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValidationError(f"{name} must be a finite number of seconds, got {value!r}")
    if value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValidationError(f"{name} must be {bound} seconds, got {value!r}")
    return float(value)


def check_tz(value: object) -> tzinfo:
    """A ``tzinfo`` or an IANA zone name that this machine knows."""
    if not isinstance(value, str | tzinfo):
        raise ValidationError(f"tz must be a zone name or a tzinfo, got {type(value).__name__}")
    try:
        return resolve_tz(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        hint = " (install tzdata where the OS has no zone database)"
        raise ValidationError(f"unknown time zone {value!r}{hint}: {exc}") from None
