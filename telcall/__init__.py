"""telcall: asyncio-first SDK for Vietnamese call-center APIs, with a generated sync facade.

Names load on first use: the pytest plugin installed with telcall imports this
package in every test run, which must not pay for aiohttp and the clients
until something here is used.
"""

from __future__ import annotations

import importlib as _importlib
import typing as _typing

from . import errors as errors
from ._version import __version__ as __version__

if _typing.TYPE_CHECKING:
    from ._core.hooks import (
        Hooks as Hooks,
        RequestView as RequestView,
        ResponseView as ResponseView,
        RetryView as RetryView,
    )
    from ._core.pagination import Page as Page
    from ._core.raw import RawResponse as RawResponse
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
    "Hooks",
    "OmicallClient",
    "Page",
    "RawResponse",
    "RequestView",
    "ResponseView",
    "RetryView",
    "SyncIterator",
    "Tel4vnClient",
    "__version__",
    "errors",
)

_HOMES = {
    "Hooks": "._core.hooks",
    "RequestView": "._core.hooks",
    "ResponseView": "._core.hooks",
    "RetryView": "._core.hooks",
    "RawResponse": "._core.raw",
    "Page": "._core.pagination",
    "CallRecord": "._core.records",
    "CallStatus": "._core.records",
    "Direction": "._core.records",
    "AICallCenterClient": "._sync",
    "OmicallClient": "._sync",
    "SyncIterator": "._sync",
    "Tel4vnClient": "._sync",
    "AsyncAICallCenterClient": ".aicallcenter",
    "AsyncOmicallClient": ".omicall",
    "AsyncTel4vnClient": ".tel4vn",
}


def __getattr__(name: str) -> _typing.Any:
    """Import a public name from its module on first use."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_importlib.import_module(home, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """List the public names."""
    return list(__all__)
