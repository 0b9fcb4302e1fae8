"""OMICall wire models: msgspec Structs that mirror the JSON exactly.

Every answer is wrapped in :class:`Envelope`; ``status_code`` 9999 is
success and -9999 failure (the payload is then ``{status, error, message}``,
often with HTTP 200). Field names keep the provider's spelling
(``more_infomation``, ``fullName``, ``refId``, ``valueType``) and the order of
the documented samples. The seed documents request bodies but not the
answers of the contact calls: decision — a contact answer's payload is the
contact object, and the acknowledgements (delete, add-more, add-note) are
returned as the envelope with the payload untouched.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo
from itertools import repeat
from typing import Any, Generic, Literal, TypeVar

import msgspec

from .._core.records import (
    DEFAULT_TZ,
    CallRecord,
    CallStatus,
    direction_from_text,
    from_epoch_ms,
    from_epoch_s,
    none_if_empty,
    status_from_text,
    texts,
)
from .._core.redaction import mask

__all__ = (
    "FAILURE",
    "SUCCESS",
    "CallTag",
    "CallTransaction",
    "CallTransactionPage",
    "CallUser",
    "Contact",
    "ContactEmail",
    "ContactFilter",
    "ContactNote",
    "ContactPage",
    "ContactPhone",
    "ContactUpdate",
    "CreatedBy",
    "DynamicAttribute",
    "DynamicAttributeValue",
    "Envelope",
    "Failure",
    "Gender",
    "LayoutAttribute",
    "MoreInformation",
    "NewContact",
    "TokenPayload",
)

PROVIDER = "omicall"

#: ``status_code`` of a successful answer.
SUCCESS = 9999
#: ``status_code`` of a refused one.
FAILURE = -9999

Gender = Literal["other", "male", "female"]

P = TypeVar("P")


class _Wire(msgspec.Struct, kw_only=True):
    """Base of every OMICall wire model."""


class Envelope(_Wire, Generic[P], kw_only=True):
    """A successful OMICall answer; ``payload`` holds the result.

    Decoding requires the success markers, ``status_code: 9999`` and a ``payload`` of the
    expected type (``Envelope[Any]``, the acknowledgements, takes any payload, ``null``
    included), so a ``-9999`` refusal never reads as an empty result: the client maps it onto
    the error tree instead.
    """

    instance_id: str = ""
    payload: P
    instance_version: str = ""
    key_enabled: bool = False
    status_code: Literal[9999]


class Failure(_Wire):
    """The payload of a ``status_code: -9999`` answer."""

    status: str = ""
    error: str | None = None
    message: str | None = None


# -- auth -------------------------------------------------------------------------------


class TokenPayload(_Wire):
    """``GET /api/auth``: a Bearer token valid for 24 hours."""

    access_token: str = ""
    token_type: str = "Bearer"
    access_type: str | None = None

    def __repr__(self) -> str:
        return (
            f"TokenPayload(access_token={mask(self.access_token)}, "
            f"token_type={self.token_type!r}, access_type={self.access_type!r})"
        )


# -- contacts ---------------------------------------------------------------------------


class ContactPhone(_Wire, omit_defaults=True):
    """A phone number: ``type`` home/personal/office, ``valueType`` its label (Nhà, Cá nhân, …)."""

    data: str
    type: str | None = None
    valueType: str | None = None


class ContactEmail(_Wire, omit_defaults=True):
    """An e-mail address, typed like :class:`ContactPhone`."""

    data: str
    type: str | None = None
    valueType: str | None = None


class MoreInformation(_Wire):
    """A free custom field: ``{value_type: "Cao", display_value: "1.75m"}``."""

    value_type: str
    display_value: str


class DynamicAttributeValue(_Wire):
    """One value of a dynamic attribute."""

    display_value: str


class DynamicAttribute(_Wire):
    """A dynamic attribute set by ``update`` (its ``field_code`` comes from the layout)."""

    field_code: str
    field_type: str
    dynamic_attribute_value: list[DynamicAttributeValue] = msgspec.field(default_factory=list)


class ContactFilter(_Wire):
    """A search filter: ``{field_code: "contact_owner", value: ["unassigned", "a@b.vn"]}``."""

    field_code: str
    value: list[str]


class NewContact(_Wire, omit_defaults=True):
    """Body of ``POST /api/contacts/add`` (and one element of ``add-more``), in the seed's order."""

    tags: list[str] | None = None
    more_infomation: list[MoreInformation] | None = None
    user_owner_email: str | None = None
    refId: str | None = None
    refCode: str | None = None
    job_title: str | None = None
    note: str | None = None
    birthday: str | None = None
    gender: str | None = None
    fullName: str | None = None
    passport: str | None = None
    address: str | None = None
    emails: list[ContactEmail] | None = None
    phones: list[ContactPhone] | None = None


