"""TEL4VN wire models: msgspec Structs that mirror the JSON exactly.

Field names and order follow the documented samples (decoding is fastest in
that order). Unknown fields are ignored; every field but an object's id has
a default, because real responses omit what the samples show. Conversion to
the provider-neutral :class:`~telcall.CallRecord` is ``to_call_record()``,
done only when asked for.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo
from itertools import repeat
from typing import Annotated, Any, Literal

import msgspec

from .._core.records import (
    DEFAULT_TZ,
    CallRecord,
    LocalTimes,
    direction_from_text,
    direction_of,
    directions,
    none_if_empty,
    parse_local_time,
    status_from_text,
    talk_seconds,
    texts,
)
from .._core.redaction import mask

__all__ = (
    "EVENT_NAMES",
    "AnyCdr",
    "AutocallCustomer",
    "AutocallImport",
    "AutocallImportResult",
    "AutocallResult",
    "AutodialerCustomer",
    "AutodialerQueue",
    "AutodialerResult",
    "CallControlResult",
    "Cdr",
    "CdrMapping",
    "CdrPage",
    "Click2CallResult",
    "Coded",
    "Customer",
    "CustomerCreated",
    "CustomerList",
    "CustomerResponse",
    "EventCreated",
    "EventDeleted",
    "EventHook",
    "EventHookList",
    "EventName",
    "FlexCdr",
    "FlexCdrPage",
    "LiveCall",
    "LiveCallList",
    "LoginData",
    "LoginResponse",
    "NewCustomer",
    "Outcome",
    "RawCdrPage",
    "TokenData",
    "TokenResponse",
    "UserStatus",
    "UserStatusResponse",
)

PROVIDER = "tel4vn"

EventName = Literal["hangup", "ringing", "answered", "cdr"]
EVENT_NAMES: frozenset[str] = frozenset({"hangup", "ringing", "answered", "cdr"})

CdrMapping = Literal["auto", "default", "flex"]


class _Wire(msgspec.Struct, kw_only=True):
    """Base of every TEL4VN wire model."""


# -- success markers ------------------------------------------------------------
#
# A success type requires what a success carries, so that a refusal never decodes as one: it
# fails the typed decode and the client maps the body onto the error tree instead (see
# ``AsyncTel4vnClient._classify``). An envelope's ``data`` key is required where a success has
# one: ``{"status": "fail", "error": "INTERNAL_ERROR"}`` must not read as an empty page.

#: ``status`` of a successful outcome (any letter case).
_SuccessStatus = Annotated[str, msgspec.Meta(pattern=r"^(?i:success)\Z")]
#: ``message`` of a successful autodialer answer.
_SuccessMessage = Annotated[str, msgspec.Meta(pattern=r"^\s*(?i:successfully)\s*$")]
#: ``code`` of a successful coded envelope: the codes mirror HTTP statuses.
_SuccessCode = Annotated[int, msgspec.Meta(lt=400)]


class Coded(_Wire):
    """Base of the envelopes whose ``code`` mirrors an HTTP status, even with HTTP 200.

    A success needs ``code`` < 400: ``{"code": 404, "content": "queue not found"}`` does not
    decode as one, and the client raises the error its code stands for.
    """

    code: _SuccessCode
    content: str = ""


# -- auth ---------------------------------------------------------------------


class LoginData(_Wire):
    """The account behind a username/password (``POST /v1/auth``)."""

    api_key: str = ""
    domain_uuid: str = ""
    enabled: str = ""
    extension: str = ""
    level: str = ""
    user_uuid: str = ""
    username: str = ""

    def __repr__(self) -> str:
        return (
            f"LoginData(api_key={mask(self.api_key)}, domain_uuid={self.domain_uuid!r}, "
            f"extension={self.extension!r}, level={self.level!r}, username={self.username!r})"
        )


# Login is coded: ``POST /v1/auth`` answers with the same ``{code, content, data}`` envelope as
# the token call, so a login refused with HTTP 200 (``{"code": 401, ...}``) raises
# AuthenticationError instead of returning an empty account.
class LoginResponse(Coded, kw_only=True):
    """Envelope of ``POST /v1/auth``."""

    data: LoginData


class TokenData(_Wire):
    """An access token (``POST /v2/auth/token``); ``expired_in`` is its lifetime in seconds."""

    client_id: str = ""
    domain_uuid: str = ""
    expired_in: int = 0
    refresh_token: str = ""
    token: str = ""
    token_type: str = "Bearer"
    user_id: str = ""

    def __repr__(self) -> str:
        return (
            f"TokenData(client_id={self.client_id!r}, expired_in={self.expired_in}, "
            f"token={mask(self.token)}, token_type={self.token_type!r})"
        )


class TokenResponse(Coded, kw_only=True):
    """Envelope of ``POST /v2/auth/token``."""

    data: TokenData


# -- outcome bodies -------------------------------------------------------------


class Outcome(_Wire):
    """Bodies that say ``status: "success" | "fail"``; a fail is an error even with HTTP 200."""

    status: _SuccessStatus
    error: str | None = None
    message: str | None = None


# -- event hooks ----------------------------------------------------------------


class EventHook(_Wire):
    """One webhook subscription (``GET /v1/event``)."""

    event_domain_uuid: str
    domain_uuid: str = ""
    domain_name: str = ""
    event_name: str = ""
    callback_url: str = ""
    callback_apikey: str | None = None

    def __repr__(self) -> str:
        return (
            f"EventHook(event_domain_uuid={self.event_domain_uuid!r}, "
            f"event_name={self.event_name!r}, callback_url={self.callback_url!r}, "
            f"callback_apikey={mask(self.callback_apikey)})"
        )


class EventHookList(_Wire):
    """Envelope of ``GET /v1/event``."""

    data: list[EventHook]


class EventCreated(_Wire):
    """Answer of ``POST /v1/event``; ``created: false`` raises ProviderError instead."""

    created: Literal[True]


class EventDeleted(_Wire):
    """Answer of ``DELETE /v1/event/<id>``; ``deleted: false`` raises ProviderError instead."""

    deleted: Literal[True]


# -- CDRs -----------------------------------------------------------------------


class Cdr(_Wire, gc=False):
    """A call detail record in the *default* mapping.

    Untracked by the garbage collector (``gc=False``: its fields are strings and integers,
    which cannot form cycles): a 100k-record page decodes ~20 % faster without the
    collections its allocations would trigger. Documented quirks decode as they come:
    ``direction`` may be an integer,
    ``time_answered`` is ``""`` when unanswered, ids may carry a trailing
    space (use :attr:`cdr_id`), statuses are upper case.
    """

    id: str
    sip_call_id: str = ""
    cause: str = ""
    duration: int = 0
    direction: str | int = ""
    recording_url: str = ""
    extension: str = ""
    from_number: str = ""
    to_number: str = ""
    receive_dest: str = ""
    time_started: str = ""
    time_answered: str = ""
    time_ended: str = ""
    status: str = ""
    customer_id: str = ""

    @property
    def cdr_id(self) -> str:
        """The id with surrounding whitespace removed."""
        return self.id.strip()

    def to_call_record(self, tz: tzinfo | None = None) -> CallRecord:
        """Convert to the provider-neutral record; naive times are read in ``tz``."""
        zone = tz or DEFAULT_TZ
        answered = parse_local_time(self.time_answered, zone)
        ended = parse_local_time(self.time_ended, zone)
        # Fields by position, in CallRecord's order: msgspec builds it ~10x faster than by
        # keyword. to_call_records() below is the same mapping, a column at a time.
        return CallRecord(
            self.id.strip(),
            PROVIDER,
            direction_of(self.direction, self.from_number, self.to_number),
            none_if_empty(self.from_number),
            none_if_empty(self.to_number),
            none_if_empty(self.extension),
            parse_local_time(self.time_started, zone),
            answered,
            ended,
            self.duration,
            talk_seconds(answered, ended),
            status_from_text(self.status),
            none_if_empty(self.status),
            none_if_empty(self.cause),
            none_if_empty(self.recording_url),
            none_if_empty(self.customer_id),
        )

    @staticmethod
    def to_call_records(cdrs: Sequence[Cdr], tz: tzinfo | None = None) -> list[CallRecord]:
        """``to_call_record()`` of each, a column at a time (what pages and exports use)."""
        started = [cdr.time_started for cdr in cdrs]
        answered = [cdr.time_answered for cdr in cdrs]
        ended = [cdr.time_ended for cdr in cdrs]
        time = LocalTimes(tz or DEFAULT_TZ).fill(started, answered, ended).__getitem__
        answered_at, ended_at = list(map(time, answered)), list(map(time, ended))
        from_numbers = [cdr.from_number for cdr in cdrs]
        to_numbers = [cdr.to_number for cdr in cdrs]
        statuses = [cdr.status for cdr in cdrs]
        return list(
            map(
                CallRecord,
                map(str.strip, [cdr.id for cdr in cdrs]),
                repeat(PROVIDER),
                directions([cdr.direction for cdr in cdrs], from_numbers, to_numbers),
                texts(from_numbers),
                texts(to_numbers),
                texts([cdr.extension for cdr in cdrs]),
                map(time, started),
                answered_at,
                ended_at,
                [cdr.duration for cdr in cdrs],
                map(talk_seconds, answered_at, ended_at),
                map(status_from_text, statuses),
                texts(statuses),
                texts([cdr.cause for cdr in cdrs]),
                texts([cdr.recording_url for cdr in cdrs]),
                texts([cdr.customer_id for cdr in cdrs]),
            )
        )


class FlexCdr(_Wire, gc=False):
    """A call detail record in the *flex* mapping (camelCase, lower-case statuses; ``gc=False``)."""

    cdrId: str
    sip_call_id: str = ""
    recordFile: str = ""
    extensionId: str = ""
    to: str = ""
    hangupAt: str = ""
    answeredAt: str = ""
    ringAt: str = ""
    dialAt: str = ""
    status: str = ""
    duration: int = 0
    direction: str | int = ""
    billsec: int = 0
    customerId: str = ""

    @property
    def id(self) -> str:
        """``cdrId`` under the default mapping's name, so both mappings read alike."""
        return self.cdrId

    @property
    def cdr_id(self) -> str:
        """The id with surrounding whitespace removed."""
        return self.cdrId.strip()

    def to_call_record(self, tz: tzinfo | None = None) -> CallRecord:
        """Convert to the provider-neutral record; naive times are read in ``tz``."""
        zone = tz or DEFAULT_TZ
        return CallRecord(
            self.cdrId.strip(),
            PROVIDER,
            direction_from_text(self.direction),
            None,
            none_if_empty(self.to),
            none_if_empty(self.extensionId),
            parse_local_time(self.dialAt, zone),
            parse_local_time(self.answeredAt, zone),
            parse_local_time(self.hangupAt, zone),
            self.duration,
            self.billsec,
            status_from_text(self.status),
            none_if_empty(self.status),
            None,
            none_if_empty(self.recordFile),
            none_if_empty(self.customerId),
        )

    @staticmethod
    def to_call_records(cdrs: Sequence[FlexCdr], tz: tzinfo | None = None) -> list[CallRecord]:
        """``to_call_record()`` of each, a column at a time (what pages and exports use)."""
        dialed = [cdr.dialAt for cdr in cdrs]
        answered = [cdr.answeredAt for cdr in cdrs]
        hung_up = [cdr.hangupAt for cdr in cdrs]
        time = LocalTimes(tz or DEFAULT_TZ).fill(dialed, answered, hung_up).__getitem__
        statuses = [cdr.status for cdr in cdrs]
        return list(
            map(
                CallRecord,
                map(str.strip, [cdr.cdrId for cdr in cdrs]),
                repeat(PROVIDER),
                map(direction_from_text, [cdr.direction for cdr in cdrs]),
                repeat(None),
                texts([cdr.to for cdr in cdrs]),
                texts([cdr.extensionId for cdr in cdrs]),
                map(time, dialed),
                map(time, answered),
                map(time, hung_up),
                [cdr.duration for cdr in cdrs],
                [cdr.billsec for cdr in cdrs],
                map(status_from_text, statuses),
                texts(statuses),
                repeat(None),
                texts([cdr.recordFile for cdr in cdrs]),
                texts([cdr.customerId for cdr in cdrs]),
            )
        )


