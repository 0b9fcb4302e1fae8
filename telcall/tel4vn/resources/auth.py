"""Login and access tokens (``/v1/auth``, ``/v2/auth/token``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Unpack

import msgspec

from ..._core.options import RequestExtras
from ..._core.resource import AsyncResource
from ..._core.transport import Timeout
from ..._core.validation import require
from ..models import LoginData, LoginResponse, TokenData, TokenResponse

if TYPE_CHECKING:
    from ..client import AsyncTel4vnClient

__all__ = ("AsyncAuth",)

_login = msgspec.json.Decoder(LoginResponse)
_token = msgspec.json.Decoder(TokenResponse)


class AsyncAuth(AsyncResource["AsyncTel4vnClient"]):
    """Account login and explicit token requests (the client handles tokens by itself)."""

    async def login(
        self,
        username: str,
        password: str,
        *,
        timeout: Timeout | None = None,
        **extras: Unpack[RequestExtras],
    ) -> LoginData:
        """``POST /v1/auth``: the account (including its ``api_key``) for a username/password."""
        require(username=username, password=password)
        answer = await self._client._request(
            "POST",
            "/v1/auth",
            _login,
            json={"username": username, "password": password},
            timeout=timeout,
            idempotent=True,
            auth=False,
        )
        return answer.data

    async def token(
        self, api_key: str, *, timeout: Timeout | None = None, **extras: Unpack[RequestExtras]
    ) -> TokenData:
        """``POST /v2/auth/token``: a fresh access token for ``api_key`` (not cached)."""
        require(api_key=api_key)
        answer = await self._client._request(
            "POST",
            "/v2/auth/token",
            _token,
            json={"api_key": api_key},
            timeout=timeout,
            idempotent=True,
            auth=False,
        )
        return answer.data
