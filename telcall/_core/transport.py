"""The one place telcall touches the network.

:class:`Transport` owns an ``aiohttp.ClientSession`` (created lazily on the
running loop, or supplied by the caller and then never closed by us), sends a
request, reads the body as bytes (at most ``max_response_bytes`` of it) and
retries what is safe to retry. Redirects are never followed: a 3xx answer is
returned like any other and the client turns it into an error, so no token
travels to a URL the caller did not configure.

:meth:`Transport.send` is three steps, as httpx's send chain is: an *attempt*
(one HTTP exchange, failures classified), a *decision* (retry or not, pure
policy) and a *wait* (the backoff, cut short by :meth:`Transport.aclose`).
It knows nothing about providers: status mapping and decoding happen in the
client on top of it.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import logging
import math
import platform
from collections.abc import Mapping
from ssl import SSLContext
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import aiohttp
import anyio
import msgspec

from .._version import __version__
from .errors import (
    ClientClosedError,
    ConnectError,
    ResponseTooLarge,
    TimeoutKind,
    TransportError,
    TransportTimeout,
    ValidationError,
    WrongEventLoopError,
)
from .logs import logger, request_fields
from .observe import failure_reason
from .options import Extras
from .redaction import Redactor, redact_url
from .retry import RetryPolicy, parse_retry_after
from .settings import Proxy

if TYPE_CHECKING:
    from .observe import Observer

__all__ = (
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_TIMEOUT",
    "Deadline",
    "RedactedUrl",
    "Response",
    "Timeout",
    "Transport",
    "to_client_timeout",
    "user_agent",
)


Timeout = float | aiohttp.ClientTimeout

DEFAULT_TIMEOUT = aiohttp.ClientTimeout(total=30.0, connect=5.0)

#: The largest real page is a few MiB; this bounds an endless or compressed-bomb body.
DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024

_IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
_TIMEOUT_FIELDS = ("total", "connect", "sock_read", "sock_connect")
# A timer that fires this close to the call's deadline counts as the deadline.
_DEADLINE_SLACK = 1e-3

_json_encode = msgspec.json.Encoder().encode


def user_agent() -> str:
    """``telcall/<ver> python/<ver> aiohttp/<ver>``."""
    return f"telcall/{__version__} python/{platform.python_version()} aiohttp/{aiohttp.__version__}"


def _positive(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value > 0
    )


def to_client_timeout(timeout: Timeout | None) -> aiohttp.ClientTimeout | None:
    """A float means a total timeout with the default connect timeout; bad values are refused.

    Raises :class:`~telcall.errors.ValidationError` for a non-positive or non-finite number,
    or a ``ClientTimeout`` with such a field (``None`` fields mean "no limit").
    """
    if timeout is None:
        return None
    if isinstance(timeout, aiohttp.ClientTimeout):
        for name in _TIMEOUT_FIELDS:
            value = getattr(timeout, name)
            if value is not None and not _positive(value):
                raise ValidationError(
                    f"timeout.{name} must be a positive number of seconds or None, got {value!r}"
                )
        return timeout
    if not _positive(timeout):
        raise ValidationError(
            "timeout must be a positive number of seconds or an aiohttp.ClientTimeout, "
            f"got {timeout!r}"
        )
    seconds = float(timeout)
    return aiohttp.ClientTimeout(total=seconds, connect=min(seconds, 5.0))


class Deadline:
    """One call's overall bound: ``seconds`` from its start, ending at loop time ``stop_at``."""

    __slots__ = ("seconds", "stop_at")

    def __init__(self, seconds: float, stop_at: float) -> None:
        self.seconds = seconds
        self.stop_at = stop_at

    def remaining(self) -> float:
        """Seconds left (negative once passed)."""
        return self.stop_at - asyncio.get_running_loop().time()


