"""Receiving provider event hooks: authentication, de-duplication, typed events.

``WebhookReceiver`` mounts on aiohttp.web or runs as an ASGI app; the typed
TEL4VN payloads it hands to your callback live in :mod:`telcall.tel4vn.events`.
"""

from telcall.webhooks._dedupe import (
    DedupeStore as DedupeStore,
    MemoryDedupeStore as MemoryDedupeStore,
)
from telcall.webhooks._receiver import WebhookReceiver as WebhookReceiver

__all__ = ("DedupeStore", "MemoryDedupeStore", "WebhookReceiver")
