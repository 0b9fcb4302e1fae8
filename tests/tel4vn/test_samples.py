"""Every sample in the TEL4VN documents (seeds 002, 000, 003) decodes, quirks included.

The samples are copied verbatim into ``samples/``; only the documents' ``...``
elisions (and the trailing commas they leave) were removed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
import pytest

from telcall import CallStatus, Direction, errors
from telcall._core.transport import Response
from telcall.tel4vn import AsyncTel4vnClient, AutocallCustomer, models
from telcall.tel4vn.events import HangupEvent, parse_event
from telcall.tel4vn.resources.cdrs import CdrDecoder

SAMPLES = Path(__file__).parent / "samples"


def sample(name: str) -> bytes:
    """The bytes of one sample file, by its number prefix (e.g. ``002-06``)."""
    (path,) = SAMPLES.glob(f"{name}-*.json")
    return path.read_bytes()


DECODES: list[Any] = [
    pytest.param(name, model, id=name)
    for name, model in [
        ("000-00", models.CustomerList),
        ("000-01", models.CustomerResponse),
        ("000-03", models.CustomerCreated),
        ("000-05", models.NewCustomer),
        ("002-00", models.LoginResponse),
        ("002-01", models.TokenResponse),
        ("002-02", models.EventHookList),
        ("002-03", models.EventCreated),
        ("002-04", models.EventDeleted),
        ("002-06", models.CdrPage),
        ("002-07", models.FlexCdrPage),
        ("002-08", models.Cdr),
        ("002-09", models.FlexCdr),
        *[(f"002-{n}", models.Click2CallResult) for n in range(10, 16)],
        ("002-16", models.LiveCallList),
        *[(f"002-{n}", models.CallControlResult) for n in range(17, 25)],
        *[(f"002-{n}", models.AutodialerResult) for n in (25, 26, 28, 29, 31, 32, 34, 35)],
        ("002-27", models.AutodialerQueue),
        *[(f"002-{n}", models.AutocallImportResult) for n in (37, 38)],
        *[(f"002-{n}", models.AutocallResult) for n in (40, 41, 43, 44, 46, 47, 49, 50)],
        ("002-52", models.UserStatusResponse),
        ("002-54", models.CustomerList),
        ("002-55", models.CustomerResponse),
        ("002-57", models.CustomerCreated),
        ("002-59", models.NewCustomer),
        *[(f"003-0{n}", models.AutocallImportResult) for n in (0, 1)],
        *[(f"003-{n:02d}", models.AutocallResult) for n in (3, 4, 6, 7, 9, 10, 12, 13)],
    ]
]


def is_error_sample(name: str) -> bool:
    """Whether the document shows this sample as a failure answer."""
    (path,) = SAMPLES.glob(f"{name}-*.json")
    return path.stem.endswith("-error")


@pytest.mark.parametrize(("name", "model"), DECODES)
def test_sample_decodes(name: str, model: type[Any]) -> None:
    """A success sample decodes into its model without loss of a documented field.

    A failure sample does not decode as the success type: the client maps it onto the error
    tree instead (``test_error_samples_map_to_the_tree``).
    """
    documented = msgspec.json.decode(sample(name))
    if is_error_sample(name):
        with pytest.raises(msgspec.ValidationError):
            msgspec.json.decode(sample(name), type=model)
        return
    decoded = msgspec.json.decode(sample(name), type=model)
    for field in documented:
        assert field in model.__struct_fields__, f"{model.__name__} misses {field!r}"
    assert isinstance(decoded, model)


def test_default_cdr_quirks() -> None:
    """Integer direction, empty answer time, trailing-space id and upper-case status decode."""
    page = CdrDecoder("auto").decode(sample("002-06"))
    answered, busy = page.data
    assert isinstance(answered, models.Cdr)
    assert isinstance(busy, models.Cdr)
    assert answered.direction == 3
    assert busy.id.endswith(" ")
    assert busy.cdr_id == "01b7d166-b564-42ec-80a1-4ad343225934"
    record = busy.to_call_record()
    assert record.id == "01b7d166-b564-42ec-80a1-4ad343225934"
    assert record.answered_at is None
    assert record.status is CallStatus.BUSY
    assert record.direction is Direction.OUTBOUND  # hotline 19001919 → mobile
    assert record.recording_url is None
    full = answered.to_call_record()
    assert full.status is CallStatus.ANSWERED
    assert full.billsec == 3
    assert (page.limit, page.offset, page.total) == (10, 10, 35)


def test_flex_cdr_sample() -> None:
    """The flex mapping decodes and converts, lower-case statuses included."""
    page = CdrDecoder("auto").decode(sample("002-07"))
    first, second = page.data
    assert isinstance(first, models.FlexCdr)
    assert first.id == first.cdrId
    record = first.to_call_record()
    assert record.status is CallStatus.ANSWERED
    assert record.direction is Direction.OUTBOUND
    assert record.billsec == 23
    assert record.extension == "101"
    assert second.to_call_record().answered_at is None


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("002-08", models.Cdr, id="default"),
        pytest.param("002-09", models.FlexCdr, id="flex"),
    ],
)
def test_single_cdr_detected(name: str, expected: type[Any]) -> None:
    """The auto mapping picks the right model for a single record."""
    assert isinstance(CdrDecoder("auto").decode_one(sample(name)), expected)


def test_mixed_page_decodes_per_record() -> None:
    """A page mixing both mappings decodes each record with its own model."""
    default = msgspec.json.decode(sample("002-08"))
    flex = msgspec.json.decode(sample("002-09"))
    body = msgspec.json.encode({"data": [default, flex, default], "total": 3})
    page = CdrDecoder("auto").decode(body)
    assert [type(r) for r in page.data] == [models.Cdr, models.FlexCdr, models.Cdr]


def test_fixed_mapping_rejects_the_other_shape() -> None:
    """With cdr_mapping="default" a flex page is a decode failure, not a silent mix."""
    with pytest.raises(msgspec.ValidationError):
        CdrDecoder("default").decode(sample("002-07"))


def test_unknown_fields_are_ignored() -> None:
    """Extra fields a newer server sends do not break decoding."""
    record = msgspec.json.decode(sample("002-08"))
    record["hangup_by"] = "customer"
    cdr = msgspec.json.decode(msgspec.json.encode(record), type=models.Cdr)
    assert cdr.status == "BUSY"


def test_autocall_request_keeps_free_form_fields() -> None:
    """Template fields of autocall customers survive a round trip."""
    body = msgspec.json.decode(sample("002-39"))
    customers = [AutocallCustomer.from_wire(c) for c in body["customers"]]
    assert customers[0].fields["total_ovd_amount"] == 3211100
    assert [c.to_wire() for c in customers] == body["customers"]


def test_autodialer_request_round_trips() -> None:
    """The autodialer request sample re-encodes to the same JSON."""
    body = msgspec.json.decode(sample("002-27"), type=models.AutodialerQueue)
    assert msgspec.json.decode(msgspec.json.encode(body)) == msgspec.json.decode(sample("002-27"))


def test_user_status_logged_in_flag() -> None:
    """ext_loggedin "false" reads as False."""
    answer = msgspec.json.decode(sample("002-52"), type=models.UserStatusResponse)
    assert answer.data.logged_in is False


def test_customer_after_day() -> None:
    """The newer customer page's after_day decodes; the older page leaves it unset."""
    newer = msgspec.json.decode(sample("000-00"), type=models.CustomerList)
    older = msgspec.json.decode(sample("002-54"), type=models.CustomerList)
    assert newer.data[0].after_day == 7
    assert older.data[0].after_day is None


