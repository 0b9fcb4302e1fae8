"""The toy async client: a pin buys a token, the token lists calls."""

from __future__ import annotations

from datetime import tzinfo
from functools import cached_property

import msgspec

from telcall._core.client import AsyncBaseClient

from .models import ToyToken
from .resources import AsyncCalls

__all__ = ("AsyncToyClient",)

_token = msgspec.json.Decoder(ToyToken)


class AsyncToyClient(AsyncBaseClient):
    """Async client of the toy API (``TELCALL_TOY_BASE_URL``, ``TELCALL_TOY_TOY_PIN``)."""

    provider = "toy"
    env_prefix = "TELCALL_TOY"
    secret_name = "toy_pin"

    def __init__(
        self,
        *,
        base_url: str | None = None,
        toy_pin: str | None = None,
        token: str | None = None,
        timeout: float | None = None,
        max_retries: int = 0,
        deadline: float | None = None,
        tz: str | tzinfo = "Asia/Ho_Chi_Minh",
        proxy: str | None = None,
    ) -> None:
        super().__init__(
            base_url=base_url,
            secret=toy_pin,
            token=token,
            timeout=timeout,
            max_retries=max_retries,
            deadline=deadline,
            tz=tz,
            session=None,
            pool_limit=10,
            proxy=proxy,
        )

    async def _fetch_token(self) -> tuple[str, float | None]:
        answer = await self._request(
            "GET", "/token", _token, params={"toy_pin": self._secret}, auth=False
        )
        return answer.token, None

    @cached_property
    def calls(self) -> AsyncCalls:
        """The account's calls."""
        return AsyncCalls(self)
