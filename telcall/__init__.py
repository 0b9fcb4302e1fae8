"""telcall: asyncio-first SDK for Vietnamese call-center APIs, with a generated sync facade."""

from . import errors as errors
from ._core.pagination import Page as Page
from ._core.records import (
    CallRecord as CallRecord,
    CallStatus as CallStatus,
    Direction as Direction,
)
from ._version import __version__ as __version__
from .tel4vn import AsyncTel4vnClient as AsyncTel4vnClient

__all__ = (
    "AsyncTel4vnClient",
    "CallRecord",
    "CallStatus",
    "Direction",
    "Page",
    "__version__",
    "errors",
)