class RedactedUrl:
    """A request URL whose redacted text is built only if someone prints it.

    Most requests succeed without being logged, so the hot path skips the
    query encoding and redaction entirely.
    """

    __slots__ = ("_query", "_redactor", "_text", "_url")

    def __init__(
        self,
        url: str,
        query: Mapping[str, str] | None = None,
        redactor: Redactor | None = None,
    ) -> None:
        self._url = url
        self._query = query
        self._redactor = redactor
        self._text: str | None = None

    def __str__(self) -> str:
        if self._text is None:
            full = self._url + ("?" + urlencode(self._query) if self._query else "")
            self._text = redact_url(full, self._redactor)
        return self._text


class Response:
    """A finished HTTP exchange: status, headers and the whole body as bytes.

    ``elapsed`` is the seconds the attempt took (sending to having read the body);
    ``attempts`` how many attempts the request made in all (1 without retries).
    """

    __slots__ = ("_url", "attempts", "content", "elapsed", "headers", "method", "status")

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
        self.elapsed = 0.0
        self.attempts = 1

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


class _Request:
    """A request ready to send, and the redacted URL every message about it shows."""

    __slots__ = ("data", "headers", "idempotent", "method", "query", "shown", "timeout", "url")

    def __init__(
        self,
        method: str,
        url: str,
        query: dict[str, str],
        data: bytes | None,
        headers: dict[str, str],
        timeout: aiohttp.ClientTimeout,
        idempotent: bool,
        shown: RedactedUrl,
    ) -> None:
        self.method = method
        self.url = url
        self.query = query
        self.data = data
        self.headers = headers
        self.timeout = timeout
        self.idempotent = idempotent
        self.shown = shown


class _Failed:
    """An attempt that produced no response: the error to raise, and what caused it."""

    __slots__ = ("cause", "error", "final", "sent")

    def __init__(
        self,
        error: TransportError | ClientClosedError,
        cause: BaseException | None,
        *,
        sent: bool,
        final: bool = False,
    ) -> None:
        self.error = error
        self.cause = cause
        self.sent = sent
        self.final = final


class _Pool:
    """What a transport and its :meth:`~Transport.derive` views share: session, loop, state."""

    __slots__ = ("closed", "closing", "loop", "owns_session", "session")

    def __init__(self, session: aiohttp.ClientSession | None) -> None:
        self.session = session
        self.owns_session = session is None
        self.closed = False
        self.loop: asyncio.AbstractEventLoop | None = None
        # Set by aclose(): cuts a retry's backoff short.
        self.closing = asyncio.Event()


