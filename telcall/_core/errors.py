"""Every exception telcall raises.

The hierarchy::

    TelcallError
    ├── TransportError                  the request never produced a usable response
    │   ├── ConnectError                could not connect (never sent)
    │   ├── TransportTimeout            a connect/read/total timeout or the call's deadline
    │   └── ResponseTooLarge            the body grew past max_response_bytes (decompressed)
    ├── APIError                        the provider answered "no"
    │   ├── BadRequestError             400
    │   ├── AuthenticationError         401 (bad api key, expired token, ...)
    │   ├── PermissionDeniedError       403
    │   ├── NotFoundError               404 (or a provider's "not found" code)
    │   ├── RateLimitError              429
    │   ├── ServerError                 5xx (after retries)
    │   ├── ProviderError               a "fail" body, often with HTTP 200
    │   └── RedirectError               a 3xx answer (redirects are never followed)
    ├── DecodeError                     a success status whose body is not the expected JSON
    ├── PaginationError                 a listing whose cursor does not advance
    ├── CheckpointError                 an export's checkpoint file is damaged, full or busy
    ├── ValidationError (ValueError)    bad input, rejected before any I/O
    ├── ClientClosedError (RuntimeError) the client was closed
    └── WrongEventLoopError (RuntimeError) an async client used from another event loop

Every error built from a response carries the provider, HTTP status, the
provider's code and message, the request method and its URL with credentials
redacted, and the raw body.  Nothing secret is ever part of an error's text,
attributes or chained causes: the client scrubs each error it raises (see
:meth:`TelcallError.redact`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, Protocol

__all__ = (
    "REQUEST_ID_HEADERS",
    "APIError",
    "AuthenticationError",
    "BadRequestError",
    "CheckpointError",
    "ClientClosedError",
    "ConnectError",
    "DecodeError",
    "NotFoundError",
    "PaginationError",
    "PermissionDeniedError",
    "ProviderError",
    "RateLimitError",
    "RedirectError",
    "ResponseTooLarge",
    "Scrubber",
    "ServerError",
    "TelcallError",
    "TimeoutKind",
    "TransportError",
    "TransportTimeout",
    "ValidationError",
    "WrongEventLoopError",
    "error_for_status",
    "request_id",
    "snippet",
)

#: Response headers a provider may name its request id in; the first present wins.
REQUEST_ID_HEADERS = ("X-Request-Id", "Request-Id", "X-Correlation-Id", "X-Trace-Id")


def request_id(headers: Mapping[str, str]) -> str | None:
    """The provider's request id from response ``headers``, when it sent one (any case)."""
    folded = {name.lower(): value for name, value in headers.items()}
    for name in REQUEST_ID_HEADERS:
        value = folded.get(name.lower())
        if value:
            return value
    return None


SNIPPET_CHARS = 200

#: Which bound a :class:`TransportTimeout` hit.
TimeoutKind = Literal["connect", "read", "total", "deadline"]


def snippet(body: bytes, limit: int = SNIPPET_CHARS) -> str:
    """The first ``limit`` characters of a body, whitespace folded, for messages."""
    text = body[: limit * 4].decode("utf-8", errors="replace")
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Scrubber(Protocol):
    """What :meth:`TelcallError.redact` needs: secret-free copies of text and bytes."""

    def text(self, text: str, /) -> str:
        """``text`` without secrets."""
        ...

    def data(self, body: bytes, /) -> bytes:
        """``body`` without secrets."""
        ...


def _scrub_value(value: Any, scrub: Scrubber) -> Any:
    if isinstance(value, str):
        return scrub.text(value)
    if isinstance(value, bytes):
        return scrub.data(value)
    if isinstance(value, Mapping):
        return {
            scrub.text(k) if isinstance(k, str) else k: _scrub_value(v, scrub)
            for k, v in value.items()
        }
    return value


