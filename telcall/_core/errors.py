"""Every exception telcall raises.

The hierarchy::

    TelcallError
    ├── TransportError                  the request never produced a response
    │   ├── ConnectError                could not connect (never sent)
    │   ├── TransportTimeout            connect or read timed out / deadline hit
    │   └── ResponseTooLarge            the body grew past max_response_bytes (decompressed)
    ├── APIError                        the provider answered "no"
    │   ├── BadRequestError             400
    │   ├── AuthenticationError         401 (bad api key, expired token, ...)
    │   ├── PermissionDeniedError       403
    │   ├── NotFoundError               404 (or a provider's "not found" code)
    │   ├── RateLimitError              429
    │   ├── ServerError                 5xx (after retries)
    │   └── ProviderError               a "fail" body, often with HTTP 200
    ├── DecodeError                     a success status whose body is not the expected JSON
    ├── PaginationError                 a listing whose cursor does not advance
    ├── ValidationError (ValueError)    bad input, rejected before any I/O
    └── ClientClosedError (RuntimeError) the client was closed

Every error built from a response carries the provider, HTTP status, the
provider's code and message, the request method and its URL with credentials
redacted, and the raw body.  Nothing secret is ever part of ``str(error)``.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = (
    "APIError",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedError",
    "ConnectError",
    "DecodeError",
    "NotFoundError",
    "PaginationError",
    "PermissionDeniedError",
    "ProviderError",
    "RateLimitError",
    "ResponseTooLarge",
    "ServerError",
    "TelcallError",
    "TransportError",
    "TransportTimeout",
    "ValidationError",
    "error_for_status",
    "snippet",
)

SNIPPET_CHARS = 200


def snippet(body: bytes, limit: int = SNIPPET_CHARS) -> str:
    """The first ``limit`` characters of a body, whitespace folded, for messages."""
    text = body[: limit * 4].decode("utf-8", errors="replace")
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class TelcallError(Exception):
    """Root of every exception raised by telcall."""


class TransportError(TelcallError):
    """No usable HTTP response: the connection failed, dropped or timed out."""

    def __init__(
        self, message: str, *, provider: str = "", method: str = "", url: str = ""
    ) -> None:
        super().__init__(message)
        self.message = message
        self.provider = provider
        self.method = method
        self.url = url


class ConnectError(TransportError):
    """The connection could not be opened; the request was never sent."""


class TransportTimeout(TransportError):
    """Connecting, reading, or the call's overall deadline ran out."""


class ResponseTooLarge(TransportError):
    """The body grew past the client's ``max_response_bytes`` (counted decompressed).

    Reading stops at the limit, so neither an endless body nor a compression bomb is buffered.
    """


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
        super().__init__(
            f"{provider} HTTP {status} ({content_type or 'no content type'}): {message}"
            f" ({method} {url}); body starts: {self.snippet!r}"
        )


class PaginationError(TelcallError):
    """A listing whose cursor does not advance: the provider keeps answering the same page.

    Raised within a few pages instead of paging forever (the same ``scroll_id`` with the same
    records, offsets the server ignores, ``has_next`` on a repeated page).
    """


class ValidationError(TelcallError, ValueError):
    """Input rejected before any request was sent."""


class ClientClosedError(TelcallError, RuntimeError):
    """The client was closed; create a new one (or use ``async with``)."""


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
    return ProviderError