class ContactUpdate(NewContact, omit_defaults=True):
    """Body of ``POST /api/contacts/update``: the contact with ``refId``, plus dynamic fields."""

    dynamic_attributes: list[DynamicAttribute] | None = None


class Contact(_Wire):
    """A contact as OMICall returns it (decision: the add fields plus ``id`` and timestamps)."""

    id: str = ""
    fullName: str | None = None
    phones: list[ContactPhone] = msgspec.field(default_factory=list)
    emails: list[ContactEmail] = msgspec.field(default_factory=list)
    tags: list[str] = msgspec.field(default_factory=list)
    more_infomation: list[MoreInformation] = msgspec.field(default_factory=list)
    dynamic_attributes: list[DynamicAttribute] = msgspec.field(default_factory=list)
    user_owner_email: str | None = None
    refId: str | None = None
    refCode: str | None = None
    job_title: str | None = None
    note: str | None = None
    birthday: str | None = None
    gender: str | None = None
    passport: str | None = None
    address: str | None = None
    created_date: int | None = None
    last_updated_date: int | None = None


class ContactNote(_Wire, omit_defaults=True):
    """One element of ``POST /api/contacts/add-note``: ``content`` and ``phone`` are required."""

    content: str
    phone: str
    note_by: str | None = None


class LayoutAttribute(_Wire):
    """A dynamic attribute definition (``GET /api/source_contact_layout/get``).

    The seed does not show this answer: decision — a list of definitions with
    the ``field_code``/``field_type`` that ``update`` expects, plus a label.
    """

    field_code: str
    field_type: str = ""
    field_name: str = ""
    is_required: bool = False


class ContactPage(_Wire):
    """A paged payload of contacts."""

    items: list[Contact]
    page_number: int = 1
    page_size: int = 0
    total_items: int | None = None
    total_pages: int | None = None
    has_next: bool | None = None
    next_page: int | None = None
    has_previous: bool = False
    previous_page: int | None = None


# -- call history -----------------------------------------------------------------------


class CallTag(_Wire):
    """A tag on the customer of a call."""

    name: str = ""


class CallUser(_Wire):
    """The customer side of a call, as the call list shows it."""

    full_name: str | None = None
    full_name_unsigned: str | None = None
    note: str | None = None
    tag: list[CallTag] = msgspec.field(default_factory=list)


class CreatedBy(_Wire):
    """The agent who placed or took the call."""

    id: str | None = None
    name: str | None = None
    contact_id: str | None = None
    avatar: str | None = None
    gender: str | None = None
    uuid: str | None = None
    type: str | None = None


