"""Per-client overrides for :meth:`with_options`, and per-call extras of every method.

``extra_headers`` / ``extra_query`` / ``extra_body`` are an escape hatch for provider
parameters telcall does not model. They are checked before any I/O: names and values must
be strings without control characters (a CR or LF would split the request), and a header
name must be an HTTP token. Values under secret names (``Authorization``, ``api_key``, ...)
join the client's redactor, so they never appear in logs, hooks, spans or errors.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, TypedDict

from .errors import ValidationError
from .redaction import secret_values

__all__ = ("EXTRA_NAMES", "Extras", "RequestExtras", "check_extras", "take_extras")

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# RFC 9110 token characters.
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


class RequestExtras(TypedDict, total=False):
    """The per-call escape hatch every resource method takes as ``**extras``.

    ``extra_headers`` / ``extra_query`` / ``extra_body`` are merged over the client's own
    (:meth:`with_options`) for this call's requests only (not a token fetch it causes);
    telcall's own values still win, and ``extra_body`` reaches JSON object bodies only.
    """

    extra_headers: Mapping[str, str] | None
    extra_query: Mapping[str, str | int | float | bool] | None
    extra_body: Mapping[str, Any] | None


#: The keys of :class:`RequestExtras`.
EXTRA_NAMES = frozenset(RequestExtras.__annotations__)


class Extras:
    """Extra headers, query parameters and JSON body fields merged into every request."""

    __slots__ = ("body", "headers", "query")

    def __init__(
        self,
        headers: Mapping[str, str] | None = None,
        query: Mapping[str, Any] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> None:
        self.headers: Mapping[str, str] = MappingProxyType(dict(headers or {}))
        self.query: Mapping[str, Any] = MappingProxyType(dict(query or {}))
        self.body: Mapping[str, Any] = MappingProxyType(dict(body or {}))

    def __bool__(self) -> bool:
        return bool(self.headers or self.query or self.body)

    def merged(self, other: Extras) -> Extras:
        """These extras overridden by ``other``'s (a view of a view keeps both)."""
        return Extras(
            {**self.headers, **other.headers},
            {**self.query, **other.query},
            {**self.body, **other.body},
        )

    def secrets(self) -> list[str]:
        """Values held under secret names, for the redactor."""
        return [*secret_values(self.headers), *secret_values(self.query), *secret_values(self.body)]


def _check_text(what: str, value: object) -> str:
    if not isinstance(value, str):
        raise ValidationError(f"{what} must be a string, got {type(value).__name__}")
    if _CONTROL.search(value):
        raise ValidationError(f"{what} must not contain control characters (CR, LF, ...)")
    return value


def check_extras(
    headers: Mapping[str, str] | None,
    query: Mapping[str, Any] | None,
    body: Mapping[str, Any] | None,
) -> Extras:
    """Validate the extras of :meth:`with_options`; raise ValidationError on the first bad one."""
    for name, value in (headers or {}).items():
        _check_text("an extra_headers name", name)
        if not _TOKEN.match(name):
            raise ValidationError(f"extra_headers name {name!r} is not a valid HTTP header name")
        _check_text(f"extra_headers[{name!r}]", value)
    for name, value in (query or {}).items():
        _check_text("an extra_query name", name)
        if isinstance(value, bool | int | float):
            continue
        _check_text(f"extra_query[{name!r}]", value)
    for name in body or {}:
        _check_text("an extra_body name", name)
    return Extras(headers, query, body)


def take_extras(kwargs: dict[str, Any]) -> Extras | None:
    """Remove a call's ``extra_*`` keywords from ``kwargs`` and check them; None if absent."""
    if kwargs.keys().isdisjoint(EXTRA_NAMES):
        return None
    extras = check_extras(
        kwargs.pop("extra_headers", None),
        kwargs.pop("extra_query", None),
        kwargs.pop("extra_body", None),
    )
    return extras or None
