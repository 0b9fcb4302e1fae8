"""The one place telcall touches the network.

:class:`Transport` owns an ``aiohttp.ClientSession`` (created lazily on the
running loop, or supplied by the caller and then never closed by us), sends a
request, reads the whole body as bytes and retries what is safe to retry.
It knows nothing about providers: status mapping and decoding happen in the
client on top of it.
"""

from __future__ import annotations

import asyncio
import logging
import platform
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import aiohttp
import msgspec

from .._version import __version__
from .errors import ClientClosedError, ConnectError, TransportError, TransportTimeout
from .redaction import redact_url, scrub
from .retry import RetryPolicy, parse_retry_after

__all__ = (
    "DEFAULT_TIMEOUT",
    "RedactedUrl",
    "Response",
    "Timeout",
    "Transport",
    "to_client_timeout",
    "user_agent",
)

logger = logging.getLogger("telcall")

Timeout = float | aiohttp.ClientTimeout

DEFAULT_TIMEOUT = aiohttp.ClientTimeout(total=30.0, connect=5.0)

_json_encode = msgspec.json.Encoder().encode


def user_agent() -> str:
    """``telcall/<ver> python/<ver> aiohttp/<ver>``."""
    return f"telcall/{__version__} python/{platform.python_version()} aiohttp/{aiohttp.__version__}"


def to_client_timeout(timeout: Timeout | None) -> aiohttp.ClientTimeout | None:
    """A float means a total timeout with the default connect timeout."""
    if timeout is None or isinstance(timeout, aiohttp.ClientTimeout):
        return timeout
    return aiohttp.ClientTimeout(total=float(timeout), connect=min(float(timeout), 5.0))


class RedactedUrl:
    """A request URL whose redacted text is built only if someone prints it.

    Most requests succeed without being logged, so the hot path skips the
    query encoding and redaction entirely.
    """

    __slots__ = ("_query", "_text", "_url")

    def __init__(self, url: str, query: Mapping[str, str] | None = None) -> None:
        self._url = url
        self._query = query
        self._text: str | None = None

    def __str__(self) -> str:
        if self._text is None:
            full = self._url + ("?" + urlencode(self._query) if self._query else "")
            self._text = redact_url(full)
        return self._text


class Response:
    """A finished HTTP exchange: status, headers and the whole body as bytes."""

    __slots__ = ("_url", "content", "headers", "method", "status")

    def __init__(
        self,
        status: int,
        headers: Mapping[str, str],
        content: bytes,
        method: str,
        url: str | RedactedUrl,
    ) -> None:
        self.status = status
        self.headers = headers
        self.content = content
        self.method = method
        self._url = url if isinstance(url, RedactedUrl) else RedactedUrl(url)

    @property
    def url(self) -> str:
        """The request URL with credentials redacted."""
        return str(self._url)

    @property
    def content_type(self) -> str:
        """The media type without parameters (``application/json``)."""
        return self.headers.get("Content-Type", "").split(";", 1)[0].strip()

    def __repr__(self) -> str:
        return f"<Response {self.status} {self.method} {self.url}>"


