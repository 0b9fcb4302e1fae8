"""``AsyncAICallCenterClient``: the AI Call Center (aicallcenter.vn) API, asyncio-first."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any, Unpack

import aiohttp
import msgspec

from .._core.client import AsyncBaseClient, ClientSettings, ErrorInfo, error_info
from .._core.errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    ProviderError,
    error_for_status,
)
from .._core.transport import Response
from .models import TokenResponse
from .resources.campaigns import AsyncCampaigns
from .resources.users import AsyncUsers

if TYPE_CHECKING:
    from .._raw.aicallcenter import AsyncRawAICallCenterClient

__all__ = ("DEFAULT_BASE_URL", "AsyncAICallCenterClient")

DEFAULT_BASE_URL = "https://es.aicallcenter.vn"

_token_decoder = msgspec.json.Decoder(TokenResponse)

# Failure codes, compared without leading zeros because they arrive as "01"
# or 1 alike. "03" (campaign stopped) and unknown codes are ProviderError.
_CODE_CLASSES: dict[str, type[APIError]] = {
    "401": AuthenticationError,
    "400": BadRequestError,
    "1": NotFoundError,
}


def _code_class(code: object) -> type[APIError] | None:
    key = str(code).strip().lstrip("0") if code is not None else ""
    return _CODE_CLASSES.get(key)


class AsyncAICallCenterClient(AsyncBaseClient):
    """Async client for the AI Call Center API (campaign import and call export).

    Give the account's ``secret_key`` (an access token is generated from it,
    cached until the provider refuses it, then regenerated once) or a
    ready-made ``access_token``. Unset arguments fall back to the environment:
    ``TELCALL_AICALLCENTER_BASE_URL`` (default ``https://es.aicallcenter.vn``),
    ``TELCALL_AICALLCENTER_SECRET_KEY``, ``TELCALL_AICALLCENTER_ACCESS_TOKEN``.
    The token travels in the query string (GET) or the JSON body (POST) and
    is redacted from every log line, error and repr. Use as ``async with`` or
    call :meth:`aclose`.

    ``deadline`` bounds each call as a whole (token fetch, retries, renewal and
    replay); ``max_response_bytes`` bounds each body, counted decompressed
    (default 64 MiB); after a failed token fetch its error is repeated to
    callers for ``token_cooldown`` seconds (default 1) before the next fetch.
    Redirects are never followed: a 3xx raises :class:`~telcall.errors.RedirectError`.
    ``hooks`` (:class:`~telcall.Hooks`) observe every attempt and retry through redacted views.

    ``status: 0`` answers raise even with HTTP 200, by ``code``: "401"
    :class:`~telcall.errors.AuthenticationError`, "400"
    :class:`~telcall.errors.BadRequestError`, "01"
    :class:`~telcall.errors.NotFoundError` (unknown campaign), "03" (campaign
    stopped) and others :class:`~telcall.errors.ProviderError`.

    Requests go through ``proxy`` (``http://[user:password@]host:port``) if given, else
    through ``HTTPS_PROXY``/``HTTP_PROXY`` unless ``NO_PROXY`` names the host or the host
    is loopback; ``trust_env=False`` ignores the environment. ``ssl`` is an
    ``ssl.SSLContext``, a CA bundle path (file or directory), or ``False`` (no checks).
    """

    provider = "aicallcenter"
    env_prefix = "TELCALL_AICALLCENTER"
    secret_name = "secret_key"
    token_name = "access_token"
    default_base_url = DEFAULT_BASE_URL

    def __init__(
        self,
        *,
        base_url: str | None = None,
        secret_key: str | None = None,
        access_token: str | None = None,
        session: aiohttp.ClientSession | None = None,
        **settings: Unpack[ClientSettings],
    ) -> None:
        super().__init__(
            base_url=base_url,
            secret=secret_key,
            token=access_token,
            session=session,
            **settings,
        )

    async def _fetch_token(self) -> tuple[str, float | None]:
        path = "/api/users/generate-access-token"
        answer = await self._request(
            "GET", path, _token_decoder, params={"secret_key": self._secret}, auth=False
        )
        if not answer.results.access_token:
            raise self._no_token("GET", path)
        # No documented lifetime: keep the token until the provider refuses it.
        return answer.results.access_token, None

    def _authorize(
        self,
        token: str,
        headers: dict[str, str],
        params: dict[str, Any] | None,
        json: Any,
    ) -> tuple[dict[str, Any] | None, Any]:
        """The token goes in the JSON body of a POST and in the query string of a GET."""
        if json is not None:
            # A new dict: a replay after renewal must not carry the refused token.
            return params, {"access_token": token, **json}
        return {"access_token": token, **(params or {})}, json

    # -- error mapping -----------------------------------------------------

    def _classify(self, response: Response, parsed: Any) -> APIError | None:
        """An answer whose ``status`` is not 1 is a refusal whatever the HTTP status.

        The class comes from ``code`` ("401", "400", "01"; see :data:`_CODE_CLASSES`), else
        from an HTTP error status; other refusals ("03", campaign stopped) are ProviderError.
        """
        if not isinstance(parsed, dict):
            return None
        refused = "status" in parsed and str(parsed["status"]) != "1"
        if not refused and response.status < 400:
            return None
        info = error_info(parsed, response.content)
        code = parsed.get("code")
        cls = _code_class(code)
        if cls is None:
            cls = error_for_status(response.status) if response.status >= 400 else ProviderError
        if code is not None:
            info = ErrorInfo(str(code), info.message)
        return self._make_error(cls, response, info)

    # -- resources ---------------------------------------------------------

    @cached_property
    def campaigns(self) -> AsyncCampaigns:
        """Campaigns: import contacts, export calls (``campaigns.calls``)."""
        return AsyncCampaigns(self)

    @cached_property
    def users(self) -> AsyncUsers:
        """The account's own call log (``users.calls``)."""
        return AsyncUsers(self)

    @cached_property
    def with_raw_response(self) -> AsyncRawAICallCenterClient:
        """The same resources, each call returning a ``RawResponse`` (status, headers, ...).

        ``(await client.with_raw_response.<resource>.<method>(...)).parse()`` is the plain
        call's result. Listings (``pages``/``iterate``) are not mirrored: use hooks for pages.
        """
        from .._raw.aicallcenter import AsyncRawAICallCenterClient

        return AsyncRawAICallCenterClient(self)