class CdrPage(_Wire):
    """``GET /v2/cdr`` in the default mapping: paginated or scrolled."""

    data: list[Cdr]
    limit: int | None = None
    offset: int | None = None
    total: int | None = None
    scroll_id: str | None = None


#: Either CDR shape; real classes, not strings, so that modules re-exporting it resolve it.
AnyCdr = Cdr | FlexCdr


class FlexCdrPage(_Wire):
    """``GET /v2/cdr`` in the flex mapping."""

    data: list[FlexCdr]
    limit: int | None = None
    offset: int | None = None
    total: int | None = None
    scroll_id: str | None = None


class RawCdrPage(_Wire):
    """A page whose records are decoded one by one (mixed mappings)."""

    data: list[msgspec.Raw]
    limit: int | None = None
    offset: int | None = None
    total: int | None = None
    scroll_id: str | None = None


# -- click-to-call and live calls -------------------------------------------------


class Click2CallResult(Outcome):
    """Answer of the three click-to-call endpoints; ``code`` only on ``POST /v2/click2call``."""

    code: str | None = None
    call_id: str = ""


class LiveCall(_Wire):
    """A call in progress (``GET /v2/call``)."""

    call_id: str
    context: str = ""
    created_time: str = ""
    destination: str = ""
    direction: str = ""
    ip: str = ""
    source: str = ""
    state: str = ""