def _unpickled(cls: type[TelcallError], args: tuple[object, ...]) -> TelcallError:
    error = cls.__new__(cls)
    error.args = args
    return error


class TelcallError(Exception):
    """Root of every exception raised by telcall."""

    def __reduce__(self) -> tuple[Any, ...]:
        # Constructors take keyword-only attributes, which BaseException's pickling (it calls
        # ``cls(*args)``) cannot supply: rebuild from args and state instead, so an error
        # raised on a Dask or Celery worker reaches the caller as itself.
        return (_unpickled, (type(self), self.args), vars(self))

    def redact(self, scrub: Scrubber) -> None:
        """Scrub secrets from this error's text and attributes, in place.

        Subclasses whose ``str()`` is derived from attributes rebuild it from the scrubbed
        values (:meth:`_describe`), so a truncated excerpt cannot end inside a secret.
        """
        for name, value in vars(self).items():
            setattr(self, name, _scrub_value(value, scrub))
        described = self._describe()
        self.args = (
            (described,)
            if described is not None
            else tuple(scrub.text(a) if isinstance(a, str) else a for a in self.args)
        )

    def _describe(self) -> str | None:
        """The message built from attributes, or None when ``args`` are the message."""
        return None


class TransportError(TelcallError):
    """No usable HTTP response: the connection failed, dropped or timed out.

    ``message`` says what went wrong; ``str()`` adds the request method and redacted URL.
    """

    def __init__(
        self, message: str, *, provider: str = "", method: str = "", url: str = ""
    ) -> None:
        self.message = message
        self.provider = provider
        self.method = method
        self.url = url
        super().__init__(self._describe())

    def _describe(self) -> str:
        where = f" ({self.method} {self.url})" if self.method else ""
        return f"{self.message}{where}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(message={self.message!r}, provider={self.provider!r}, "
            f"method={self.method!r}, url={self.url!r})"
        )


class ConnectError(TransportError):
    """The connection could not be opened; the request was never sent."""


class TransportTimeout(TransportError):
    """Connecting, reading, the attempt's total timeout, or the call's overall deadline ran out.

    ``timeout`` names the bound that fired (``"connect"``, ``"read"``, ``"total"`` or
    ``"deadline"``) and ``seconds`` its configured value.
    """

    def __init__(
        self,
        message: str,
        *,
        provider: str = "",
        method: str = "",
        url: str = "",
        timeout: TimeoutKind = "total",
        seconds: float | None = None,
    ) -> None:
        self.timeout: TimeoutKind = timeout
        self.seconds = seconds
        super().__init__(message, provider=provider, method=method, url=url)


class ResponseTooLarge(TransportError):
    """The body grew past the client's ``max_response_bytes`` (counted decompressed).

    Reading stops at the limit, so neither an endless body nor a compression bomb is buffered;
    ``limit`` is the setting that was exceeded.
    """

    def __init__(
        self, message: str, *, provider: str = "", method: str = "", url: str = "", limit: int
    ) -> None:
        self.limit = limit
        super().__init__(message, provider=provider, method=method, url=url)


class APIError(TelcallError):
    """The provider answered and refused: an HTTP error or a "fail" body."""

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        status: int,
        code: str | None = None,
        method: str = "",
        url: str = "",
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.message = message
        self.provider = provider
        self.status = status
        self.code = code
        self.method = method
        self.url = url
        self.body = body
        self.headers = dict(headers or {})
        super().__init__(self._describe())

    @property
    def request_id(self) -> str | None:
        """The provider's request id for this answer (``X-Request-Id`` ...), if it sent one."""
        return request_id(self.headers)

    def _describe(self) -> str:
        code = f" [{self.code}]" if self.code else ""
        where = f" ({self.method} {self.url})" if self.method else ""
        return f"{self.provider} HTTP {self.status}{code}: {self.message}{where}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(provider={self.provider!r}, status={self.status}, "
            f"code={self.code!r}, message={self.message!r}, method={self.method!r}, "
            f"url={self.url!r})"
        )