class Transport:
    """Send requests for one provider over one pooled session, with retries."""

    def __init__(
        self,
        *,
        provider: str,
        base_url: str,
        timeout: Timeout | None = None,
        retry: RetryPolicy | None = None,
        deadline: float | None = None,
        pool_limit: int = 100,
        session: aiohttp.ClientSession | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.provider = provider
        self.base_url = base_url.rstrip("/")
        self.timeout = to_client_timeout(timeout) or DEFAULT_TIMEOUT
        self.retry = retry or RetryPolicy()
        self.deadline = deadline
        self.pool_limit = pool_limit
        self._headers = {"User-Agent": user_agent(), "Accept": "application/json"}
        self._headers.update(headers or {})
        self._session = session
        self._owns_session = session is None
        self._closed = False
        # Values (api keys, tokens) scrubbed from any text we put on an exception.
        self.secrets: set[str] = set()

    @property
    def closed(self) -> bool:
        """Whether :meth:`aclose` has run."""
        return self._closed

    def _get_session(self) -> aiohttp.ClientSession:
        if self._closed:
            raise ClientClosedError(f"this {self.provider} client is closed")
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.pool_limit),
                timeout=self.timeout,
                headers=self._headers,
            )
        return self._session

    async def aclose(self) -> None:
        """Close the session if telcall created it; idempotent."""
        if self._closed:
            return
        self._closed = True
        session, self._session = self._session, None
        if session is not None and self._owns_session:
            await session.close()

    async def send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        timeout: Timeout | None = None,
        idempotent: bool | None = None,
    ) -> Response:
        """Send one request, retrying transport failures and retryable statuses.

        ``idempotent`` defaults to True for GET/HEAD/PUT/DELETE/OPTIONS. A
        non-idempotent request is repeated only when it never left the process.
        The final response is returned whatever its status; the caller maps it.
        """
        session = self._get_session()
        if idempotent is None:
            idempotent = method in {"GET", "HEAD", "PUT", "DELETE", "OPTIONS"}
        url = self.base_url + path
        query = {k: _query_value(v) for k, v in (params or {}).items() if v is not None}
        data = None if json is None else _json_encode(json)
        req_headers = dict(headers or {})
        if data is not None:
            req_headers["Content-Type"] = "application/json"
        shown_url = RedactedUrl(url, query)
        client_timeout = to_client_timeout(timeout) or self.timeout
        loop = asyncio.get_running_loop()
        stop_at = None if self.deadline is None else loop.time() + self.deadline
        debug = logger.isEnabledFor(logging.DEBUG)
        attempt = 0
        while True:
            attempt += 1
            attempt_timeout = client_timeout
            if stop_at is not None:
                remaining = stop_at - loop.time()
                if remaining <= 0:
                    raise TransportTimeout(
                        f"deadline of {self.deadline:g} s exceeded",
                        provider=self.provider,
                        method=method,
                        url=str(shown_url),
                    )
                total = client_timeout.total
                attempt_timeout = aiohttp.ClientTimeout(
                    total=remaining if total is None else min(total, remaining),
                    connect=client_timeout.connect,
                    sock_read=client_timeout.sock_read,
                    sock_connect=client_timeout.sock_connect,
                )
            started = time.perf_counter()
            if debug:
                logger.debug("%s %s (attempt %d)", method, shown_url, attempt)
            try:
                async with session.request(
                    method,
                    url,
                    params=query or None,
                    data=data,
                    headers=req_headers,
                    timeout=attempt_timeout,
                ) as resp:
                    content = await resp.read()
                    response = Response(resp.status, resp.headers, content, method, shown_url)
            except (TimeoutError, aiohttp.ClientError) as exc:
                error, sent = _transport_error(
                    exc, self.provider, method, str(shown_url), self.secrets
                )
                if not self.retry.should_retry(
                    attempt, status=None, sent=sent, idempotent=idempotent
                ):
                    raise error from exc
                wait = self.retry.delay(attempt)
                reason = error.message
            else:
                if debug:
                    logger.debug(
                        "%s %s -> %d (%d bytes, %.1f ms)",
                        method,
                        shown_url,
                        response.status,
                        len(content),
                        (time.perf_counter() - started) * 1000,
                    )
                if not self.retry.should_retry(
                    attempt, status=response.status, sent=True, idempotent=idempotent
                ):
                    return response
                wait = self.retry.delay(
                    attempt, parse_retry_after(response.headers.get("Retry-After"))
                )
                reason = f"HTTP {response.status}"
                if stop_at is not None and loop.time() + wait >= stop_at:
                    return response
            if stop_at is not None and loop.time() + wait >= stop_at:
                raise TransportTimeout(
                    f"deadline of {self.deadline:g} s would pass before retry ({reason})",
                    provider=self.provider,
                    method=method,
                    url=str(shown_url),
                )
            logger.info(
                "retrying %s %s in %.2f s (attempt %d of %d): %s",
                method,
                shown_url,
                wait,
                attempt + 1,
                self.retry.max_retries + 1,
                reason,
            )
            await asyncio.sleep(wait)


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _transport_error(
    exc: BaseException, provider: str, method: str, url: str, secrets: set[str]
) -> tuple[TransportError, bool]:
    """Classify an aiohttp failure, and say whether the request may have been sent."""
    # aiohttp may quote the full URL (query string included) in its messages.
    detail = scrub(str(exc) or type(exc).__name__, secrets)
    # A connect timeout or refused connection happens before a byte is written.
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return (
            TransportTimeout(
                f"connect timed out: {detail}", provider=provider, method=method, url=url
            ),
            False,
        )
    if isinstance(exc, aiohttp.ClientConnectorError):
        return ConnectError(
            f"cannot connect: {detail}", provider=provider, method=method, url=url
        ), False
    if isinstance(exc, asyncio.TimeoutError | aiohttp.ServerTimeoutError):
        return TransportTimeout(
            f"timed out: {detail}", provider=provider, method=method, url=url
        ), True
    return (
        TransportError(
            f"connection failed: {type(exc).__name__}: {detail}",
            provider=provider,
            method=method,
            url=url,
        ),
        True,
    )
