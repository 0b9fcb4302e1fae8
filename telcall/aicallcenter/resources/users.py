"""The account's call log (``GET /api/users/call-log``)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from functools import cached_property
from typing import TYPE_CHECKING, Unpack

from ..._core.pagination import Page, iterate_items
from ..._core.resource import AsyncResource
from ..._core.transport import Timeout
from ..models import Call
from ._calls import DEFAULT_LIMIT, CallListing, CallPaging, CallWindow

if TYPE_CHECKING:
    from ..client import AsyncAICallCenterClient

__all__ = ("AsyncUserCalls", "AsyncUsers")

_PATH = "/api/users/call-log"


class AsyncUserCalls(CallListing):
    """Every call of the account whose token is used, across campaigns.

    ``start_time``/``end_time`` take ``datetime`` or ``date`` (naive values
    are read in the client's ``tz``) and are sent as epoch milliseconds;
    unset, the provider's defaults apply (the seed says: from the start, until now).
    """

    __slots__ = ()

    async def list(
        self,
        *,
        limit: int = DEFAULT_LIMIT,
        offset: int = 0,
        timeout: Timeout | None = None,
        **window: Unpack[CallWindow],
    ) -> Page[Call]:
        """``GET /api/users/call-log``: one page (``.items``, ``.total``)."""
        return await self._list(_PATH, window, limit, offset, timeout)

    def pages(self, **options: Unpack[CallPaging]) -> AsyncGenerator[Page[Call], None]:
        """Every page in order; ``concurrency`` pages in flight once ``total`` is known."""
        return self._pages(_PATH, options)

    def iterate(self, **options: Unpack[CallPaging]) -> AsyncGenerator[Call, None]:
        """Every call, page by page (see :meth:`pages`)."""
        return iterate_items(self.pages(**options))


class AsyncUsers(AsyncResource["AsyncAICallCenterClient"]):
    """The account behind the token; ``calls`` is its call log."""

    @cached_property
    def calls(self) -> AsyncUserCalls:
        """The account's call log: ``list``/``pages``/``iterate``."""
        return AsyncUserCalls(self._client)