def test_hook_sample_parses() -> None:
    """The event-hook sample parses into a typed hangup event."""
    event = parse_event(sample("002-05"))
    assert isinstance(event, HangupEvent)
    assert (event.duration, event.billsec) == (10, 5)


ERRORS = [
    pytest.param("002-11", 200, errors.ProviderError, "USER_NOT_REGISTERED", id="click2call"),
    pytest.param("002-13", 200, errors.ProviderError, "USER_NOT_REGISTERED", id="c2c-async"),
    pytest.param("002-15", 200, errors.ProviderError, "USER_NOT_REGISTERED", id="c2c-post"),
    pytest.param("002-18", 200, errors.ProviderError, "USER_NOT_REGISTERED", id="transfer"),
    pytest.param("002-24", 200, errors.ProviderError, "USER_NOT_REGISTERED", id="barge"),
    pytest.param("002-26", 200, errors.ProviderError, "campaign is invalid", id="dialer-campaign"),
    pytest.param("002-29", 200, errors.NotFoundError, "queue not found", id="dialer-queue"),
    pytest.param("002-38", 200, errors.BadRequestError, None, id="autocall-import"),
    pytest.param("002-38", 400, errors.BadRequestError, None, id="autocall-import-400"),
    pytest.param("002-41", 404, errors.NotFoundError, None, id="autocall-dnc-404"),
    pytest.param("002-44", 200, errors.NotFoundError, None, id="autocall-stop-in-200"),
    pytest.param("002-53", 404, errors.NotFoundError, "Not Found", id="user"),
    pytest.param("002-56", 404, errors.NotFoundError, "Not Found", id="customer"),
    pytest.param("002-58", 400, errors.BadRequestError, "Bad Request", id="customer-phone"),
]

DECODERS: dict[str, Any] = {
    "002-11": models.Click2CallResult,
    "002-13": models.Click2CallResult,
    "002-15": models.Click2CallResult,
    "002-18": models.CallControlResult,
    "002-24": models.CallControlResult,
    "002-26": models.AutodialerResult,
    "002-29": models.AutodialerResult,
    "002-38": models.AutocallImportResult,
    "002-41": models.AutocallResult,
    "002-44": models.AutocallResult,
    "002-53": models.UserStatusResponse,
    "002-56": models.CustomerResponse,
    "002-58": models.CustomerCreated,
}


@pytest.mark.parametrize(("name", "status", "cls", "code"), ERRORS)
def test_error_samples_map_to_the_tree(
    name: str, status: int, cls: type[errors.APIError], code: str | None
) -> None:
    """Each documented error body raises its class, with the provider's code and message."""
    client = AsyncTel4vnClient(base_url="http://127.0.0.1:9", api_key="k")
    body = sample(name)
    response = Response(status, {"Content-Type": "application/json"}, body, "GET", "http://x/y")
    with pytest.raises(cls) as caught:
        client._decode(response, msgspec.json.Decoder(DECODERS[name]))
    assert type(caught.value) is cls
    assert caught.value.provider == "tel4vn"
    assert caught.value.status == status
    assert caught.value.body == body
    if code is not None:
        assert caught.value.code == code


def test_customer_validation_error_message_is_readable() -> None:
    """The 400 body's list of field errors becomes a readable message."""
    client = AsyncTel4vnClient(base_url="http://127.0.0.1:9", api_key="k")
    response = Response(400, {}, sample("002-58"), "POST", "http://x/v2/customer")
    with pytest.raises(errors.BadRequestError) as caught:
        client._decode(response, msgspec.json.Decoder(models.CustomerCreated))
    assert "phone_number: Does not match pattern" in caught.value.message
