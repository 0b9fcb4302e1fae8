"""``AsyncOmicallClient``: the OMICall contacts and call-history API, asyncio-first."""

from __future__ import annotations

import re
from functools import cached_property
from typing import TYPE_CHECKING, Any, Unpack

import aiohttp
import msgspec

from .._core.client import AsyncBaseClient, ClientSettings, error_info
from .._core.errors import (
    APIError,
    AuthenticationError,
    NotFoundError,
    ProviderError,
    error_for_status,
)
from .._core.transport import Response
from .models import SUCCESS, Envelope, TokenPayload
from .resources.call_history import AsyncCallHistory
from .resources.contacts import AsyncContacts

if TYPE_CHECKING:
    from .._raw.omicall import AsyncRawOmicallClient

__all__ = ("TOKEN_LIFETIME", "AsyncOmicallClient")

#: OMICall tokens live 24 hours; they are renewed a few minutes before.
TOKEN_LIFETIME = 24 * 3600.0

_token_decoder = msgspec.json.Decoder(Envelope[TokenPayload])

# The seed documents no error codes. Decision: a code that names the token or
# the api key means the credentials were refused; one ending in "not_found"
# means the object does not exist.
_AUTH_CODE = re.compile(r"unauthori[sz]ed|authenticat|token|api_?key", re.IGNORECASE)
_NOT_FOUND_CODE = re.compile(r"not_?found$", re.IGNORECASE)


class AsyncOmicallClient(AsyncBaseClient):
    """Async client for the OMICall API (contacts v1 and call history).

    Give an ``api_key`` (a Bearer token is obtained from ``GET /api/auth``,
    cached for its 24-hour life and renewed once after a 401) or a ready-made
    ``token``. Unset arguments fall back to the environment:
    ``TELCALL_OMICALL_BASE_URL``, ``TELCALL_OMICALL_API_KEY``,
    ``TELCALL_OMICALL_TOKEN``. Naive datetimes you pass are read in ``tz``.
    Use as ``async with`` or call :meth:`aclose`.

    ``deadline`` bounds each call as a whole (token fetch, retries, renewal and
    replay); ``max_response_bytes`` bounds each body, counted decompressed
    (default 64 MiB); after a failed token fetch its error is repeated to
    callers for ``token_cooldown`` seconds (default 1) before the next fetch.
    Redirects are never followed: a 3xx raises :class:`~telcall.errors.RedirectError`.
    ``hooks`` (:class:`~telcall.Hooks`) observe every attempt and retry through redacted views.

    ``status_code: -9999`` answers (any ``status_code`` but 9999) raise even with HTTP 200:
    :class:`~telcall.errors.AuthenticationError` for a refused key or token,
    :class:`~telcall.errors.NotFoundError` for ``*_not_found`` codes,
    :class:`~telcall.errors.ProviderError` otherwise, with the payload's
    ``error`` as ``code`` and its ``message``.

    Requests go through ``proxy`` (``http://[user:password@]host:port``) if given, else
    through ``HTTPS_PROXY``/``HTTP_PROXY`` unless ``NO_PROXY`` names the host or the host
    is loopback; ``trust_env=False`` ignores the environment. ``ssl`` is an
    ``ssl.SSLContext``, a CA bundle path (file or directory), or ``False`` (no checks).
    """

    provider = "omicall"
    env_prefix = "TELCALL_OMICALL"

    def __init__(
        self,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        token: str | None = None,
        session: aiohttp.ClientSession | None = None,
        **settings: Unpack[ClientSettings],
    ) -> None:
        super().__init__(
            base_url=base_url,
            secret=api_key,
            token=token,
            session=session,
            **settings,
        )

    async def _fetch_token(self) -> tuple[str, float | None]:
        answer = await self._request(
            "GET", "/api/auth", _token_decoder, params={"apiKey": self._secret}, auth=False
        )
        if not answer.payload.access_token:
            raise self._no_token("GET", "/api/auth")
        return answer.payload.access_token, TOKEN_LIFETIME

    # -- error mapping -----------------------------------------------------

    def _classify(self, response: Response, parsed: Any) -> APIError | None:
        """An envelope whose ``status_code`` is not 9999 is a refusal whatever the HTTP status.

        The payload's ``error`` is the code: one naming the token or the api key (or HTTP
        401) is an AuthenticationError, one ending in ``not_found`` a NotFoundError; an HTTP
        error status otherwise keeps its class, and the rest is a ProviderError.
        """
        if not isinstance(parsed, dict):
            return None
        status_code = parsed.get("status_code")
        refused = isinstance(status_code, int) and status_code != SUCCESS
        if not refused and response.status < 400:
            return None
        info = error_info(parsed, response.content)
        code = info.code or ""
        cls: type[APIError]
        if response.status == 401 or _AUTH_CODE.search(code):
            cls = AuthenticationError
        elif response.status >= 400:
            cls = error_for_status(response.status)
        elif _NOT_FOUND_CODE.search(code):
            cls = NotFoundError
        else:
            cls = ProviderError
        return self._make_error(cls, response, info)

    # -- resources ---------------------------------------------------------

    @cached_property
    def contacts(self) -> AsyncContacts:
        """Contacts (customers): search, add, update, delete, notes, dynamic attributes."""
        return AsyncContacts(self)

    @cached_property
    def call_history(self) -> AsyncCallHistory:
        """Call history (``/api/call_transaction/list``), split into 30-day windows."""
        return AsyncCallHistory(self)

    @cached_property
    def with_raw_response(self) -> AsyncRawOmicallClient:
        """The same resources, each call returning a ``RawResponse`` (status, headers, ...).

        ``(await client.with_raw_response.<resource>.<method>(...)).parse()`` is the plain
        call's result. Listings (``pages``/``iterate``) are not mirrored: use hooks for pages.
        """
        from .._raw.omicall import AsyncRawOmicallClient

        return AsyncRawOmicallClient(self)
