"""AI Call Center (aicallcenter.vn): the async client, its wire models and helpers."""

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