class LiveCallList(_Wire):
    """Envelope of ``GET /v2/call``."""

    data: list[LiveCall]
    total: int = 0


class CallControlResult(Outcome):
    """Answer of transfer / listen / whisper / barge."""

    call_id: str = ""
    ext: str = ""


# -- autodialer -------------------------------------------------------------------


class AutodialerCustomer(_Wire):
    """A customer to dial: an id and one or more mobile numbers."""

    id: str
    mobiles: list[str]


class AutodialerQueue(_Wire, omit_defaults=True):
    """Body of ``POST /v2/autodialer/queue`` (numbers travel as strings, as in the sample)."""

    campaign_id: str
    queue_code: str
    precall_ratio: str
    max_recall_count: str
    queue_agents: str
    customers: list[AutodialerCustomer]


class AutodialerResult(_Wire):
    """Autodialer answers: ``{"message": "successfully"}``; any other message is an error."""

    message: _SuccessMessage


# -- autocall ---------------------------------------------------------------------


class AutocallCustomer(msgspec.Struct, kw_only=True):
    """A customer for an IVR queue; ``fields`` are the template's free-form extras.

    On the wire the extras sit beside ``id`` and ``mobiles``
    (``contract_number``, ``due_date``, ``dpd``, ...); :meth:`to_wire` and
    :meth:`from_wire` move between the two forms without losing any.
    """

    id: str
    mobiles: list[str]
    fields: dict[str, Any] = msgspec.field(default_factory=dict)

    def to_wire(self) -> dict[str, Any]:
        """The JSON object the API expects."""
        return {"id": self.id, "mobiles": list(self.mobiles), **self.fields}

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> AutocallCustomer:
        """Split a wire object into id, mobiles and extras."""
        extra = {k: v for k, v in data.items() if k not in ("id", "mobiles")}
        return cls(id=str(data["id"]), mobiles=[str(m) for m in data["mobiles"]], fields=extra)


