"""The async client base every provider client builds on: one ``_request`` path.

``_request`` asks the token provider for a token, lets the provider place it
(header, query or body), sends through the transport, maps failures onto
:mod:`telcall.errors` and decodes the body with a prebuilt typed decoder.
After an :class:`~telcall.errors.AuthenticationError` it renews the token
once and replays the request.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import tzinfo
from types import TracebackType
from typing import Any, ClassVar, Protocol, Self, TypeVar

import aiohttp
import msgspec

from .auth import CachedToken, StaticToken, TokenProvider
from .errors import (
    APIError,
    AuthenticationError,
    DecodeError,
    RateLimitError,
    ValidationError,
    error_for_status,
    snippet,
)
from .records import resolve_tz
from .redaction import mask, redact_url
from .retry import RetryPolicy, parse_retry_after
from .transport import Response, Timeout, Transport

__all__ = ("AsyncBaseClient", "BodyDecoder", "ErrorInfo", "env_or", "error_info", "parse_body")

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
        timeout: Timeout | None,
        max_retries: int,
        deadline: float | None,
        tz: str | tzinfo,
        session: aiohttp.ClientSession | None,
        pool_limit: int,
    ) -> None:
        prefix = self.env_prefix
        base_url = env_or(base_url, f"{prefix}_BASE_URL") or self.default_base_url
        secret = env_or(secret, f"{prefix}_{self.secret_name.upper()}")
        token = env_or(token, f"{prefix}_{self.token_name.upper()}")
        if not base_url:
            raise ValidationError(f"base_url is required (or set {prefix}_BASE_URL)")
        if not base_url.startswith(("http://", "https://")):
            raise ValidationError(f"base_url must start with http:// or https://, got {base_url!r}")
        if max_retries < 0:
            raise ValidationError("max_retries must be >= 0")
        self._tokens: TokenProvider
        if token:
            self._tokens = StaticToken(token)
        elif secret:
            self._tokens = CachedToken(self._fetch_token)
        else:
            secret_env = f"{prefix}_{self.secret_name.upper()}"
            token_env = f"{prefix}_{self.token_name.upper()}"
            raise ValidationError(
                f"{self.secret_name} or {self.token_name} is required "
                f"(or set {secret_env} / {token_env})"
            )
        self._secret = secret
        self.tz: tzinfo = resolve_tz(tz)
        self._transport = Transport(
            provider=self.provider,
            base_url=base_url,
            timeout=timeout,
            retry=RetryPolicy(max_retries=max_retries),
            deadline=deadline,
            pool_limit=pool_limit,
            session=session,
        )
        self._remember_secret(secret)
        self._remember_secret(token)

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

    def _remember_secret(self, value: str | None) -> None:
        if value:
            self._transport.secrets.add(value)

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
        secrets = self._transport.secrets
        message = info.message
        for secret in secrets:
            if secret:
                message = message.replace(secret, "***")
        error = cls(
            message,
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
        """Send, map errors, decode; renew the token once after a 401."""
        renewed = False
        while True:
            headers: dict[str, str] = {}
            query = dict(params) if params is not None else None
            body = json
            token = None
            if auth:
                token = await self._tokens.get()
                self._remember_secret(token)
                query, body = self._authorize(token, headers, query, body)
            response = await self._transport.send(
                method,
                path,
                params=query,
                json=body,
                headers=headers,
                timeout=timeout,
                idempotent=idempotent,
            )
            try:
                return self._decode(response, decoder)
            except AuthenticationError:
                if token is None or renewed or not self._tokens.invalidate(token):
                    raise
                renewed = True