class CallTransaction(_Wire):
    """One call-history record, field for field as the seed's sample.

    ``time_start_call``, ``time_start_to_answer`` and ``time_end_call`` are
    epoch seconds; ``created_date`` and ``last_updated_date`` epoch
    milliseconds. Fields the sample shows as ``null`` stay loosely typed.
    """

    transaction_id: str
    tenant_id: str | None = None
    direction: str | None = None
    source_number: str | None = None
    destination_number: str | None = None
    disposition: str | None = None
    bill_sec: int = 0
    record_seconds: int = 0
    time_start_to_answer: int | None = None
    recording_file: str | None = None
    recording_file_url: str | None = None
    recording_data: Any = None
    sip_user: str | None = None
    created_date: int | None = None
    last_updated_date: int | None = None
    is_auto_call: bool = False
    ivr: str | None = None
    provider: str | None = None
    duration: int = 0
    user: list[CallUser] = msgspec.field(default_factory=list)
    customer: Any = None
    state: str | None = None
    call_uuid: str | None = None
    from_number: str | None = None
    to_number: str | None = None
    hotline: str | None = None
    is_have_forward_out: bool = False
    bill_sec_forward_out: int = 0
    call_out_price: float | None = None
    note: str | None = None
    tag: list[str] = msgspec.field(default_factory=list)
    invite_failure_status: Any = None
    answer_sec: int = 0
    autocall_uuid: str | None = None
    autocall_id: str | None = None
    sip_number: str | None = None
    phone_number: str | None = None
    create_by: CreatedBy | None = None
    transfer_histories: list[Any] = msgspec.field(default_factory=list)
    user_data_str: str | None = None
    user_ref_code: str | None = None
    endby_name: str | None = None
    hangup_cause: str | None = None
    sip_hangup_disposition: str | None = None
    hangup_cause_q850: Any = None
    is_voicemail: bool = False
    recording_file_voicemail: str | None = None
    domain_fusion: str | None = None
    send_num_retry: int = 0
    time_start_call: int | None = None
    time_end_call: int | None = None
    out_of_working_time: bool = False
    sip_number_tags: list[Any] = msgspec.field(default_factory=list)
    evaluations: Any = None
    total_evaluate: Any = None
    internal_destination: Any = None
    classifies: Any = None
    collect_info_variables: Any = None
    sip_number_forward_out: str | None = None
    is_same_network: bool = False
    is_same_network_forward_out: bool = False
    provider_of_number: str | None = None
    provider_of_number_forward_out: str | None = None
    callbot_script_id: str | None = None
    criteria: Any = None

    def to_call_record(self, tz: tzinfo | None = None) -> CallRecord:
        """Convert to the provider-neutral record; times are shown in ``tz`` (default VN time)."""
        zone = tz or DEFAULT_TZ
        status = status_from_text(self.disposition)
        # Fields by position, in CallRecord's order: msgspec builds it ~10x faster than by
        # keyword. to_call_records() below is the same mapping, a column at a time.
        return CallRecord(
            self.transaction_id,
            PROVIDER,
            direction_from_text(self.direction),
            none_if_empty(self.source_number),
            none_if_empty(self.destination_number),
            none_if_empty(self.sip_user),
            from_epoch_s(self.time_start_call, zone) or from_epoch_ms(self.created_date, zone),
            from_epoch_s(self.time_start_to_answer, zone) if status is _ANSWERED else None,
            from_epoch_s(self.time_end_call, zone),
            self.duration,
            self.bill_sec,
            status,
            none_if_empty(self.disposition),
            none_if_empty(self.hangup_cause),
            none_if_empty(self.recording_file_url),
        )

    @staticmethod
    def to_call_records(
        items: Sequence[CallTransaction], tz: tzinfo | None = None
    ) -> list[CallRecord]:
        """``to_call_record()`` of each, a column at a time (what pages and exports use)."""
        zone = tz or DEFAULT_TZ
        dispositions = [item.disposition for item in items]
        statuses = list(map(status_from_text, dispositions))
        started = list(map(from_epoch_s, [item.time_start_call for item in items], repeat(zone)))
        # Read only where the record has no start, as to_call_record() does: a bad
        # created_date elsewhere must not fail the page.
        for i in [i for i, at in enumerate(started) if not at]:
            started[i] = from_epoch_ms(items[i].created_date, zone)
        answered = [
            from_epoch_s(item.time_start_to_answer, zone) if status is _ANSWERED else None
            for item, status in zip(items, statuses, strict=True)
        ]
        return list(
            map(
                CallRecord,
                [item.transaction_id for item in items],
                repeat(PROVIDER),
                map(direction_from_text, [item.direction for item in items]),
                texts([item.source_number for item in items]),
                texts([item.destination_number for item in items]),
                texts([item.sip_user for item in items]),
                started,
                answered,
                map(from_epoch_s, [item.time_end_call for item in items], repeat(zone)),
                [item.duration for item in items],
                [item.bill_sec for item in items],
                statuses,
                texts(dispositions),
                texts([item.hangup_cause for item in items]),
                texts([item.recording_file_url for item in items]),
            )
        )


_ANSWERED = CallStatus.ANSWERED


class CallTransactionPage(_Wire):
    """A paged payload of call-history records (the seed's sample)."""

    items: list[CallTransaction]
    page_number: int = 1
    page_size: int = 0
    total_items: int | None = None
    total_pages: int | None = None
    has_next: bool | None = None
    next_page: int | None = None
    has_previous: bool = False
    previous_page: int | None = None
    extension: Any = None