class AutocallImport(_Wire):
    """Lists of customer ids the autocall import accepted and refused."""

    fail: list[Any] = msgspec.field(default_factory=list)
    success: list[Any] = msgspec.field(default_factory=list)


class AutocallImportResult(Coded, kw_only=True):
    """Answer of ``POST /v2/autocall/queue``."""

    data: AutocallImport


class AutocallResult(Coded):
    """Answer of the autocall queue controls: ``{"code": 200, "content": "successfully"}``."""


# -- users --------------------------------------------------------------------------


class UserStatus(_Wire):
    """An agent's status (``GET /v2/user/<id>/status``)."""

    agent_name: str = ""
    ext_loggedin: str | bool = ""
    extension: str = ""
    user_uuid: str = ""
    username: str = ""

    @property
    def logged_in(self) -> bool:
        """Whether the extension is logged in on a softphone (the wire sends "true"/"false")."""
        value = self.ext_loggedin
        return value if isinstance(value, bool) else value.strip().lower() == "true"


class UserStatusResponse(Coded, kw_only=True):
    """Envelope of the user-status call."""

    data: UserStatus


# -- customers ------------------------------------------------------------------------


class Customer(_Wire):
    """A customer uploaded for autodialing (``/v2/customer``).

    ``updated_at`` is Go's zero time ``0001-01-01T00:00:00Z`` when never updated.
    """

    campaign_id: str = ""
    contract_number: str = ""
    created_at: str = ""
    customer_code: str = ""
    customer_id: str = ""
    customer_name: str = ""
    phone_number: str = ""
    status: str = ""
    updated_at: str = ""
    after_day: int | None = None


class CustomerList(Coded, kw_only=True):
    """Envelope of ``GET /v2/customer``."""

    data: list[Customer]
    limit: int | None = None
    offset: int | None = None
    total: int | None = None


class CustomerResponse(Coded, kw_only=True):
    """Envelope of ``GET /v2/customer/<id>``."""

    data: Customer


class NewCustomer(_Wire, omit_defaults=True):
    """Body of ``POST /v2/customer``."""

    campaign_id: str
    customer_code: str
    phone_number: str
    contract_number: str
    customer_name: str | None = None
    after_day: int | None = None


class CustomerCreated(Coded, kw_only=True):
    """Answer of ``POST /v2/customer``: the new customer's id."""

    id: str
