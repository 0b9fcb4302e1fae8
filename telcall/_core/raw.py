"""Raw responses: ``client.with_raw_response.cdrs.list(...)`` → status, headers, timing, result.

:func:`raw_call` runs a resource call with a capture slot in its context; the request path
puts each final HTTP response of the call in it (:func:`record_response`), and the last one
is what the :class:`RawResponse` describes. Headers are redacted like a hook's view.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from contextvars import ContextVar
from typing import Generic, TypeVar

from .errors import request_id
from .hooks import redacted_headers
from .redaction import Redactor
from .transport import Response

__all__ = ("RawResponse", "last_request_id", "raw_call", "record_response")

T = TypeVar("T")


class _Capture:
    __slots__ = ("redactor", "response")

    def __init__(self) -> None:
        self.response: Response | None = None
        self.redactor: Redactor | None = None


_capture: ContextVar[_Capture | None] = ContextVar("telcall_raw_capture", default=None)

# The headers of the last final response this task received (not the body: it may be large).
_last: ContextVar[tuple[Mapping[str, str], Redactor] | None] = ContextVar(
    "telcall_last_response", default=None
)


class RawResponse(Generic[T]):
    """The HTTP answer behind a result, and the result itself (:meth:`parse`).

    ``status``, ``headers`` (redacted), ``elapsed`` (seconds, last attempt), ``method``,
    ``url`` (redacted), ``attempts`` (1 without retries) and ``request_id`` (the provider's,
    when it sends one) describe the last HTTP exchange of the call.
    """

    __slots__ = (
        "_parsed",
        "attempts",
        "elapsed",
        "headers",
        "method",
        "request_id",
        "status",
        "url",
    )

    def __init__(
        self,
        parsed: T,
        *,
        status: int,
        headers: Mapping[str, str],
        elapsed: float,
        method: str,
        url: str,
        attempts: int,
    ) -> None:
        self._parsed = parsed
        self.status = status
        self.headers = headers
        self.elapsed = elapsed
        self.method = method
        self.url = url
        self.attempts = attempts
        self.request_id = request_id(headers)

    def parse(self) -> T:
        """The typed result, as the plain call returns it (already decoded)."""
        return self._parsed

    def __repr__(self) -> str:
        return f"<RawResponse {self.status} {self.method} {self.url} attempts={self.attempts}>"


def record_response(response: Response, redactor: Redactor) -> None:
    """Keep ``response``'s headers for :func:`last_request_id`, and it whole if a raw call is
    capturing."""
    _last.set((response.headers, redactor))
    capture = _capture.get()
    if capture is not None:
        capture.response = response
        capture.redactor = redactor


def last_request_id() -> str | None:
    """The provider's request id on the response just decoded in this task, redacted; or None.

    A resource reads it right after its ``_request`` returns, to put it on the ``Page``.
    """
    last = _last.get()
    if last is None:
        return None
    found = request_id(last[0])
    return None if found is None else last[1].text(found)


async def raw_call(call: Awaitable[T]) -> RawResponse[T]:
    """Await ``call`` (one resource method) and describe the response it got."""
    capture = _Capture()
    reset = _capture.set(capture)
    try:
        parsed = await call
    finally:
        _capture.reset(reset)
    response = capture.response
    if response is None or capture.redactor is None:
        raise RuntimeError("the call sent no request to describe")
    return RawResponse(
        parsed,
        status=response.status,
        headers=redacted_headers(response.headers, capture.redactor),
        elapsed=response.elapsed,
        method=response.method,
        url=response.url,
        attempts=response.attempts,
    )
