"""The async client base every provider client builds on: one ``_request`` path.

``_request`` asks the token provider for a token, lets the provider place it
(header, query or body), sends through the transport, maps failures onto
:mod:`telcall.errors` and decodes the body with a prebuilt typed decoder.
After an :class:`~telcall.errors.AuthenticationError` it renews the token
once and replays the request. The client's ``deadline`` bounds all of it
(token fetch, renewal and replay included), and every error leaving
``_request`` is scrubbed of every secret the client knows (and of values sent
under secret names), chained causes included.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import inspect
import logging
import os
import re
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import tzinfo
from functools import cached_property
from types import TracebackType
from typing import Any, ClassVar, Protocol, Self, TypedDict, TypeVar

import aiohttp
import anyio
import msgspec

from . import otel
from .auth import DEFAULT_TOKEN_COOLDOWN, CachedToken, StaticToken, TokenProvider
from .errors import (
    APIError,
    AuthenticationError,
    DecodeError,
    RateLimitError,
    RedirectError,
    TelcallError,
    TransportTimeout,
    ValidationError,
    error_for_status,
    snippet,
)
from .hooks import Hooks, check_hooks
from .logs import logger, request_fields
from .observe import Observer, current_operation
from .options import check_extras
from .raw import record_response
from .records import DEFAULT_TZ
from .redaction import Redactor, mask, redact_url, secret_values
from .retry import RetryPolicy, parse_retry_after
from .settings import (
    SslSetting,
    check_base_url,
    check_count,
    check_credential,
    check_seconds,
    check_ssl,
    check_tz,
    resolve_proxy,
)
from .transport import (
    DEFAULT_MAX_RESPONSE_BYTES,
    Deadline,
    Response,
    Timeout,
    Transport,
    to_client_timeout,
)

__all__ = (
    "AsyncBaseClient",
    "BodyDecoder",
    "ClientSettings",
    "ErrorInfo",
    "env_or",
    "error_info",
    "parse_body",
)

R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)


class BodyDecoder(Protocol[R_co]):
    """Anything that turns a body into a typed value: a ``msgspec.json.Decoder`` usually."""

    def decode(self, buf: bytes, /) -> R_co:
        """Decode ``buf``, raising msgspec.DecodeError/ValidationError if it does not fit."""
        ...


_lenient = msgspec.json.Decoder()

_MESSAGE_KEYS = ("message", "content", "error", "msg", "detail")
_CODE_KEYS = ("error", "code", "error_code")

_TOO_DEEP = "the body is nested too deeply to decode"


class ErrorInfo(msgspec.Struct, frozen=True):
    """What a provider said when it refused: its code and a readable message."""

    code: str | None
    message: str


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, list):
        # TEL4VN validation errors: [{"phone_number": "Does not match pattern ..."}]
        parts: list[str] = []
        for item in value:
            if isinstance(item, dict):
                parts.extend(f"{k}: {v}" for k, v in item.items())
            else:
                parts.append(str(item))
        return "; ".join(parts) or None
    if isinstance(value, dict):
        return "; ".join(f"{k}: {v}" for k, v in value.items()) or None
    return str(value)


def parse_body(content: bytes) -> Any:
    """The body as plain JSON values, or ``None`` when it is not JSON (or nests too deeply)."""
    try:
        return _lenient.decode(content)
    except (msgspec.DecodeError, RecursionError):
        return None


def error_info(parsed: Any, content: bytes) -> ErrorInfo:
    """Best-effort code and message of a refusal, from its body parsed by :func:`parse_body`.

    A body that is not a JSON object gives its first characters as the message.
    """
    if not isinstance(parsed, dict):
        return ErrorInfo(None, snippet(content) or "empty body")
    payload = parsed.get("payload")
    source = payload if isinstance(payload, dict) else parsed
    message = next(
        (m for k in _MESSAGE_KEYS if (m := _text(source.get(k))) is not None), None
    ) or snippet(content)
    code = next((c for k in _CODE_KEYS if (c := _text(source.get(k))) is not None), None)
    return ErrorInfo(code, message)


def env_or(value: str | None, name: str) -> str | None:
    """``value`` if given, else the environment variable ``name`` (empty counts as unset)."""
    if value is not None:
        return value
    return os.environ.get(name) or None


class ClientSettings(TypedDict, total=False):
    """The settings every provider client takes, by keyword (defaults: :class:`AsyncBaseClient`).

    ``timeout`` per request (seconds or ``aiohttp.ClientTimeout``), ``max_retries`` (2),
    ``deadline`` for each call as a whole (token fetch, retries, renewal and replay), ``tz``
    for naive provider times (Asia/Ho_Chi_Minh), ``pool_limit`` connections (100),
    ``max_response_bytes`` per body counted decompressed (64 MiB), ``token_cooldown`` seconds
    a failed token fetch is repeated to callers (1), ``hooks``, ``proxy``, ``ssl`` and
    ``trust_env`` (proxy settings from the environment). One definition: each provider's
    constructor takes ``**settings: Unpack[ClientSettings]`` besides its credentials.
    """

    timeout: Timeout | None
    max_retries: int
    deadline: float | None
    tz: str | tzinfo
    pool_limit: int
    max_response_bytes: int
    token_cooldown: float
    hooks: Hooks | None
    proxy: str | None
    ssl: SslSetting
    trust_env: bool


class AsyncBaseClient:
    """Shared machinery of the provider clients; not used directly.

    A provider sets the class attributes below and implements
    :meth:`_fetch_token`; the constructor resolves settings from arguments or
    ``<env_prefix>_BASE_URL`` / ``_<SECRET_NAME>`` / ``_<TOKEN_NAME>``.
    """

    provider: ClassVar[str] = ""
    #: Prefix of the environment variables, e.g. ``TELCALL_TEL4VN``.
    env_prefix: ClassVar[str] = ""
    #: Constructor names of the long-lived secret and of a ready-made token.
    secret_name: ClassVar[str] = "api_key"
    token_name: ClassVar[str] = "token"
    default_base_url: ClassVar[str | None] = None

    def __init__(
        self,
        *,
        base_url: str | None,
        secret: str | None,
        token: str | None,
        session: aiohttp.ClientSession | None,
        timeout: Timeout | None = None,
        max_retries: int = 2,
        deadline: float | None = None,
        tz: str | tzinfo = DEFAULT_TZ,
        pool_limit: int = 100,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        token_cooldown: float = DEFAULT_TOKEN_COOLDOWN,
        hooks: Hooks | None = None,
        proxy: str | None = None,
        ssl: SslSetting = True,
        trust_env: bool = True,
    ) -> None:
        prefix = self.env_prefix
        url_env, secret_env, token_env = (
            f"{prefix}_BASE_URL",
            f"{prefix}_{self.secret_name.upper()}",
            f"{prefix}_{self.token_name.upper()}",
        )
        # Name the environment variable in messages only when the value came from it.
        url_from = url_env if base_url is None and os.environ.get(url_env) else None
        # Credentials override the environment as a set: an explicit api key must not lose
        # to a token left in the environment (the client prefers a token).
        from_env = not (secret or token)
        secret_from = secret_env if from_env else None
        token_from = token_env if from_env else None
        base_url = env_or(base_url, url_env) or self.default_base_url
        if from_env:
            secret, token = os.environ.get(secret_env), os.environ.get(token_env)
        if not base_url:
            raise ValidationError(f"base_url is required (or set {url_env})")
        base_url = check_base_url(base_url, url_from)
        # An empty string means "not given", as for environment variables.
        secret = check_credential(self.secret_name, secret, secret_from) if secret else None
        token = check_credential(self.token_name, token, token_from) if token else None
        check_count("max_retries", max_retries, minimum=0)
        check_count("pool_limit", pool_limit, minimum=1)
        check_count("max_response_bytes", max_response_bytes, minimum=1)
        self._deadline = None if deadline is None else check_seconds("deadline", deadline)
        self._hooks = check_hooks(hooks) or Hooks()
        self._propagate_trace = False
        token_cooldown = check_seconds("token_cooldown", token_cooldown, allow_zero=True)
        timeout = to_client_timeout(timeout)
        self.tz: tzinfo = check_tz(tz)
        self._tokens: TokenProvider
        if token:
            self._tokens = StaticToken(token)
        elif secret:
            self._tokens = CachedToken(self._new_token, cooldown=token_cooldown)
        else:
            raise ValidationError(
                f"{self.secret_name} or {self.token_name} is required "
                f"(or set {secret_env} / {token_env})"
            )
        self._secret = secret
        if not isinstance(trust_env, bool):
            raise ValidationError(f"trust_env must be a bool, got {type(trust_env).__name__}")
        proxy_setting = resolve_proxy(base_url, proxy, trust_env=trust_env)
        self._transport = Transport(
            provider=self.provider,
            base_url=base_url,
            timeout=timeout,
            retry=RetryPolicy(max_retries=max_retries),
            pool_limit=pool_limit,
            session=session,
            max_response_bytes=max_response_bytes,
            redactor=Redactor((secret, token)),
            proxy=proxy_setting,
            ssl=check_ssl(ssl),
        )

    def with_options(
        self,
        *,
        timeout: Timeout | None = None,
        max_retries: int | None = None,
        deadline: float | None = None,
        backoff_base: float | None = None,
        backoff_cap: float | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str | int | float | bool] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        hooks: Hooks | None = None,
        propagate_trace: bool | None = None,
    ) -> Self:
        """A client with other settings that shares this one's session, pool and tokens.

        Cheap (no new connection, no token fetch) and this client is unchanged; arguments
        left ``None`` keep this client's value. ``backoff_base``/``backoff_cap`` shape the
        retry backoff (full jitter, ``base * 2**n`` capped at ``cap`` seconds).
        ``extra_headers``/``extra_query``/``extra_body`` are an escape hatch for provider
        parameters telcall does not model (telcall's own values win; ``extra_body`` is
        merged into JSON object bodies only); names and values with CR/LF are refused.
        ``hooks`` run after this client's own. ``propagate_trace=True`` sends the W3C
        ``traceparent`` of the current OpenTelemetry span to the provider (off by default).
        Closing the returned client does nothing: close the client it came from.
        """
        retry = self._transport.retry
        if max_retries is not None:
            check_count("max_retries", max_retries, minimum=0)
        base = retry.base if backoff_base is None else check_seconds("backoff_base", backoff_base)
        cap = retry.cap if backoff_cap is None else check_seconds("backoff_cap", backoff_cap)
        if timeout is not None:
            to_client_timeout(timeout)
        check_hooks(hooks)
        extras = check_extras(extra_headers, extra_query, extra_body)
        view = copy.copy(self)
        # Resources hold the client they were made for; the view makes its own.
        for name, attr in inspect.getmembers(type(self)):
            if isinstance(attr, cached_property):
                view.__dict__.pop(name, None)
        view._transport = self._transport.derive(
            timeout=timeout,
            retry=RetryPolicy(
                max_retries=retry.max_retries if max_retries is None else max_retries,
                base=base,
                cap=cap,
                max_retry_after=retry.max_retry_after,
                rng=retry.rng,
            ),
            extras=extras or None,
        )
        if deadline is not None:
            view._deadline = check_seconds("deadline", deadline)
        if hooks is not None:
            view._hooks = self._hooks.merged(hooks)
        if propagate_trace is not None:
            view._propagate_trace = bool(propagate_trace)
        return view

    async def _new_token(self) -> tuple[str, float | None]:
        reset = _fetching_token.set(True)
        try:
            token, lifetime = await self._fetch_token()
        finally:
            _fetching_token.reset(reset)
        # Known from its birth, so no error or log line can carry it.
        self._transport.redactor.add(token)
        meters = otel.instruments()
        if meters is not None:
            meters.tokens.add(1, {"telcall.provider": self.provider})
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "obtained a new access token (lifetime %s s)",
                lifetime,
                extra=request_fields(self.provider, "", ""),
            )
        if _CONTROL_CHARACTER.search(token):
            # It would split the next request's header or query string.
            raise AuthenticationError(
                "the token endpoint returned an unusable token (control characters)",
                provider=self.provider,
                status=200,
            )
        return token, lifetime

    async def _fetch_token(self) -> tuple[str, float | None]:
        """A new token from the secret, and its lifetime in seconds (None: until refused)."""
        raise NotImplementedError

    def _no_token(self, method: str, path: str) -> AuthenticationError:
        """The error for a token endpoint that answered success without a token."""
        return AuthenticationError(
            "the token endpoint returned no token",
            provider=self.provider,
            status=200,
            method=method,
            url=redact_url(self.base_url + path),
        )

    @property
    def base_url(self) -> str:
        """The provider's base URL (no trailing slash)."""
        return self._transport.base_url

    @property
    def closed(self) -> bool:
        """Whether the client was closed."""
        return self._transport.closed

    async def aclose(self) -> None:
        """Close the HTTP session (unless the caller supplied it); idempotent."""
        await self._transport.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={redact_url(self.base_url)!r}, "
            f"{self.secret_name}={mask(self._secret)})"
        )

    # -- hooks for providers ------------------------------------------------

    def _authorize(
        self,
        token: str,
        headers: dict[str, str],
        params: dict[str, Any] | None,
        json: Any,
    ) -> tuple[dict[str, Any] | None, Any]:
        """Place the token on the request; the default is a Bearer header."""
        headers["Authorization"] = f"Bearer {token}"
        return params, json

    def _classify(self, response: Response, parsed: Any) -> APIError | None:
        """The error a refusal stands for, or ``None`` when the body shows no refusal.

        Called once for every answer that is not a success: an HTTP error status, or a 2xx
        body that does not decode as the success type (success types require the provider's
        success markers, so a "fail" body never decodes as one). ``parsed`` is the body
        parsed once by :func:`parse_body`. ``None`` for an HTTP error status maps it by the
        status table; for a 2xx body it is a :class:`~telcall.errors.DecodeError`.
        """
        return None

    # -- the one request path -------------------------------------------------

    def _make_error(
        self,
        cls: type[APIError],
        response: Response,
        info: ErrorInfo,
        *,
        status: int | None = None,
    ) -> APIError:
        error = cls(
            info.message,
            provider=self.provider,
            status=response.status if status is None else status,
            code=info.code,
            method=response.method,
            url=response.url,
            body=response.content,
            headers=dict(response.headers),
        )
        if isinstance(error, RateLimitError):
            error.retry_after = parse_retry_after(response.headers.get("Retry-After"))
        return error

    def _decode(self, response: Response, decoder: BodyDecoder[R]) -> R:
        """The typed success value of ``response``, or the error its body means.

        A success costs one typed decode; everything else is parsed once, leniently, and
        handed to :meth:`_classify`.
        """
        problem = ""
        if response.status < 400:
            try:
                return decoder.decode(response.content)
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                problem = str(exc)
            except RecursionError:
                # msgspec recurses per nesting level, also to skip unknown fields.
                problem = _TOO_DEEP
        parsed = parse_body(response.content)
        error = self._classify(response, parsed)
        if error is None and response.status >= 400:
            info = error_info(parsed, response.content)
            error = self._make_error(error_for_status(response.status), response, info)
        if error is not None:
            raise error
        raise DecodeError(
            problem,
            provider=self.provider,
            status=response.status,
            content_type=response.content_type,
            method=response.method,
            url=response.url,
            body=response.content,
        )

    async def _request(
        self,
        method: str,
        path: str,
        decoder: BodyDecoder[R],
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        timeout: Timeout | None = None,
        idempotent: bool | None = None,
        auth: bool = True,
    ) -> R:
        """Send, map errors, decode; renew the token once after a 401; all within the deadline.

        Every telcall error leaving here is scrubbed of secrets in place (see
        :meth:`telcall.errors.TelcallError.redact`).
        """
        observer = None
        if Observer.wanted(self._hooks):
            observer = Observer(
                self.provider,
                current_operation(),
                self._hooks,
                self._transport.redactor,
                propagate=self._propagate_trace,
                page=auth,
            )
        failure: BaseException | None = None
        try:
            self._transport.ensure_usable()
            # Checked here, so a bad per-call timeout sends nothing (not even a token fetch).
            client_timeout = to_client_timeout(timeout)
            deadline = _call_deadline.get()
            if deadline is not None or self._deadline is None:
                # A token fetch inside a call shares that call's deadline.
                return await self._exchange(
                    method,
                    path,
                    decoder,
                    params,
                    json,
                    client_timeout,
                    idempotent,
                    auth,
                    deadline,
                    observer,
                )
            return await self._within_deadline(
                self._deadline,
                method,
                path,
                decoder,
                params,
                json,
                client_timeout,
                idempotent,
                auth,
                observer,
            )
        except TelcallError as error:
            self._redactor_for(error, params, json).sanitize(error)
            failure = error
            raise
        except BaseException as error:
            failure = error
            raise
        finally:
            if observer is not None:
                observer.finish(failure)

    async def _within_deadline(
        self,
        seconds: float,
        method: str,
        path: str,
        decoder: BodyDecoder[R],
        params: Mapping[str, Any] | None,
        json: Any,
        timeout: aiohttp.ClientTimeout | None,
        idempotent: bool | None,
        auth: bool,
        observer: Observer | None,
    ) -> R:
        deadline = Deadline(seconds, asyncio.get_running_loop().time() + seconds)
        reset = _call_deadline.set(deadline)
        try:
            with anyio.CancelScope(deadline=deadline.stop_at):
                return await self._exchange(
                    method,
                    path,
                    decoder,
                    params,
                    json,
                    timeout,
                    idempotent,
                    auth,
                    deadline,
                    observer,
                )
        finally:
            _call_deadline.reset(reset)
        # Reached only when the scope cancelled the call: waiting for a token, in a retry's
        # backoff, or mid-attempt.
        raise self._deadline_error(deadline, method, path, params)

    def _deadline_error(
        self,
        deadline: Deadline,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        during: str = "",
    ) -> TransportTimeout:
        return TransportTimeout(
            f"the call's deadline of {deadline.seconds:g} s passed{during}",
            provider=self.provider,
            method=method,
            url=self._transport.redacted_url(path, params),
            timeout="deadline",
            seconds=deadline.seconds,
        )

    async def _exchange(
        self,
        method: str,
        path: str,
        decoder: BodyDecoder[R],
        params: Mapping[str, Any] | None,
        json: Any,
        timeout: aiohttp.ClientTimeout | None,
        idempotent: bool | None,
        auth: bool,
        deadline: Deadline | None,
        observer: Observer | None,
    ) -> R:
        renewed = False
        while True:
            headers: dict[str, str] = {}
            query = dict(params) if params is not None else None
            body = json
            token = None
            if auth:
                try:
                    token = await self._tokens.get()
                except TransportTimeout as exc:
                    if exc.timeout != "deadline" or deadline is None:
                        raise
                    # It ran out in the token fetch: name the call, and the fetch it was in.
                    during = f" during {exc.method} {exc.url}"
                    raise self._deadline_error(deadline, method, path, params, during) from exc
                query, body = self._authorize(token, headers, query, body)
            # A call's own extras reach its requests, not a token fetch it happens to cause.
            op = None if _fetching_token.get() else current_operation()
            response = await self._transport.send(
                method,
                path,
                params=query,
                json=body,
                headers=headers,
                timeout=timeout,
                idempotent=idempotent,
                deadline=deadline,
                observer=observer,
                extras=None if op is None else op.extras,
            )
            record_response(response, self._transport.redactor)
            if 300 <= response.status < 400:
                raise self._redirect_error(response)
            try:
                return self._decode(response, decoder)
            except AuthenticationError:
                if token is None or renewed or not self._tokens.invalidate(token):
                    raise
                renewed = True

    def _redirect_error(self, response: Response) -> RedirectError:
        """A 3xx answer: named with its target, never followed."""
        location = response.headers.get("Location", "")
        shown = self._transport.redactor.url(location) if location else ""
        target = f"to {shown}" if shown else "without a Location"
        headers = dict(response.headers)
        if location:
            headers["Location"] = shown
        return RedirectError(
            f"redirected {target}; telcall does not follow redirects (check base_url)",
            provider=self.provider,
            status=response.status,
            method=response.method,
            url=response.url,
            body=response.content,
            headers=headers,
        )

    def _redactor_for(
        self, error: BaseException, params: Mapping[str, Any] | None, json: Any
    ) -> Redactor:
        """The client's redactor, plus values this call sent or got back under secret names."""
        extra = [*secret_values(params), *secret_values(json), *_body_secrets(error)]
        redactor = self._transport.redactor
        return redactor.extended(extra) if extra else redactor


_CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f]")

#: Whether this task is fetching a token for the call in progress (that call's extras stay out).
_fetching_token: ContextVar[bool] = ContextVar("telcall_fetching_token", default=False)

#: The deadline of the call in progress in this task (a token fetch inside it shares it).
_call_deadline: ContextVar[Deadline | None] = ContextVar("telcall_call_deadline", default=None)


def _body_secrets(error: BaseException) -> list[str]:
    """Values under secret names in the JSON bodies of ``error`` and its chain (a token
    response that failed to decode still holds its token)."""
    found: list[str] = []
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        exc = pending.pop()
        if exc is None or id(exc) in seen:
            continue
        seen.add(id(exc))
        body = getattr(exc, "body", None)
        if isinstance(body, bytes) and body.lstrip()[:1] in (b"{", b"["):
            with contextlib.suppress(msgspec.DecodeError, RecursionError):
                found.extend(secret_values(_lenient.decode(body)))
        pending += (exc.__cause__, exc.__context__)
    return found
