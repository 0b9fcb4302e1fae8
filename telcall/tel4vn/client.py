"""``AsyncTel4vnClient``: the TEL4VN Call Center API, asyncio-first."""

from __future__ import annotations

from datetime import tzinfo
from functools import cached_property
from typing import TYPE_CHECKING, Any

import aiohttp
import msgspec

from .._core.auth import DEFAULT_TOKEN_COOLDOWN
from .._core.client import AsyncBaseClient, ErrorInfo, error_info
from .._core.errors import (
    APIError,
    NotFoundError,
    ProviderError,
    ValidationError,
    error_for_status,
)
from .._core.hooks import Hooks
from .._core.records import DEFAULT_TZ
from .._core.settings import SslSetting
from .._core.transport import DEFAULT_MAX_RESPONSE_BYTES, Response, Timeout
from .models import CdrMapping, TokenResponse
from .resources.auth import AsyncAuth
from .resources.autocall import AsyncAutocall
from .resources.autodialer import AsyncAutodialer
from .resources.calls import AsyncCalls
from .resources.cdrs import AsyncCdrs
from .resources.click2call import AsyncClick2Call
from .resources.customers import AsyncCustomers
from .resources.events import AsyncEvents
from .resources.users import AsyncUsers

if TYPE_CHECKING:
    from .._raw.tel4vn import AsyncRawTel4vnClient

__all__ = ("AsyncTel4vnClient",)

_token_decoder = msgspec.json.Decoder(TokenResponse)

#: ``status`` values of a refused outcome, compared in lower case.
_FAIL_STATUSES = frozenset({"fail", "failed", "error"})
# The event-hook calls answer {"created": true} / {"deleted": true}; false is a refusal.
_OUTCOME_FLAGS = ("created", "deleted")


def _as_code(value: Any) -> int | None:
    """An envelope's ``code`` as an int (it may come as ``404`` or ``"404"``)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


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
    ``hooks`` (:class:`~telcall.Hooks`) observe every attempt and retry through redacted views.

    Requests go through ``proxy`` (``http://[user:password@]host:port``) if given, else
    through ``HTTPS_PROXY``/``HTTP_PROXY`` unless ``NO_PROXY`` names the host or the host
    is loopback; ``trust_env=False`` ignores the environment. ``ssl`` is an
    ``ssl.SSLContext``, a CA bundle path (file or directory), or ``False`` (no checks).
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
        hooks: Hooks | None = None,
        proxy: str | None = None,
        ssl: SslSetting = True,
        trust_env: bool = True,
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
            hooks=hooks,
            proxy=proxy,
            ssl=ssl,
            trust_env=trust_env,
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

    def _classify(self, response: Response, parsed: Any) -> APIError | None:
        """TEL4VN refuses in a 200 body as often as with a status; map the documented shapes.

        ``{"status": "fail", "error": CODE}`` is a ProviderError with that code;
        ``{"code": 404, "content": ...}`` the error of the status its code names;
        ``{"message": "queue not found"}`` (anything but "successfully") a NotFoundError when
        it says "not found", else a ProviderError; ``{"created": false}`` / ``{"deleted": false}``
        a ProviderError. An HTTP error status keeps its own class.
        """
        if response.status >= 400 or not isinstance(parsed, dict):
            return None
        info = error_info(parsed, response.content)
        outcome = parsed.get("status")
        if isinstance(outcome, str) and outcome.strip().lower() in _FAIL_STATUSES:
            return self._make_error(ProviderError, response, info)
        code = _as_code(parsed.get("code"))
        if code is not None and code >= 400:
            return self._make_error(error_for_status(code), response, info)
        message = parsed.get("message")
        if isinstance(message, str) and message.strip().lower() != "successfully":
            text = message.strip() or info.message
            cls = NotFoundError if "not found" in text.lower() else ProviderError
            return self._make_error(cls, response, ErrorInfo(text, text))
        for flag in _OUTCOME_FLAGS:
            if parsed.get(flag) is False:
                text = f"the provider answered {flag}: false"
                return self._make_error(ProviderError, response, ErrorInfo(text, text))
        return None

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

    @cached_property
    def with_raw_response(self) -> AsyncRawTel4vnClient:
        """The same resources, each call returning a ``RawResponse`` (status, headers, ...).

        ``(await client.with_raw_response.<resource>.<method>(...)).parse()`` is the plain
        call's result. Listings (``pages``/``iterate``) are not mirrored: use hooks for pages.
        """
        from .._raw.tel4vn import AsyncRawTel4vnClient

        return AsyncRawTel4vnClient(self)
