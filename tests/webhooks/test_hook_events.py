"""TEL4VN hook payloads decode into typed events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import msgspec
import pytest

import telcall.tel4vn.events as events_module
from telcall._core.errors import ValidationError
from telcall._core.records import CallStatus, Direction
from telcall.tel4vn.events import (
    AnsweredEvent,
    CdrEvent,
    HangupEvent,
    RingingEvent,
    parse_event,
)

HCM = ZoneInfo("Asia/Ho_Chi_Minh")

# Verbatim from seed 002, "Event Hook Data" (the only payload sample the provider documents).
SEED_HANGUP = b"""{
  "call_id": "avavavav-1111-2222-3333-eeeeeeee",
  "sip_call_id": "dddddddd-1111-2222-3333-eeeeeeee",
  "domain": "test.tel4vn.com",
  "direction": "outbound",
  "from_number": "0899888999",
  "to_number": "101",
  "hotline": "19001919",
  "state": "hangup",
  "duration": 10,
  "billsec": 5,
  "recording_url": "http://recording.demo/ad4c9b90-c071-405a-9723-980d2e5e1623"
}"""


def test_seed_sample_decodes() -> None:
    """The documented sample becomes a HangupEvent with every field in place."""
    event = parse_event(SEED_HANGUP)

    assert event == HangupEvent(
        call_id="avavavav-1111-2222-3333-eeeeeeee",
        sip_call_id="dddddddd-1111-2222-3333-eeeeeeee",
        domain="test.tel4vn.com",
        direction="outbound",
        from_number="0899888999",
        to_number="101",
        hotline="19001919",
        duration=10,
        billsec=5,
        recording_url="http://recording.demo/ad4c9b90-c071-405a-9723-980d2e5e1623",
    )


@pytest.mark.parametrize(
    ("state", "cls"),
    [
        pytest.param("ringing", RingingEvent, id="ringing"),
        pytest.param("answered", AnsweredEvent, id="answered"),
        pytest.param("hangup", HangupEvent, id="hangup"),
        pytest.param("cdr", CdrEvent, id="cdr"),
    ],
)
def test_state_selects_type(make_body, state: str, cls: type) -> None:
    """Each documented state decodes to its own Struct and reports that state."""
    event = parse_event(make_body(state))

    assert type(event) is cls
    assert event.state == state


def test_newer_fields_decode_and_unknown_fields_are_ignored(make_body) -> None:
    """Fields from newer pages are read; fields nobody documented do not break decoding."""
    body = make_body(
        "answered",
        application="autocall",
        ref_id="order-42",
        time_started="2026-11-20 09:15:00",
        time_answered="2026-11-20 09:15:07",
        some_future_field={"nested": [1, 2]},
    )

    event = parse_event(body)

    assert (event.application, event.ref_id) == ("autocall", "order-42")
    assert (
        event.time_started,
        event.time_answered,
        event.time_ended,
    ) == ("2026-11-20 09:15:00", "2026-11-20 09:15:07", "")


def test_minimal_payload_uses_defaults() -> None:
    """Only call_id and state are required; the rest default to empty."""
    event = parse_event(b'{"call_id": "c1", "state": "cdr"}')

    assert event == CdrEvent(call_id="c1")
    assert event.billsec is None


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        pytest.param(b"not json at all", "not JSON", id="not-json"),
        pytest.param(b"", "not JSON", id="empty"),
        pytest.param(b'{"call_id": "c1", "state": "hangup"', "not JSON", id="truncated"),
        pytest.param(
            b'{"call_id": "c1", "state": "transfer"}',
            "unknown event state 'transfer'",
            id="unknown-state",
        ),
        pytest.param(b'{"call_id": "c1"}', "`state`", id="missing-state"),
        pytest.param(b'{"":"","":""}\x00', "not JSON", id="shape-error-then-trailing-byte"),
        pytest.param(b'{"state": "ringing"}', "`call_id`", id="missing-call-id"),
        pytest.param(b'[{"call_id": "c1", "state": "cdr"}]', "Expected `object`", id="array"),
        pytest.param(
            b'{"call_id": "c1", "state": "hangup", "duration": "10"}', "$.duration", id="wrong-type"
        ),
        pytest.param(b'{"call_id": "c1", "state": 3}', "$.state", id="state-not-text"),
        pytest.param(b'{"call_id": "", "state": "hangup"}', "event has no call_id", id="empty-id"),
        pytest.param(b'{"call_id": " \\t", "state": "cdr"}', "event has no call_id", id="blank-id"),
        pytest.param(
            b'{"call_id": "c1", "state": "cdr", "x": ' + b"[" * 200_000 + b"]" * 200_000 + b"}",
            "nested too deeply",
            id="deep-unknown-field",
        ),
        pytest.param(b'{"state": ' + b"[" * 200_000, "nested too deeply", id="deep-state"),
    ],
)
def test_bad_bodies_raise_validation_error(body: bytes, reason: str) -> None:
    """Malformed payloads raise ValidationError (a ValueError) with a short reason."""
    with pytest.raises(ValidationError) as info:
        parse_event(body)

    assert isinstance(info.value, ValueError)
    assert reason in str(info.value)


def test_sequence_orders_the_states(make_body) -> None:
    """``sequence`` puts ringing before answered before hangup before cdr."""
    states = ["cdr", "ringing", "hangup", "answered"]
    parsed = [parse_event(make_body(state)) for state in states]

    assert [event.state for event in sorted(parsed, key=lambda event: event.sequence)] == [
        "ringing",
        "answered",
        "hangup",
        "cdr",
    ]
    assert sorted(event.sequence for event in parsed) == [1, 2, 3, 4]


def test_dedupe_key_is_call_id_and_state(make_body) -> None:
    """Two deliveries of one event share a key; another state of the same call does not."""
    first = parse_event(make_body("hangup", call_id="abc"))
    again = parse_event(make_body("hangup", call_id="abc", duration=3))
    other = parse_event(make_body("cdr", call_id="abc"))

    assert first.dedupe_key == again.dedupe_key == ("abc", "hangup")
    assert other.dedupe_key == ("abc", "cdr")


def test_encoding_keeps_the_state_tag() -> None:
    """Encoding an event writes its state back, so it round-trips through parse_event."""
    event = HangupEvent(call_id="c1", duration=3)

    assert parse_event(msgspec.json.encode(event)) == event


def test_cdr_to_call_record(make_body) -> None:
    """A cdr event converts to a CallRecord with local times made aware in Vietnam time."""
    event = parse_event(
        make_body(
            "cdr",
            call_id=" flow-1 ",
            duration=11,
            billsec=3,
            status="ANSWERED",
            recording_url="http://recording.demo/x",
            time_started="2021-02-17 17:30:35",
            time_answered="2021-02-17 17:30:43",
            time_ended="2021-02-17 17:30:46",
        )
    )
    assert isinstance(event, CdrEvent)

    record = event.to_call_record()

    assert record.id == "flow-1"
    assert record.provider == "tel4vn"
    assert record.direction is Direction.OUTBOUND
    assert record.started_at == datetime(2021, 2, 17, 17, 30, 35, tzinfo=HCM)
    assert record.started_at.utcoffset() == timedelta(hours=7)
    assert (record.duration, record.billsec) == (11, 3)
    assert (record.status, record.raw_status) == (CallStatus.ANSWERED, "ANSWERED")
    assert record.recording_url == "http://recording.demo/x"


def test_cdr_to_call_record_empty_values_and_derived_billsec() -> None:
    """Empty strings become None, and a missing billsec is derived from the times."""
    unanswered = CdrEvent(call_id="c1", status="BUSY", time_answered="", recording_url="")
    answered = CdrEvent(
        call_id="c2", time_answered="2021-02-17 17:30:43", time_ended="2021-02-17 17:31:00"
    )

    first, second = unanswered.to_call_record(), answered.to_call_record()

    assert (
        first.answered_at,
        first.recording_url,
        first.from_number,
        first.billsec,
    ) == (None, None, None, 0)
    assert first.status is CallStatus.BUSY
    assert second.billsec == 17


def test_cdr_to_call_record_in_another_zone() -> None:
    """``tz`` changes the zone naive times are read in."""
    event = CdrEvent(call_id="c1", time_started="2021-02-17 17:30:35")

    record = event.to_call_record(tz="UTC")

    assert record.started_at == datetime(2021, 2, 17, 17, 30, 35, tzinfo=UTC)


@pytest.mark.parametrize(
    ("direction", "from_number", "to_number", "expected"),
    [
        pytest.param("inbound", "0899888999", "101", Direction.INBOUND, id="text"),
        pytest.param("OUTBOUND", "101", "0899888999", Direction.OUTBOUND, id="upper-case"),
        pytest.param(3, "0899888999", "101", Direction.INBOUND, id="int-guessed"),
        pytest.param("", "101", "0899888999", Direction.OUTBOUND, id="empty-guessed"),
    ],
)
def test_cdr_direction(
    direction: str | int, from_number: str, to_number: str, expected: Direction
) -> None:
    """Direction words map directly; an integer or empty direction is guessed from the numbers."""
    event = CdrEvent(
        call_id="c1", direction=direction, from_number=from_number, to_number=to_number
    )

    assert event.to_call_record().direction is expected


def test_all_is_complete() -> None:
    """``__all__`` lists every public name of the module."""
    public = {
        name
        for name, value in vars(events_module).items()
        if not name.startswith("_") and getattr(value, "__module__", None) == events_module.__name__
    }

    assert public <= set(events_module.__all__)
