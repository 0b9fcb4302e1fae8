"""TEL4VN Call Center: the async client, its wire models and helpers.

Names load on first use: the package is imported whenever its spec is read (the pytest
plugin does in every test run), which must not load aiohttp and the client.
"""

from __future__ import annotations

import typing as _typing

from .._core.lazy import lazy_attributes as _lazy_attributes
from ._spec import SPEC as SPEC

if _typing.TYPE_CHECKING:
    from ._validation import (
        PHONE_PATTERN as PHONE_PATTERN,
        is_valid_phone as is_valid_phone,
        normalize_phone as normalize_phone,
    )
    from .client import AsyncTel4vnClient as AsyncTel4vnClient
    from .models import (
        AnyCdr as AnyCdr,
        AutocallCustomer as AutocallCustomer,
        AutodialerCustomer as AutodialerCustomer,
        Cdr as Cdr,
        CdrMapping as CdrMapping,
        Customer as Customer,
        EventHook as EventHook,
        EventName as EventName,
        FlexCdr as FlexCdr,
    )

__all__ = (
    "PHONE_PATTERN",
    "AnyCdr",
    "AsyncTel4vnClient",
    "AutocallCustomer",
    "AutodialerCustomer",
    "Cdr",
    "CdrMapping",
    "Customer",
    "EventHook",
    "EventName",
    "FlexCdr",
    "is_valid_phone",
    "normalize_phone",
)

_HOMES = {
    "PHONE_PATTERN": "._validation",
    "is_valid_phone": "._validation",
    "normalize_phone": "._validation",
    "AsyncTel4vnClient": ".client",
    "AnyCdr": ".models",
    "AutocallCustomer": ".models",
    "AutodialerCustomer": ".models",
    "Cdr": ".models",
    "CdrMapping": ".models",
    "Customer": ".models",
    "EventHook": ".models",
    "EventName": ".models",
    "FlexCdr": ".models",
}

__getattr__, __dir__ = _lazy_attributes(globals(), _HOMES)
