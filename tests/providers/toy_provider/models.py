"""The toy API's wire records."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

import msgspec

from telcall import CallRecord, Direction

__all__ = ("ToyCall", "ToyToken")


class ToyToken(msgspec.Struct, frozen=True):
    """``GET /token``'s answer."""

    token: str


class ToyCall(msgspec.Struct, frozen=True):
    """One call of ``GET /calls``."""

    id: str
    started: int

    def to_call_record(self, tz: tzinfo) -> CallRecord:
        """The provider-neutral record."""
        started = datetime.fromtimestamp(self.started, UTC).astimezone(tz)
        return CallRecord(
            id=self.id, provider="toy", direction=Direction.OUTBOUND, started_at=started
        )
