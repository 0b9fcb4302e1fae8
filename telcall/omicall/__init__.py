"""OMICall: the async client, its wire models and helpers.

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
    from .client import AsyncOmicallClient as AsyncOmicallClient
    from .models import (
        CallTransaction as CallTransaction,
        Contact as Contact,
        ContactEmail as ContactEmail,
        ContactFilter as ContactFilter,
        ContactNote as ContactNote,
        ContactPhone as ContactPhone,
        DynamicAttribute as DynamicAttribute,
        DynamicAttributeValue as DynamicAttributeValue,
        Envelope as Envelope,
        LayoutAttribute as LayoutAttribute,
        MoreInformation as MoreInformation,
        NewContact as NewContact,
    )

__all__ = (
    "PHONE_PATTERN",
    "AsyncOmicallClient",
    "CallTransaction",
    "Contact",
    "ContactEmail",
    "ContactFilter",
    "ContactNote",
    "ContactPhone",
    "DynamicAttribute",
    "DynamicAttributeValue",
    "Envelope",
    "LayoutAttribute",
    "MoreInformation",
    "NewContact",
    "is_valid_phone",
    "normalize_phone",
)

_HOMES = {
    "PHONE_PATTERN": "._validation",
    "is_valid_phone": "._validation",
    "normalize_phone": "._validation",
    "AsyncOmicallClient": ".client",
    "CallTransaction": ".models",
    "Contact": ".models",
    "ContactEmail": ".models",
    "ContactFilter": ".models",
    "ContactNote": ".models",
    "ContactPhone": ".models",
    "DynamicAttribute": ".models",
    "DynamicAttributeValue": ".models",
    "Envelope": ".models",
    "LayoutAttribute": ".models",
    "MoreInformation": ".models",
    "NewContact": ".models",
}

__getattr__, __dir__ = _lazy_attributes(globals(), _HOMES)
