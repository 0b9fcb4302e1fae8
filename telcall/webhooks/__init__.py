"""Receiving provider event hooks: authentication, de-duplication, typed events.

``WebhookReceiver`` mounts on aiohttp.web, runs as an ASGI app, or answers a
Starlette request; the typed TEL4VN payloads it hands to your callback live
in :mod:`telcall.tel4vn.events`.
"""

from telcall.webhooks._context import DeliveryContext as DeliveryContext
from telcall.webhooks._dedupe import (
    DedupeState as DedupeState,
    DedupeStore as DedupeStore,
    MemoryDedupeStore as MemoryDedupeStore,
    TwoPhaseDedupeStore as TwoPhaseDedupeStore,
)
from telcall.webhooks._receiver import WebhookReceiver as WebhookReceiver

__all__ = (
    "DedupeState",
    "DedupeStore",
    "DeliveryContext",
    "MemoryDedupeStore",
    "TwoPhaseDedupeStore",
    "WebhookReceiver",
)
