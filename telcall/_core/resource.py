"""What every resource shares: a typed handle on its client's one request path."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, TypeVar

from .observe import instrument_resource
from .validation import check_public_methods

if TYPE_CHECKING:
    from .client import AsyncBaseClient

__all__ = ("AsyncResource", "ClientT")

ClientT = TypeVar("ClientT", bound="AsyncBaseClient")


class AsyncResource(Generic[ClientT]):
    """Base of every provider's resource classes; resources are created lazily by the client.

    ``class AsyncCdrs(AsyncResource["AsyncTel4vnClient"])`` types ``self._client`` as the
    provider's client, so its settings (``cdr_mapping``, ``tz``) are checked by mypy.
    """

    __slots__ = ("_client",)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Every public method refuses arguments that do not match its annotations.
        check_public_methods(cls)
        # Each public method runs as one observed operation (spans, hooks, raw responses).
        instrument_resource(cls)

    def __init__(self, client: ClientT) -> None:
        self._client = client

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._client!r}>"
