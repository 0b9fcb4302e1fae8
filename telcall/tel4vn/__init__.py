"""TEL4VN Call Center: the async client, its wire models and helpers."""

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
