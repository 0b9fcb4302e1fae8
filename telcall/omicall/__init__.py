"""OMICall: the async client, its wire models and helpers."""

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
