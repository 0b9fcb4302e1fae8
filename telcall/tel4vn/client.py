"""``AsyncTel4vnClient``: the TEL4VN Call Center API, asyncio-first."""

from __future__ import annotations

from datetime import tzinfo
from functools import cached_property
from typing import Any

import aiohttp
import msgspec

from .._core.auth import DEFAULT_TOKEN_COOLDOWN
from .._core.client import AsyncBaseClient, ErrorInfo, parse_error_body
from .._core.errors import (
    APIError,
    NotFoundError,
    ProviderError,
    ValidationError,
    error_for_status,
)
from .._core.records import DEFAULT_TZ
from .._core.transport import DEFAULT_MAX_RESPONSE_BYTES, Response, Timeout
from .models import (
    AutocallImportResult,
    AutocallResult,
    AutodialerResult,
    CdrMapping,
    CustomerCreated,
    CustomerList,
    CustomerResponse,
    Outcome,
    TokenResponse,
    UserStatusResponse,
)
from .resources.auth import AsyncAuth
from .resources.autocall import AsyncAutocall
from .resources.autodialer import AsyncAutodialer
from .resources.calls import AsyncCalls
from .resources.cdrs import AsyncCdrs
from .resources.click2call import AsyncClick2Call
from .resources.customers import AsyncCustomers
from .resources.events import AsyncEvents
from .resources.users import AsyncUsers

__all__ = ("AsyncTel4vnClient",)

_token_decoder = msgspec.json.Decoder(TokenResponse)

# Envelopes whose ``code`` mirrors an HTTP status even when the HTTP status is 200.
_CODED = (
    AutocallImportResult,
    AutocallResult,
    CustomerCreated,
    CustomerList,
    CustomerResponse,
    TokenResponse,
    UserStatusResponse,
)


class AsyncTel4vnClient(AsyncBaseClient):
    """Async client for the TEL4VN Call Center API.

    Give an ``api_key`` (tokens are then obtained, cached and renewed for you)
    or a ready-made ``token``. Unset arguments fall back to the environment:
    ``TELCALL_TEL4VN_BASE_URL``, ``TELCALL_TEL4VN_API_KEY``, ``TELCALL_TEL4VN_TOKEN``.

    ``cdr_mapping`` is the account's CDR shape: ``"default"``, ``"flex"`` or
    ``"auto"`` (detected per record, at no cost when a page is uniform).
    Naive provider times are read in ``tz``. Use as ``async with`` or call
    :meth:`aclose`.

    ``deadline`` bounds each call as a whole (token fetch, retries, renewal and
    replay); ``max_response_bytes`` bounds each body, counted decompressed
    (default 64 MiB); after a failed token fetch its error is repeated to
    callers for ``token_cooldown`` seconds (default 1) before the next fetch.
    Redirects are never followed: a 3xx raises :class:`~telcall.errors.RedirectError`.
    """

    provider = "tel4vn"
    env_prefix = "TELCALL_TEL4VN"

    def __init__(
        self,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        token: str | None = None,
        timeout: Timeout | None = None,
        max_retries: int = 2,
        deadline: float | None = None,
        tz: str | tzinfo = DEFAULT_TZ,
        session: aiohttp.ClientSession | None = None,
        pool_limit: int = 100,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        token_cooldown: float = DEFAULT_TOKEN_COOLDOWN,
        cdr_mapping: CdrMapping = "auto",
    ) -> None:
        if cdr_mapping not in ("auto", "default", "flex"):
            raise ValidationError(f"cdr_mapping must be auto, default or flex; got {cdr_mapping!r}")
        self.cdr_mapping: CdrMapping = cdr_mapping
        super().__init__(
            base_url=base_url,
            secret=api_key,
            token=token,
            timeout=timeout,
            max_retries=max_retries,
            deadline=deadline,
            tz=tz,
            session=session,
            pool_limit=pool_limit,
            max_response_bytes=max_response_bytes,
            token_cooldown=token_cooldown,
        )

    async def _fetch_token(self) -> tuple[str, float | None]:
        answer = await self._request(
            "POST",
            "/v2/auth/token",
            _token_decoder,
            json={"api_key": self._secret},
            auth=False,
            idempotent=True,
        )
        if not answer.data.token:
            raise self._no_token("POST", "/v2/auth/token")
        return answer.data.token, float(answer.data.expired_in) or None

    # -- error mapping -----------------------------------------------------

    def _check(self, result: Any, response: Response) -> None:
        """TEL4VN reports many failures in a 200 body; turn those into errors."""
        if isinstance(result, Outcome):
            if result.status.lower() == "fail":
                raise self._fail(response, result.error, result.message)
        elif isinstance(result, _CODED):
            if result.code >= 400:
                raise self._make_error(
                    error_for_status(result.code),
                    response,
                    parse_error_body(response.content)[0],
                    status=response.status,
                )
        elif isinstance(result, AutodialerResult):
            message = result.message.strip()
            if message.lower() != "successfully":
                cls = NotFoundError if "not found" in message.lower() else ProviderError
                raise self._fail(response, message, message, cls=cls)

    def _body_error(self, response: Response) -> APIError | None:
        info, data = parse_error_body(response.content)
        if not isinstance(data, dict):
            return None
        if str(data.get("status", "")).lower() == "fail":
            return self._fail(response, data.get("error"), data.get("message"))
        code = data.get("code")
        if isinstance(code, int) and code >= 400:
            return self._make_error(error_for_status(code), response, info)
        return None

    def _fail(
        self,
        response: Response,
        code: Any,
        message: Any,
        *,
        cls: type[APIError] = ProviderError,
    ) -> APIError:
        info, _ = parse_error_body(response.content)
        text = str(message or code or info.message)
        return self._make_error(cls, response, ErrorInfo(str(code) if code else info.code, text))

    # -- resources ---------------------------------------------------------

    @cached_property
    def auth(self) -> AsyncAuth:
        """Login and access tokens."""
        return AsyncAuth(self)

    @cached_property
    def events(self) -> AsyncEvents:
        """Event-hook (webhook) subscriptions."""
        return AsyncEvents(self)

    @cached_property
    def cdrs(self) -> AsyncCdrs:
        """Call detail records."""
        return AsyncCdrs(self)

    @cached_property
    def click2call(self) -> AsyncClick2Call:
        """Click-to-call."""
        return AsyncClick2Call(self)

    @cached_property
    def calls(self) -> AsyncCalls:
        """Live calls and call control (transfer, listen, whisper, barge)."""
        return AsyncCalls(self)

    @cached_property
    def autodialer(self) -> AsyncAutodialer:
        """Predictive autodialer queues."""
        return AsyncAutodialer(self)

    @cached_property
    def autocall(self) -> AsyncAutocall:
        """IVR autocall queues and do-not-call lists."""
        return AsyncAutocall(self)

    @cached_property
    def users(self) -> AsyncUsers:
        """Agent status."""
        return AsyncUsers(self)

    @cached_property
    def customers(self) -> AsyncCustomers:
        """Customers uploaded for autodialing."""
        return AsyncCustomers(self)
