"""AI Call Center (aicallcenter.vn): the async client, its wire models and helpers.

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
        is_valid_otp as is_valid_otp,
        is_valid_phone as is_valid_phone,
        normalize_phone as normalize_phone,
    )
    from .client import AsyncAICallCenterClient as AsyncAICallCenterClient
    from .models import (
        Call as Call,
        CampaignContact as CampaignContact,
        ImportBatch as ImportBatch,
        ImportedCall as ImportedCall,
        ImportResult as ImportResult,
        SkippedContact as SkippedContact,
        SkipReason as SkipReason,
    )

__all__ = (
    "PHONE_PATTERN",
    "AsyncAICallCenterClient",
    "Call",
    "CampaignContact",
    "ImportBatch",
    "ImportResult",
    "ImportedCall",
    "SkipReason",
    "SkippedContact",
    "is_valid_otp",
    "is_valid_phone",
    "normalize_phone",
)

_HOMES = {
    "PHONE_PATTERN": "._validation",
    "is_valid_otp": "._validation",
    "is_valid_phone": "._validation",
    "normalize_phone": "._validation",
    "AsyncAICallCenterClient": ".client",
    "Call": ".models",
    "CampaignContact": ".models",
    "ImportBatch": ".models",
    "ImportedCall": ".models",
    "ImportResult": ".models",
    "SkippedContact": ".models",
    "SkipReason": ".models",
}

__getattr__, __dir__ = _lazy_attributes(globals(), _HOMES)