class BadRequestError(APIError):
    """HTTP 400, or a provider code meaning the request was malformed."""


class AuthenticationError(APIError):
    """HTTP 401: bad credentials, or a token the provider no longer accepts."""


class PermissionDeniedError(APIError):
    """HTTP 403: the credentials are valid but not allowed to do this."""


class NotFoundError(APIError):
    """HTTP 404, or a provider code meaning the object does not exist."""


class RateLimitError(APIError):
    """HTTP 429 after retries; ``retry_after`` is the server's hint in seconds."""

    retry_after: float | None = None


class ServerError(APIError):
    """HTTP 5xx after retries (including an HTML error page from a proxy)."""


class ProviderError(APIError):
    """A well-formed "fail" answer, usually with HTTP 200 (e.g. ``USER_BUSY``)."""


class RedirectError(APIError):
    """A 3xx answer. telcall never follows redirects, so no credential reaches another URL.

    ``location`` is the redirect target (credentials redacted); a redirect usually means a
    wrong ``base_url`` (``http://`` for an ``https://`` host, a missing path prefix).
    """

    @property
    def location(self) -> str:
        """The ``Location`` header, credentials redacted."""
        return self.headers.get("Location", "")


class DecodeError(TelcallError):
    """A success status whose body is not the expected JSON.

    Raised for truncated bodies, HTML pages and payloads of the wrong shape;
    ``snippet`` holds the first 200 characters for diagnosis.
    """

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        status: int,
        content_type: str = "",
        method: str = "",
        url: str = "",
        body: bytes = b"",
    ) -> None:
        self.message = message
        self.provider = provider
        self.status = status
        self.content_type = content_type
        self.method = method
        self.url = url
        self.body = body
        self.snippet = snippet(body)
        super().__init__(self._describe())

    def redact(self, scrub: Scrubber) -> None:
        """Scrub secrets in place; the snippet is cut again from the scrubbed body."""
        super().redact(scrub)
        self.snippet = snippet(self.body)
        self.args = (self._describe(),)

    def _describe(self) -> str:
        return (
            f"{self.provider} HTTP {self.status} ({self.content_type or 'no content type'}): "
            f"{self.message} ({self.method} {self.url}); body starts: {self.snippet!r}"
        )


class PaginationError(TelcallError):
    """A listing whose cursor does not advance: the provider keeps answering the same page.

    Raised within a few pages instead of paging forever (the same ``scroll_id`` with the same
    records, offsets the server ignores, ``has_next`` on a repeated page).
    """


class CheckpointError(TelcallError):
    """An export's checkpoint store failed or refused: the message names the file and the fix.

    Raised for a damaged, unwritable or full ``_state.db``, and when another
    live run holds the windows a run needs (see :mod:`telcall.export`).
    """


class ValidationError(TelcallError, ValueError):
    """Input rejected before any request was sent."""


class ClientClosedError(TelcallError, RuntimeError):
    """The client was closed (calls in flight then end with this too); create a new one."""


class WrongEventLoopError(TelcallError, RuntimeError):
    """An async client was used from an event loop other than the one it first ran on.

    Its connections belong to that loop. Create the client inside the loop that uses it (e.g. in
    the ``async def`` run by ``asyncio.run``, or in a fixture with the test's loop scope), or use
    the sync client, which runs on its own loop thread.
    """


_STATUS_CLASSES: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    429: RateLimitError,
}


def error_for_status(status: int) -> type[APIError]:
    """The :class:`APIError` subclass for an HTTP status (or a provider code used as one)."""
    if status in _STATUS_CLASSES:
        return _STATUS_CLASSES[status]
    if status >= 500:
        return ServerError
    if 400 <= status < 500:
        return BadRequestError
    if 300 <= status < 400:
        return RedirectError
    return ProviderError