class Transport:
    """Send requests for one provider over one pooled session, with retries."""

    def __init__(
        self,
        *,
        provider: str,
        base_url: str,
        timeout: Timeout | None = None,
        retry: RetryPolicy | None = None,
        pool_limit: int = 100,
        session: aiohttp.ClientSession | None = None,
        headers: Mapping[str, str] | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        redactor: Redactor | None = None,
        proxy: Proxy | None = None,
        ssl: SSLContext | bool = True,
    ) -> None:
        self.provider = provider
        self.base_url = base_url.rstrip("/")
        self.timeout = to_client_timeout(timeout) or DEFAULT_TIMEOUT
        self.retry = retry or RetryPolicy()
        self.pool_limit = pool_limit
        self.max_response_bytes = max_response_bytes
        #: Every secret value the client holds; scrubbed from URLs and messages.
        self.redactor = redactor if redactor is not None else Redactor()
        self._headers = {"User-Agent": user_agent(), "Accept": "application/json"}
        self._headers.update(headers or {})
        self._pool = _Pool(session)
        #: Merged into every request (``with_options``); checked before they get here.
        self.extras = Extras()
        #: Whether this transport is a view made by :meth:`derive` (it closes nothing).
        self.derived = False
        # Resolved once by the client (from ``proxy=`` or the environment): this transport
        # talks to one origin, so there is nothing to look up per request. Both apply per
        # request, so they hold for a caller's session too.
        self._proxy: str | None = None
        # aiohttp sends proxy_headers on a CONNECT only; a plain-HTTP request through the
        # proxy carries Proxy-Authorization among its own headers.
        self._proxy_headers: dict[str, str] | None = None
        self._request_proxy_headers: dict[str, str] = {}
        if proxy is not None:
            self._proxy = proxy.url
            if proxy.username is not None:
                userinfo = f"{proxy.username}:{proxy.password or ''}".encode()
                basic = base64.b64encode(userinfo).decode("ascii")
                # Proxy credentials are secrets like the API key: scrubbed by value.
                self.redactor.add(proxy.password, basic)
                auth = {"Proxy-Authorization": f"Basic {basic}"}
                if self.base_url.startswith("https://"):
                    self._proxy_headers = auth
                else:
                    self._request_proxy_headers = auth
        self._ssl = ssl

    def derive(
        self, *, timeout: Timeout | None, retry: RetryPolicy, extras: Extras | None
    ) -> Transport:
        """A view with other settings that shares this transport's session, pool and redactor."""
        view = copy.copy(self)
        if timeout is not None:
            view.timeout = to_client_timeout(timeout) or self.timeout
        view.retry = retry
        if extras is not None:
            view.extras = self.extras.merged(extras)
            self.redactor.add(*extras.secrets())
        view.derived = True
        return view

    @property
    def _session(self) -> aiohttp.ClientSession | None:
        # The session as created so far (None before the first request); tests inspect it.
        return self._pool.session

    @property
    def _closed(self) -> bool:
        return self._pool.closed

    @property
    def closed(self) -> bool:
        """Whether :meth:`aclose` has run."""
        return self._pool.closed

    def ensure_usable(self) -> None:
        """Refuse a closed client, or one used from an event loop it does not belong to."""
        pool = self._pool
        if pool.closed:
            raise ClientClosedError(f"this {self.provider} client is closed")
        loop = asyncio.get_running_loop()
        if pool.loop is None:
            pool.loop = loop
        elif loop is not pool.loop:
            raise WrongEventLoopError(
                f"this {self.provider} client belongs to the event loop it first ran on and "
                "cannot be used from another one; create the client inside the event loop that "
                "uses it (e.g. inside the coroutine given to asyncio.run, or in a fixture with "
                "the test's loop scope)"
            )

    def _get_session(self) -> aiohttp.ClientSession:
        self.ensure_usable()
        pool = self._pool
        if pool.session is None:
            pool.session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.pool_limit),
                timeout=self.timeout,
                headers=self._headers,
                # The client resolved the proxy environment already; netrc is not read, as
                # credentials come from the constructor only.
                trust_env=False,
            )
        return pool.session

    async def aclose(self) -> None:
        """Close the session if telcall created it; idempotent; a :meth:`derive` view: no-op.

        Calls in flight on a telcall-owned session end with
        :class:`~telcall.errors.ClientClosedError`; none is retried after this.
        """
        pool = self._pool
        if pool.closed or self.derived:
            return
        pool.closed = True
        session, pool.session = pool.session, None
        owner = pool.loop
        if owner is None or owner is asyncio.get_running_loop():
            pool.closing.set()
            if session is not None and pool.owns_session:
                await session.close()
                # Closed transports shut their sockets in a loop callback: let it run, so a loop
                # stopped right after this leaves no open socket to the garbage collector.
                await asyncio.sleep(0)
        elif owner.is_running():
            # The waiters and connections live on the loop it first ran on; close them there.
            owner.call_soon_threadsafe(pool.closing.set)
            if session is not None and pool.owns_session:
                asyncio.run_coroutine_threadsafe(session.close(), owner)

    def redacted_url(self, path: str, params: Mapping[str, Any] | None = None) -> str:
        """The URL of ``path`` with ``params``, as messages show it (credentials redacted)."""
        query = {k: _query_value(v) for k, v in (params or {}).items() if v is not None}
        return str(RedactedUrl(self.base_url + path, query, self.redactor))

    # -- send: attempt, decide, wait ---------------------------------------------------

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
        deadline: Deadline | None = None,
        observer: Observer | None = None,
        extras: Extras | None = None,
    ) -> Response:
        """Send one request, retrying transport failures and retryable statuses.

        ``idempotent`` defaults to True for GET/HEAD/PUT/DELETE/OPTIONS. A
        non-idempotent request is repeated only when it never left the process.
        ``deadline`` bounds every attempt and every wait. The final response is
        returned whatever its status (3xx included); the caller maps it.
        ``observer`` (if any) hears about every attempt and retry. ``extras`` (one call's)
        are merged over the client's.
        """
        request = self._prepare(method, path, params, json, headers, timeout, idempotent, extras)
        loop = asyncio.get_running_loop()
        attempt = 0
        while True:
            attempt += 1
            if observer is not None:
                await observer.before(request, attempt)
            started = loop.time()
            outcome = await self._attempt(request, deadline, attempt)
            if observer is not None:
                await observer.after(request, attempt, outcome, loop.time() - started)
            wait = self._decide(request, attempt, outcome, deadline)
            if wait is None:
                if isinstance(outcome, Response):
                    outcome.attempts = attempt
                    return outcome
                raise outcome.error from outcome.cause
            if observer is not None:
                await observer.retry(request, attempt, wait, outcome)
            await self._wait(request, attempt, wait, outcome)

    def _prepare(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        json: Any,
        headers: Mapping[str, str] | None,
        timeout: Timeout | None,
        idempotent: bool | None,
        call_extras: Extras | None = None,
    ) -> _Request:
        url = self.base_url + path
        extras = self.extras
        if call_extras is not None:
            self.redactor.add(*call_extras.secrets())
            extras = extras.merged(call_extras)
        if extras:
            # telcall's own parameters (and the token) win over the escape hatch.
            params = {**extras.query, **(params or {})}
            if extras.body and json is not None:
                # A Struct body is a JSON object too: merge into its plain form.
                fields = json if isinstance(json, dict) else msgspec.to_builtins(json)
                if isinstance(fields, dict):
                    json = {**extras.body, **fields}
            headers = {**extras.headers, **(headers or {})}
        query = {k: _query_value(v) for k, v in (params or {}).items() if v is not None}
        data = None if json is None else _json_encode(json)
        req_headers = {**self._request_proxy_headers, **(headers or {})}
        if data is not None:
            req_headers["Content-Type"] = "application/json"
        return _Request(
            method,
            url,
            query,
            data,
            req_headers,
            to_client_timeout(timeout) or self.timeout,
            method in _IDEMPOTENT if idempotent is None else idempotent,
            RedactedUrl(url, query, self.redactor),
        )

    async def _attempt(
        self, request: _Request, deadline: Deadline | None, attempt: int = 1
    ) -> Response | _Failed:
        """One HTTP exchange: a response (any status), or the classified failure."""
        session = self._get_session()
        timeout = request.timeout
        if deadline is not None:
            remaining = deadline.remaining()
            if remaining <= 0:
                return _Failed(
                    self._deadline_passed(request, deadline), None, sent=False, final=True
                )
            timeout = _capped(timeout, remaining)
        loop = asyncio.get_running_loop()
        started = loop.time()
        if logger.isEnabledFor(logging.DEBUG):
            shown = str(request.shown)
            logger.debug(
                "%s %s",
                request.method,
                shown,
                extra=request_fields(self.provider, request.method, shown, attempt=attempt),
            )
        try:
            async with session.request(
                request.method,
                request.url,
                params=request.query or None,
                data=request.data,
                headers=request.headers,
                timeout=timeout,
                # Following would replay a body carrying a token to wherever Location points.
                allow_redirects=False,
                proxy=self._proxy,
                proxy_headers=self._proxy_headers,
                ssl=self._ssl,
            ) as resp:
                content = await self._read(resp, request)
                response = Response(
                    resp.status, resp.headers, content, request.method, request.shown
                )
                response.elapsed = loop.time() - started
        except ResponseTooLarge as exc:
            return _Failed(exc, None, sent=True, final=True)
        except (TimeoutError, aiohttp.ClientError, RuntimeError) as exc:
            if self._closed or session.closed:
                return _Failed(self._closed_error(request), exc, sent=True, final=True)
            if isinstance(exc, RuntimeError):
                raise
            return self._classify(exc, request, timeout, deadline, loop.time() - started)
        if logger.isEnabledFor(logging.DEBUG):
            shown = str(request.shown)
            logger.debug(
                "%s %s -> %d (%d bytes, %.1f ms)",
                request.method,
                shown,
                response.status,
                len(content),
                response.elapsed * 1000,
                extra=request_fields(
                    self.provider,
                    request.method,
                    shown,
                    status=response.status,
                    attempt=attempt,
                    elapsed=response.elapsed,
                ),
            )
        return response

    async def _read(self, resp: aiohttp.ClientResponse, request: _Request) -> bytes:
        """The body, decompressed, failing as soon as it outgrows ``max_response_bytes``."""
        limit = self.max_response_bytes
        length = resp.content_length
        if length is not None and length > limit and request.method != "HEAD":
            resp.close()
            raise self._too_large(request, f"Content-Length {length} exceeds")
        if length is not None and resp.headers.get("Content-Encoding", "identity") == "identity":
            # Uncompressed with a length: the parser stops at Content-Length.
            return await resp.read()
        chunks: list[bytes] = []
        size = 0
        async for chunk in resp.content.iter_any():
            size += len(chunk)
            if size > limit:
                resp.close()
                raise self._too_large(
                    request, "the body exceeds", f" (counted decompressed; stopped at {size} bytes)"
                )
            chunks.append(chunk)
        return b"".join(chunks)

    def _decide(
        self,
        request: _Request,
        attempt: int,
        outcome: Response | _Failed,
        deadline: Deadline | None,
    ) -> float | None:
        """Seconds to wait before another attempt, or None to stop with ``outcome``.

        When the deadline would pass during the wait, a response is kept as the answer and a
        failure becomes a deadline :class:`~telcall.errors.TransportTimeout`.
        """
        if self._closed:
            if isinstance(outcome, _Failed):
                outcome.error = self._closed_error(request)
            return None
        if isinstance(outcome, Response):
            if not self.retry.should_retry(
                attempt, status=outcome.status, sent=True, idempotent=request.idempotent
            ):
                return None
            wait = self.retry.delay(attempt, parse_retry_after(outcome.headers.get("Retry-After")))
        else:
            if outcome.final or not self.retry.should_retry(
                attempt, status=None, sent=outcome.sent, idempotent=request.idempotent
            ):
                return None
            wait = self.retry.delay(attempt)
        if deadline is not None and deadline.remaining() <= wait:
            if isinstance(outcome, _Failed):
                outcome.error = self._deadline_passed(request, deadline, before=outcome.error)
            return None
        return wait

    async def _wait(
        self, request: _Request, attempt: int, wait: float, outcome: Response | _Failed
    ) -> None:
        """Log the retry, then sleep ``wait`` seconds (less if the client is closed meanwhile)."""
        if logger.isEnabledFor(logging.INFO):
            _, status, detail = failure_reason(outcome)
            shown = str(request.shown)
            logger.info(
                "retrying %s %s in %.2f s (attempt %d of %d): %s",
                request.method,
                shown,
                wait,
                attempt + 1,
                self.retry.max_retries + 1,
                self.redactor.text(detail),
                extra=request_fields(
                    self.provider,
                    request.method,
                    shown,
                    status=status,
                    attempt=attempt,
                    elapsed=getattr(outcome, "elapsed", None),
                ),
            )
        with anyio.move_on_after(wait):
            await self._pool.closing.wait()

    # -- errors --------------------------------------------------------------------------

    def _classify(
        self,
        exc: BaseException,
        request: _Request,
        timeout: aiohttp.ClientTimeout,
        deadline: Deadline | None,
        elapsed: float,
    ) -> _Failed:
        """Turn an aiohttp failure into telcall's error, and say whether it may have been sent."""
        # A connect timeout or a refused connection happens before a byte is written.
        sent = not isinstance(exc, aiohttp.ClientConnectorError | aiohttp.ConnectionTimeoutError)
        where = {"provider": self.provider, "method": request.method, "url": str(request.shown)}
        if isinstance(exc, TimeoutError):
            if deadline is not None and deadline.remaining() <= _DEADLINE_SLACK:
                return _Failed(self._deadline_passed(request, deadline), exc, sent=sent, final=True)
            kind, seconds = _which_timeout(exc, timeout, elapsed)
            extra = (
                f" (waiting for one of the pool's {self.pool_limit} connections included)"
                if kind == "connect"
                else ""
            )
            error: TransportError = TransportTimeout(
                f"{kind} timeout of {_seconds(seconds)} exceeded{extra}",
                timeout=kind,
                seconds=seconds,
                **where,
            )
            return _Failed(error, exc, sent=sent)
        detail = self.redactor.text(str(exc) or type(exc).__name__)
        if isinstance(exc, aiohttp.ClientConnectorError):
            return _Failed(ConnectError(f"cannot connect: {detail}", **where), exc, sent=False)
        if isinstance(exc, aiohttp.InvalidURL):
            # The same URL would be refused again.
            error = TransportError(f"invalid URL: {detail}", **where)
            return _Failed(error, exc, sent=False, final=True)
        error = TransportError(f"connection failed: {type(exc).__name__}: {detail}", **where)
        return _Failed(error, exc, sent=sent)

    def _deadline_passed(
        self,
        request: _Request,
        deadline: Deadline,
        *,
        before: TransportError | ClientClosedError | None = None,
    ) -> TransportTimeout:
        if before is None:
            message = f"the call's deadline of {_seconds(deadline.seconds)} passed"
        else:
            message = (
                f"the call's deadline of {_seconds(deadline.seconds)} would pass before the "
                f"next retry (last failure: {getattr(before, 'message', before)})"
            )
        return TransportTimeout(
            message,
            provider=self.provider,
            method=request.method,
            url=str(request.shown),
            timeout="deadline",
            seconds=deadline.seconds,
        )

    def _closed_error(self, request: _Request) -> ClientClosedError:
        what = (
            f"this {self.provider} client was closed"
            if self._closed
            else f"the aiohttp session given to this {self.provider} client was closed"
        )
        return ClientClosedError(f"{what} during {request.method} {request.shown}")

    def _too_large(self, request: _Request, what: str, detail: str = "") -> ResponseTooLarge:
        limit = self.max_response_bytes
        return ResponseTooLarge(
            f"{what} max_response_bytes={limit}{detail}",
            provider=self.provider,
            method=request.method,
            url=str(request.shown),
            limit=limit,
        )


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _capped(timeout: aiohttp.ClientTimeout, remaining: float) -> aiohttp.ClientTimeout:
    total = remaining if timeout.total is None else min(timeout.total, remaining)
    return aiohttp.ClientTimeout(
        total=total,
        connect=timeout.connect,
        sock_read=timeout.sock_read,
        sock_connect=timeout.sock_connect,
    )


def _which_timeout(
    exc: BaseException, timeout: aiohttp.ClientTimeout, elapsed: float
) -> tuple[TimeoutKind, float | None]:
    """Which of the attempt's timeouts fired, and its value."""
    total = timeout.total
    # The total timer also surfaces as a connect timeout when it fires while connecting.
    total_fired = total is not None and elapsed >= total
    if isinstance(exc, aiohttp.ConnectionTimeoutError) and not total_fired:
        bounds = [t for t in (timeout.connect, timeout.sock_connect) if t is not None]
        return "connect", min(bounds) if bounds else None
    if isinstance(exc, aiohttp.SocketTimeoutError) and not total_fired:
        return "read", timeout.sock_read
    return "total", total


def _seconds(value: float | None) -> str:
    return "?" if value is None else f"{value:g} s"
