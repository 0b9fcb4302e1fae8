"""Agent status (``/v2/user/<id>/status``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Unpack

import msgspec

from ..._core.options import RequestExtras
from ..._core.resource import AsyncResource
from ..._core.transport import Timeout
from ..._core.validation import path_segment
from ..models import UserStatus, UserStatusResponse

if TYPE_CHECKING:
    from ..client import AsyncTel4vnClient

__all__ = ("AsyncUsers",)

_status = msgspec.json.Decoder(UserStatusResponse)


class AsyncUsers(AsyncResource["AsyncTel4vnClient"]):
    """Users (agents) of the call center."""

    async def status(
        self, user_id: str, *, timeout: Timeout | None = None, **extras: Unpack[RequestExtras]
    ) -> UserStatus:
        """``GET /v2/user/<user_id>/status``; ``user_id`` is the username or the uuid."""
        segment = path_segment(user_id, "user_id")
        answer = await self._client._request(
            "GET", f"/v2/user/{segment}/status", _status, timeout=timeout
        )
        return answer.data
