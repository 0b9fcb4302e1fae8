"""OMICall wire models: the seed's sample decodes, conversion to CallRecord."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import msgspec
import pytest

from telcall import CallStatus, Direction
from telcall.omicall.models import (
    CallTransaction,
    CallTransactionPage,
    Contact,
    Envelope,
    NewContact,
    TokenPayload,
)
from telcall.simulator._omicall import OmicallSimulator

SAMPLE = (Path(__file__).parent / "data" / "seed_001_call_history_page.json").read_bytes()

_page = msgspec.json.Decoder(Envelope[CallTransactionPage])


def test_seed_sample_decodes():
    """The seed's call-history page decodes field for field, nulls and nested objects included."""
    answer = _page.decode(SAMPLE)
    assert (
        answer.status_code,
        answer.instance_id,
        answer.instance_version,
        answer.key_enabled,
    ) == (9999, "stg", "1.2.164", False)
    page = answer.payload
    assert page is not None
    assert (
        page.page_number,
        page.page_size,
        page.total_items,
        page.total_pages,
        page.has_next,
        page.next_page,
        page.has_previous,
        page.previous_page,
    ) == (1, 1, 265, 265, True, 2, False, 1)
    [call] = page.items
    assert call.transaction_id == "09d43196-4ec7-4fba-80fe-c6aa1f3760b8"
    assert (
        call.user[0].full_name,
        call.user[0].full_name_unsigned,
        call.user[0].note,
    ) == ("SenBac", "senbac", "Số test")
    assert [t.name for t in call.user[0].tag] == ["Đã gọi"]
    assert call.create_by is not None
    assert (
        call.create_by.id,
        call.create_by.type,
        call.create_by.avatar,
    ) == ("639202a8bf054d579109b35e", "agent", None)
    assert (
        call.created_date,
        call.time_start_call,
        call.call_out_price,
    ) == (1747128866529, 1747128857, 106.664)
    assert call.customer is None
    assert call.recording_data is None
    assert call.tag == ["Đã gọi"]
    assert call.transfer_histories == []


def test_model_fields_follow_sample_order():
    """CallTransaction declares exactly the sample's fields, in the sample's order."""
    raw = msgspec.json.decode(SAMPLE)
    assert list(raw["payload"]["items"][0]) == list(CallTransaction.__struct_fields__)


def test_sample_to_call_record():
    """The sample converts: epoch seconds to aware times, disposition to status."""
    call = _page.decode(SAMPLE).payload.items[0]  # type: ignore[union-attr]
    record = call.to_call_record(tz=UTC)
    assert record.provider == "omicall"
    assert record.direction == Direction.OUTBOUND
    assert record.status == CallStatus.ANSWERED
    assert (
        record.from_number,
        record.to_number,
        record.extension,
    ) == ("84288xxxx", "0393xxx", "101")
    assert datetime(2025, 5, 13, 9, 34, 17, tzinfo=UTC) == record.started_at
    assert datetime(2025, 5, 13, 9, 34, 26, tzinfo=UTC) == record.ended_at
    assert record.started_at == record.answered_at
    assert (record.duration, record.billsec, record.hangup_cause) == (9, 8, "NORMAL_CLEARING")


def test_call_record_default_zone_is_vietnam():
    """Without ``tz`` the times are shown in Asia/Ho_Chi_Minh (UTC+7)."""
    call = _page.decode(SAMPLE).payload.items[0]  # type: ignore[union-attr]
    started = call.to_call_record().started_at
    assert started is not None
    assert timedelta(hours=7) == started.utcoffset()
    assert started == call.to_call_record(tz=timezone(timedelta(hours=-3))).started_at


def test_unanswered_call_has_no_answer_time():
    """A call that was not answered has no ``answered_at`` even when the field is set."""
    call = CallTransaction(
        transaction_id="x", disposition="no-answer", time_start_to_answer=1747128857
    )
    record = call.to_call_record()
    assert (record.answered_at, record.status) == (None, CallStatus.NO_ANSWER)


def test_simulated_records_decode():
    """The simulator's records decode into the same model."""
    sim = OmicallSimulator(calls=50, seed=3)
    items = msgspec.json.encode([sim.transaction(i) for i in range(50)])
    calls = msgspec.json.decode(items, type=list[CallTransaction])
    assert len({c.transaction_id for c in calls}) == 50
    assert list(sim.transaction(0)) == list(CallTransaction.__struct_fields__)


def test_token_repr_masks_token():
    """The token payload's repr never shows the token."""
    assert "secret-token" not in repr(TokenPayload(access_token="secret-token"))


@pytest.mark.parametrize(
    ("contact", "wire"),
    [
        pytest.param(
            NewContact(fullName="A", gender="male"), {"gender": "male", "fullName": "A"}, id="order"
        ),
        pytest.param(NewContact(), {}, id="empty"),
    ],
)
def test_new_contact_omits_unset_fields(contact, wire):
    """Unset contact fields are not sent; the rest keep the seed's field order."""
    encoded = msgspec.json.decode(msgspec.json.encode(contact))
    assert wire == encoded
    assert list(wire) == list(encoded)


def test_contact_wire_names():
    """Contacts keep the provider's spelling (``more_infomation``, ``fullName``, ``valueType``)."""
    raw = (
        b'{"id": "1", "fullName": "A", "refId": "R", "more_infomation": '
        b'[{"value_type": "Cao", "display_value": "1.75m"}], '
        b'"phones": [{"data": "0393123456", "type": "home", "valueType": "Nh\\u00e0"}]}'
    )
    contact = msgspec.json.decode(raw, type=Contact)
    assert (
        contact.fullName,
        contact.refId,
        contact.more_infomation[0].display_value,
        contact.phones[0].valueType,
    ) == ("A", "R", "1.75m", "Nhà")
