"""Agent status (``/v2/user/<id>/status``)."""

from __future__ import annotations

import msgspec

from ..._core.transport import Timeout
from ..._core.validation import path_segment
from ..models import UserStatus, UserStatusResponse
from ._base import AsyncResource

__all__ = ("AsyncUsers",)

_status = msgspec.json.Decoder(UserStatusResponse)


class AsyncUsers(AsyncResource):
    """Users (agents) of the call center."""

    async def status(self, user_id: str, *, timeout: Timeout | None = None) -> UserStatus:
        """``GET /v2/user/<user_id>/status``; ``user_id`` is the username or the uuid."""
        segment = path_segment(user_id, "user_id")
        answer = await self._client._request(
            "GET", f"/v2/user/{segment}/status", _status, timeout=timeout
        )
        return answer.data
