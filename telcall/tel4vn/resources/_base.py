"""What every TEL4VN resource shares: a handle on the client's one request path."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..._core.observe import instrument_resource
from ..._core.validation import check_public_methods

if TYPE_CHECKING:
    from ..client import AsyncTel4vnClient

__all__ = ("AsyncResource",)


class AsyncResource:
    """Base of the resource classes; resources are created lazily by the client."""

    __slots__ = ("_client",)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Every public method refuses arguments that do not match its annotations.
        check_public_methods(cls)
        # Each public method runs as one observed operation (spans, hooks, raw responses).
        instrument_resource(cls)

    def __init__(self, client: AsyncTel4vnClient) -> None:
        self._client = client

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._client!r}>"
