"""What a receiver knows about one delivery, for callbacks that ask for it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import TypeAlias

import msgspec

from telcall.tel4vn.events import Event

__all__ = ("ATTEMPT_HEADER", "DeliveryContext", "EventCallback", "parse_attempt")

#: Header carrying the provider's attempt number (sent by telcall's simulator).
ATTEMPT_HEADER = "x-telcall-attempt"


class DeliveryContext(msgspec.Struct, frozen=True, kw_only=True):
    """How one hook delivery arrived; passed as ``on_event(event, context)`` when asked for.

    - ``headers``: the request headers, names lower-cased, the first value of
      each, *without* the api-key and signature headers.
    - ``remote``: the peer's address (a proxy's, behind one: see
      ``X-Forwarded-For`` in ``headers``); ``None`` when the server does not say.
    - ``received_at``: when the receiver started on the delivery (UTC).
    - ``attempt``: the provider's attempt number from ``X-Telcall-Attempt``
      (telcall's simulator sends it; TEL4VN documents none); ``None`` when it
      is absent or not a positive integer.
    """

    headers: Mapping[str, str]
    remote: str | None
    received_at: datetime
    attempt: int | None


EventCallback: TypeAlias = (
    Callable[[Event], Awaitable[None]] | Callable[[Event, DeliveryContext], Awaitable[None]]
)


def parse_attempt(value: str | None) -> int | None:
    """The attempt number in a header value, or ``None`` unless it is a positive integer."""
    if value is None:
        return None
    value = value.strip()
    if not value.isascii() or not value.isdigit() or len(value) > 9:
        return None
    return int(value) or None
