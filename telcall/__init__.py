"""telcall: asyncio-first SDK for Vietnamese call-center APIs, with a generated sync facade."""

from . import errors as errors
from ._core.pagination import Page as Page
from ._core.records import (
    CallRecord as CallRecord,
    CallStatus as CallStatus,
    Direction as Direction,
)
from ._sync import (
    AICallCenterClient as AICallCenterClient,
    OmicallClient as OmicallClient,
    SyncIterator as SyncIterator,
    Tel4vnClient as Tel4vnClient,
)
from ._version import __version__ as __version__
from .aicallcenter import AsyncAICallCenterClient as AsyncAICallCenterClient
from .omicall import AsyncOmicallClient as AsyncOmicallClient
from .tel4vn import AsyncTel4vnClient as AsyncTel4vnClient

__all__ = (
    "AICallCenterClient",
    "AsyncAICallCenterClient",
    "AsyncOmicallClient",
    "AsyncTel4vnClient",
    "CallRecord",
    "CallStatus",
    "Direction",
    "OmicallClient",
    "Page",
    "SyncIterator",
    "Tel4vnClient",
    "__version__",
    "errors",
)
