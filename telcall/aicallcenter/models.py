"""AI Call Center wire models: msgspec Structs that mirror the JSON exactly.

Every answer carries ``status``: 1 is success, 0 failure with a ``code``
(sent as a string or an integer) and a ``message``, often with HTTP 200.
Field names and order follow the seed's samples. :class:`ImportResult` and
its parts are telcall's own report of a batched import, not wire models.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo
from itertools import repeat
from typing import Any, Literal

import msgspec

from .._core.errors import TelcallError
from .._core.records import (
    DEFAULT_TZ,
    CallRecord,
    CallStatus,
    Direction,
    LocalTimes,
    none_if_empty,
    parse_local_time,
    texts,
)
from .._core.redaction import mask

__all__ = (
    "ANSWERED",
    "FAILED",
    "Call",
    "CallList",
    "CallListResponse",
    "CampaignContact",
    "Envelope",
    "ImportBatch",
    "ImportResponse",
    "ImportResult",
    "ImportedCall",
    "SkipReason",
    "SkippedContact",
    "TokenResponse",
    "TokenResults",
)

PROVIDER = "aicallcenter"

#: ``state`` of an answered call.
ANSWERED = 40
#: ``state`` of a call that failed.
FAILED = 50


class _Wire(msgspec.Struct, kw_only=True):
    """Base of every AI Call Center wire model."""


class Envelope(_Wire):
    """The fields every successful answer shares.

    Decoding requires the success markers, ``status: 1`` (sent as 1 or "1") and the answer's
    ``results``, so a ``status: 0`` refusal never reads as an empty result: the client maps it
    onto the error tree instead.
    """

    status: Literal[1, "1"]
    code: str | int | None = None
    message: str | None = None


# -- auth -------------------------------------------------------------------------------


class TokenResults(_Wire):
    """The new access token."""

    access_token: str = ""

    def __repr__(self) -> str:
        return f"TokenResults(access_token={mask(self.access_token)})"


class TokenResponse(Envelope, kw_only=True):
    """Answer of ``GET /api/users/generate-access-token``."""

    results: TokenResults


# -- import -----------------------------------------------------------------------------


class CampaignContact(msgspec.Struct, kw_only=True):
    """A contact to import: ``phone_number``, ``otp_code`` for voice OTP, and free fields.

    On the wire the personalisation keys the campaign's script uses
    (``danh_xung``, ``ho_ten``, ...) sit beside ``phone_number``;
    :meth:`to_wire` and :meth:`from_wire` move between the two forms.
    """

    phone_number: str
    otp_code: str | None = None
    fields: dict[str, Any] = msgspec.field(default_factory=dict)

    def to_wire(self) -> dict[str, Any]:
        """The JSON object the API expects."""
        wire: dict[str, Any] = {"phone_number": self.phone_number}
        if self.otp_code is not None:
            wire["otp_code"] = self.otp_code
        wire.update(self.fields)
        return wire

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> CampaignContact:
        """Split a wire object into phone number, OTP code and the rest."""
        extra = {k: v for k, v in data.items() if k not in ("phone_number", "otp_code")}
        return cls(phone_number=data["phone_number"], otp_code=data.get("otp_code"), fields=extra)


class ImportedCall(_Wire):
    """A contact the provider accepted, and the call it created."""

    phone_number: str
    call_id: int | str


class ImportResponse(Envelope, kw_only=True):
    """Answer of ``POST /api/campaigns/<id>/import``: ``message`` says "X of Y recorded"."""

    results: list[ImportedCall]


SkipReason = Literal[
    "invalid_phone",
    "invalid_otp",
    "duplicate",
    "not_accepted",
    "refused",
    "unconfirmed",
    "not_sent",
]


class SkippedContact(msgspec.Struct, kw_only=True, frozen=True):
    """A contact that is not (or not surely) imported, and why.

    ``index`` is its position in the list you passed. Reasons:
    ``invalid_phone``/``invalid_otp`` (never sent), ``duplicate`` (an earlier
    contact has the same phone), ``not_accepted`` (sent, but the provider's
    answer does not list it), ``refused`` (its batch was answered with an
    error: not imported), ``unconfirmed`` (its batch failed after it may have
    reached the provider: it may or may not be imported; check before
    re-sending), ``not_sent`` (an earlier batch failed, so it was not sent).
    """

    index: int
    phone_number: str
    reason: SkipReason
    detail: str = ""


class ImportBatch(msgspec.Struct, kw_only=True):
    """One request of a batched import and what became of it."""

    number: int
    phones: list[str]
    outcome: Literal["confirmed", "refused", "unconfirmed", "not_sent"]
    message: str = ""


class ImportResult(msgspec.Struct, kw_only=True):
    """What a batched import did: accepted calls, skipped contacts, per-batch outcomes.

    ``error`` is the failure that stopped the import after it may have
    changed something on the provider's side (batches already confirmed, or
    a batch whose fate is unknown); later batches were not sent.
    """

    accepted: list[ImportedCall] = msgspec.field(default_factory=list)
    skipped: list[SkippedContact] = msgspec.field(default_factory=list)
    batches: list[ImportBatch] = msgspec.field(default_factory=list)
    error: TelcallError | None = None

    @property
    def complete(self) -> bool:
        """Whether every batch was sent and answered."""
        return self.error is None

    @property
    def unconfirmed(self) -> list[str]:
        """Phones whose batch failed after it may have been imported."""
        return [s.phone_number for s in self.skipped if s.reason == "unconfirmed"]

    def raise_for_error(self) -> None:
        """Raise :attr:`error` if the import stopped early."""
        if self.error is not None:
            raise self.error


# -- call export ------------------------------------------------------------------------


class Call(_Wire, gc=False):
    """One call of a campaign export or of a user's call log.

    ``called_at`` is naive local time (``YYYY-MM-DD HH:MM:SS``); ``duration``
    the seconds the callee listened; ``state`` 40 answered, 50 failed. Untracked by the
    garbage collector (``gc=False``): strings and integers cannot form cycles.
    """

    call_id: str | int = ""
    caller_id: str = ""
    callee_id: str = ""
    called_at: str = ""
    duration: int = 0
    key_press: str | None = None
    note: str | None = None
    state: int | None = None

    def to_call_record(self, tz: tzinfo | None = None) -> CallRecord:
        """Convert to the provider-neutral record; ``called_at`` is read in ``tz``."""
        status = _STATES.get(self.state, CallStatus.UNKNOWN)
        # Fields by position, in CallRecord's order: msgspec builds it ~10x faster than by
        # keyword. to_call_records() below is the same mapping, a column at a time.
        return CallRecord(
            str(self.call_id),
            PROVIDER,
            # The service places calls; it does not take them.
            Direction.OUTBOUND,
            none_if_empty(self.caller_id),
            none_if_empty(self.callee_id),
            None,
            parse_local_time(self.called_at, tz or DEFAULT_TZ),
            None,
            None,
            self.duration,
            _billsec(self.duration, status),
            status,
            _raw_state(self.state),
            none_if_empty(self.note),
        )

    @staticmethod
    def to_call_records(calls: Sequence[Call], tz: tzinfo | None = None) -> list[CallRecord]:
        """``to_call_record()`` of each, a column at a time (what pages and exports use)."""
        called = [call.called_at for call in calls]
        time = LocalTimes(tz or DEFAULT_TZ).fill(called).__getitem__
        states = [call.state for call in calls]
        statuses = list(map(_STATES.get, states, repeat(CallStatus.UNKNOWN)))
        durations = [call.duration for call in calls]
        return list(
            map(
                CallRecord,
                map(str, [call.call_id for call in calls]),
                repeat(PROVIDER),
                repeat(Direction.OUTBOUND),
                texts([call.caller_id for call in calls]),
                texts([call.callee_id for call in calls]),
                repeat(None),
                map(time, called),
                repeat(None),
                repeat(None),
                durations,
                map(_billsec, durations, statuses),
                statuses,
                map(_raw_state, states),
                texts([call.note for call in calls]),
            )
        )


_STATES: dict[int | None, CallStatus] = {ANSWERED: CallStatus.ANSWERED, FAILED: CallStatus.FAILED}


def _billsec(duration: int, status: CallStatus) -> int:
    # The service reports one duration: the talk time of an answered call.
    return duration if status is CallStatus.ANSWERED else 0


def _raw_state(state: int | None) -> str | None:
    return None if state is None else str(state)


class CallList(_Wire, kw_only=True):
    """``results`` of the export and call-log answers (the call log sends no ``limit``)."""

    limit: int | None = None
    total: int | None = None
    calls: list[Call]


class CallListResponse(Envelope, kw_only=True):
    """Answer of ``GET /api/campaigns/<id>/export`` and ``GET /api/users/call-log``."""

    results: CallList
