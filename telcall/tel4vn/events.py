"""Typed TEL4VN event-hook payloads.

TEL4VN POSTs one JSON object per call event to a subscription's
``callback_url``; its ``state`` says which event it is (``ringing``,
``answered``, ``hangup``, ``cdr``).  :func:`parse_event` decodes a raw body
into the matching Struct of the :data:`Event` union.

Deliveries can be repeated (the provider retries on timeout) and can arrive
out of order, so every event carries :attr:`~RingingEvent.dedupe_key` and
:attr:`~RingingEvent.sequence` (ringing 1 < answered 2 < hangup 3 < cdr 4).
For inbound calls that ring several extensions, ringing/answered/hangup carry
the per-extension ``call_id`` while ``cdr`` carries the id of the whole flow.
"""

from __future__ import annotations

from datetime import tzinfo
from typing import ClassVar, Final, Literal, TypeAlias

import msgspec

from telcall._core.errors import ValidationError
from telcall._core.records import (
    CallRecord,
    direction_of,
    none_if_empty,
    parse_local_time,
    resolve_tz,
    status_from_text,
    talk_seconds,
)

__all__ = (
    "AnsweredEvent",
    "CdrEvent",
    "Event",
    "EventState",
    "HangupEvent",
    "RingingEvent",
    "parse_event",
)

EventState: TypeAlias = Literal["ringing", "answered", "hangup", "cdr"]

_SEQUENCE: Final[dict[str, int]] = {"ringing": 1, "answered": 2, "hangup": 3, "cdr": 4}


class _BaseEvent(msgspec.Struct, frozen=True, tag_field="state"):
    """Fields every TEL4VN hook payload shares, in the documented order."""

    state: ClassVar[EventState]

    call_id: str
    sip_call_id: str = ""
    domain: str = ""
    # Documented as "inbound"/"outbound", but the same PBX's CDR default mapping sends
    # an integer; refusing it would make the provider retry a payload we can never read.
    direction: str | int = ""
    from_number: str = ""
    to_number: str = ""
    hotline: str = ""
    application: str = ""
    ref_id: str = ""
    time_started: str = ""
    time_answered: str = ""
    time_ended: str = ""

    @property
    def sequence(self) -> int:
        """Position of this state in a call's life: ringing 1, answered 2, hangup 3, cdr 4."""
        return _SEQUENCE[self.state]

    @property
    def dedupe_key(self) -> tuple[str, str]:
        """``(call_id, state)``: the identity of one delivery, repeated on retries."""
        return (self.call_id, self.state)


class RingingEvent(_BaseEvent, frozen=True, tag="ringing"):
    """The call was created and is ringing."""

    state: ClassVar[EventState] = "ringing"


class AnsweredEvent(_BaseEvent, frozen=True, tag="answered"):
    """The callee picked up."""

    state: ClassVar[EventState] = "answered"


class HangupEvent(_BaseEvent, frozen=True, tag="hangup"):
    """The call ended; ``duration`` is the whole call, ``billsec`` the talk time (seconds)."""

    state: ClassVar[EventState] = "hangup"

    duration: int = 0
    billsec: int = 0
    # Not in the field table, but present in the documented sample payload.
    recording_url: str = ""


class CdrEvent(_BaseEvent, frozen=True, tag="cdr"):
    """The PBX finished writing the call's CDR; convert it with :meth:`to_call_record`."""

    state: ClassVar[EventState] = "cdr"

    duration: int = 0
    billsec: int | None = None
    recording_url: str = ""
    status: str = ""

    def to_call_record(self, tz: str | tzinfo | None = None) -> CallRecord:
        """Convert to a provider-neutral :class:`CallRecord`.

        Naive times are read in ``tz`` (default ``Asia/Ho_Chi_Minh``); ``""``
        becomes ``None``.  When the payload has no ``billsec``, talk time is
        derived from the answer and end times.
        """
        zone = resolve_tz(tz)
        started = parse_local_time(self.time_started, zone)
        answered = parse_local_time(self.time_answered, zone)
        ended = parse_local_time(self.time_ended, zone)
        billsec = self.billsec
        if billsec is None:
            billsec = talk_seconds(answered, ended)
        return CallRecord(
            id=self.call_id.strip(),
            provider="tel4vn",
            direction=direction_of(self.direction, self.from_number, self.to_number),
            from_number=none_if_empty(self.from_number),
            to_number=none_if_empty(self.to_number),
            started_at=started,
            answered_at=answered,
            ended_at=ended,
            duration=self.duration,
            billsec=billsec,
            status=status_from_text(self.status),
            raw_status=none_if_empty(self.status),
            recording_url=none_if_empty(self.recording_url),
        )


Event: TypeAlias = RingingEvent | AnsweredEvent | HangupEvent | CdrEvent

_DECODER: Final[msgspec.json.Decoder[Event]] = msgspec.json.Decoder(Event)


class _StateOnly(msgspec.Struct):
    """Just the tag, decoded again only to explain a rejected payload."""

    state: object = None


_STATE_DECODER: Final[msgspec.json.Decoder[_StateOnly]] = msgspec.json.Decoder(_StateOnly)


def parse_event(body: bytes) -> Event:
    """Decode one hook body into its typed event.

    Raises :class:`telcall.errors.ValidationError` (a ``ValueError``) whose
    message is one short reason: ``not JSON``, ``nested too deeply``,
    ``unknown event state 'foo'``, ``event has no call_id`` (empty or blank),
    or ``invalid event: ...`` with the shape problem (e.g. a missing ``call_id``).
    """
    try:
        event = _DECODER.decode(body)
    except msgspec.ValidationError as exc:
        raise ValidationError(_shape_reason(body, exc)) from None
    except msgspec.DecodeError:
        raise ValidationError("not JSON") from None
    except RecursionError:
        # msgspec recurses once per nesting level, even through fields it skips.
        raise ValidationError("nested too deeply") from None
    if not event.call_id.strip():
        # An id-less event cannot be de-duplicated: its key would match every other one.
        raise ValidationError("event has no call_id")
    return event


def _shape_reason(body: bytes, exc: msgspec.ValidationError) -> str:
    try:
        state = _STATE_DECODER.decode(body).state
    except (msgspec.ValidationError, RecursionError):
        # Not even an object: msgspec's own message ("Expected `object`, got `array`") says it.
        return f"invalid event: {exc}"
    except msgspec.DecodeError:
        # The typed decode stopped at a field before it reached the malformed end.
        return "not JSON"
    if isinstance(state, str) and state not in _SEQUENCE:
        return f"unknown event state {state[:40]!r}"
    return f"invalid event: {exc}"
