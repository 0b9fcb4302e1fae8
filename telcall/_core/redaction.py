"""Keep credentials out of URLs, reprs, logs and exceptions.

Two layers. The first is by *value*: a :class:`Redactor` holds every secret a client knows (its
api key or secret key, fetched and given tokens) and replaces each one, in every form it takes on
the wire (percent-encoded, JSON-escaped, HTML-escaped by a proxy's error page, ...), with ``***``.
The second is by *name*: query parameters whose name holds a credential (:data:`SECRET_KEYS`) are
redacted whatever their value, for secrets the client never saw (a ``password`` passed to a call);
providers add their own names through their specs.

:meth:`Redactor.sanitize` cleans an exception in place, chained causes included: telcall errors
scrub their own text, and any other exception in the chain (aiohttp's, which quote the full URL)
is replaced by a :class:`SanitizedCause` that keeps its type name and a scrubbed message.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus, urlencode, urlsplit, urlunsplit

import msgspec

from .errors import TelcallError
from .secret_names import SECRET_KEYS, is_secret_key

__all__ = (
    "REDACTED",
    "SECRET_KEYS",
    "Redactor",
    "SanitizedCause",
    "is_secret_key",
    "mask",
    "redact_url",
    "secret_values",
)

REDACTED = "***"
_REDACTED_BYTES = REDACTED.encode()
_ELLIPSIS = "…"
# A truncated snippet may end inside a secret; a tail this long that starts a secret is dropped.
_MIN_PARTIAL = 4
# Shorter values (test tokens like "tok") are scrubbed only as whole words, so that
# "token_expired" survives a token "tok"; real keys and tokens are far longer.
_MIN_ANYWHERE = 8


def mask(secret: str | None) -> str:
    """A repr-safe stand-in for a secret: whether it is set, never its value."""
    return "None" if secret is None else f"'{REDACTED}'"


def secret_values(value: Any) -> Iterable[str]:
    """Every string held under a secret-named key anywhere in a JSON-like ``value``."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(key, str) and is_secret_key(key) and isinstance(item, str):
                yield item
            else:
                yield from secret_values(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from secret_values(item)


def _wire_forms(secret: str) -> set[str]:
    """The texts ``secret`` can turn into between telcall and an error page that quotes it."""
    from yarl import URL

    folded = " ".join(secret.split())  # snippets fold runs of whitespace
    encoded: set[str] = set()
    for text in {secret, folded}:
        encoded |= {
            text,
            quote(text, safe=""),
            quote(text),
            quote_plus(text),
            # What aiohttp actually sends for a query value, and a redirect's Location repeats.
            URL.build(query={"k": text}).raw_query_string[2:],
            msgspec.json.encode(text).decode()[1:-1],
            json.dumps(text)[1:-1],
        }
    escaped = {html.escape(text, quote=q) for text in encoded for q in (True, False)}
    return {form for form in encoded | escaped if form}


class Redactor:
    """The secret values one client holds, and how to scrub them from any text or body."""

    __slots__ = ("_byte_forms", "_byte_words", "_forms", "_values", "_words")

    def __init__(self, values: Iterable[str | None] = ()) -> None:
        self._values: set[str] = set()
        self._forms: tuple[str, ...] = ()
        self._byte_forms: tuple[bytes, ...] = ()
        self._words: re.Pattern[str] | None = None
        self._byte_words: re.Pattern[bytes] | None = None
        self.add(*values)

    def __contains__(self, value: object) -> bool:
        return value in self._values

    def __repr__(self) -> str:
        return f"<Redactor of {len(self._values)} secrets>"

    def add(self, *values: str | None) -> None:
        """Remember ``values`` (``None`` and empty strings are ignored)."""
        fresh = {v for v in values if v and v not in self._values}
        if not fresh:
            return
        self._values |= fresh
        forms: set[str] = set()
        for value in self._values:
            forms |= _wire_forms(value)
        # Longest first, so a secret's encoded form is replaced whole, not piece by piece.
        ordered = sorted(forms, key=len, reverse=True)
        self._forms = tuple(f for f in ordered if len(f) >= _MIN_ANYWHERE)
        self._byte_forms = tuple(f.encode("utf-8", "surrogatepass") for f in self._forms)
        short = [f for f in ordered if len(f) < _MIN_ANYWHERE]
        if short:
            alternatives = "|".join(map(re.escape, short))
            word = rf"(?<![0-9A-Za-z])(?:{alternatives})(?![0-9A-Za-z])"
            self._words = re.compile(word)
            self._byte_words = re.compile(word.encode("utf-8", "surrogatepass"))

    def extended(self, values: Iterable[str]) -> Redactor:
        """A copy that also knows ``values`` (secrets of one call only)."""
        return Redactor([*self._values, *values])

    def text(self, text: str) -> str:
        """``text`` with every known secret replaced by ``***``, a truncated tail included."""
        for form in self._forms:
            if form in text:
                text = text.replace(form, REDACTED)
        if self._words is not None:
            text = self._words.sub(REDACTED, text)
        if text.endswith(_ELLIPSIS):
            text = self._cut_partial(text[: -len(_ELLIPSIS)]) + _ELLIPSIS
        return text

    def _cut_partial(self, head: str) -> str:
        for form in self._forms:
            for size in range(len(form) - 1, _MIN_PARTIAL - 1, -1):
                if head.endswith(form[:size]):
                    return head[:-size] + REDACTED
        return head

    def data(self, body: bytes) -> bytes:
        """``body`` with every known secret replaced by ``***``."""
        for form in self._byte_forms:
            if form in body:
                body = body.replace(form, _REDACTED_BYTES)
        if self._byte_words is not None:
            body = self._byte_words.sub(_REDACTED_BYTES, body)
        return body

    def url(self, url: str) -> str:
        """:func:`redact_url` with this redactor's values."""
        return redact_url(url, self)

    def sanitize(self, error: BaseException) -> None:
        """Scrub ``error`` and its chained causes in place; foreign causes become stand-ins."""
        self._clean(error, set())

    def _clean(self, exc: BaseException, seen: set[int]) -> BaseException:
        if id(exc) in seen:
            return exc
        seen.add(id(exc))
        if isinstance(exc, TelcallError):
            exc.redact(self)
        elif not isinstance(exc, SanitizedCause):
            exc = _stand_in(exc, self.text(_describe(exc)))
            seen.add(id(exc))
        notes = getattr(exc, "__notes__", None)
        if isinstance(notes, list):
            exc.__notes__ = [self.text(n) if isinstance(n, str) else n for n in notes]
        if exc.__cause__ is not None:
            exc.__cause__ = self._clean(exc.__cause__, seen)
        if exc.__context__ is not None:
            exc.__context__ = self._clean(exc.__context__, seen)
        return exc


def redact_url(url: str, secrets: Redactor | None = None) -> str:
    """``url`` with known secret values, secret-named query values and userinfo as ``***``."""
    if secrets is not None:
        url = secrets.text(url)
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{REDACTED}@{netloc.rsplit('@', 1)[1]}"
    if not parts.query:
        return urlunsplit(parts._replace(netloc=netloc))
    query = [
        (k, REDACTED if is_secret_key(k) else v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
    ]
    redacted = urlunsplit(parts._replace(netloc=netloc, query=urlencode(query, safe="*")))
    # Re-encoding may spell a value differently; scrub the result too.
    return redacted if secrets is None else secrets.text(redacted)


class SanitizedCause(Exception):
    """Stands in a telcall error's chain for a foreign exception whose text could hold a secret.

    Instances are of a subclass named like the original (``ClientConnectorError``, ...) so a
    traceback reads the same; ``original_type`` is the class that was replaced.
    """

    original_type: type[BaseException] = BaseException


# One stand-in class per foreign exception class seen; there are few of those.
_STAND_INS: dict[type[BaseException], type[SanitizedCause]] = {}


def _stand_in_class(original: type[BaseException]) -> type[SanitizedCause]:
    cls = _STAND_INS.get(original)
    if cls is not None:
        return cls
    cls = type(
        original.__name__,
        (SanitizedCause,),
        {
            "__module__": original.__module__,
            "__qualname__": original.__qualname__,
            "__doc__": f"A sanitized stand-in for {original.__qualname__}.",
            "original_type": original,
        },
    )
    _STAND_INS[original] = cls
    return cls


def _describe(exc: BaseException) -> str:
    try:
        return str(exc)
    except Exception:  # a broken __str__ must not hide the error being raised
        return type(exc).__name__


def _stand_in(exc: BaseException, message: str) -> SanitizedCause:
    stand_in = _stand_in_class(type(exc))(message)
    traceback: TracebackType | None = exc.__traceback__
    stand_in.__traceback__ = traceback
    stand_in.__cause__ = exc.__cause__
    stand_in.__context__ = exc.__context__
    stand_in.__suppress_context__ = exc.__suppress_context__
    return stand_in
