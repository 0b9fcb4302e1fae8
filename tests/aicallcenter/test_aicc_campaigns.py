"""AI Call Center campaigns and call log: import batching, export paging, input checks."""

from __future__ import annotations

from datetime import date, datetime

import msgspec
import pytest

from telcall.aicallcenter import CampaignContact
from telcall.errors import (
    AuthenticationError,
    NotFoundError,
    ProviderError,
    TransportError,
    ValidationError,
)
from telcall.simulator import Delay, Drop, Reply
from telcall.simulator._data import VN

IMPORT = "/api/campaigns/"
STOPPED = {"status": 0, "code": "03", "message": "The campaign stopped. Can not import data"}


def _phones(n, start=0):
    return [f"09{i:08d}" for i in range(start, start + n)]


def _posts(sim):
    return [msgspec.json.decode(r.body) for r in sim.requests if r.method == "POST"]


async def test_import_accepts_and_creates_calls(sim, client):
    """Accepted contacts come back with call ids and show up in the campaign's export."""
    result = await client.campaigns.import_contacts(
        sim.campaign_id,
        [
            {"phone_number": "0901234567", "danh_xung": "anh", "ho_ten": "Nguyễn Văn A"},
            CampaignContact(phone_number="0901234568", fields={"ho_ten": "B"}),
        ],
    )
    assert result.complete
    assert [c.phone_number for c in result.accepted] == ["0901234567", "0901234568"]
    assert result.skipped == []
    assert [b.outcome for b in result.batches] == ["confirmed"]
    assert result.batches[0].message == "Ghi nhận thành công 2 trên 2 bản ghi"
    [body] = _posts(sim)
    assert body["contacts"][0] == {
        "phone_number": "0901234567",
        "danh_xung": "anh",
        "ho_ten": "Nguyễn Văn A",
    }
    exported = [c async for c in client.campaigns.calls.iterate(sim.campaign_id)]
    call_ids = {c.call_id for c in exported}
    assert {c.call_id for c in result.accepted} <= call_ids


async def test_import_dedupes_and_skips_invalid(sim, client):
    """Repeated phones are sent once, invalid ones never; the result says why for each."""
    result = await client.campaigns.import_contacts(
        sim.campaign_id,
        [
            {"phone_number": "0901234567"},
            {"phone_number": "+84901234568"},
            {"phone_number": "0901234567"},
            {"phone_number": "123"},
            {"phone_number": "0901234569"},
        ],
    )
    [body] = _posts(sim)
    assert [c["phone_number"] for c in body["contacts"]] == ["0901234567", "0901234569"]
    reasons = {(s.index, s.reason) for s in result.skipped}
    assert reasons == {(1, "invalid_phone"), (2, "duplicate"), (3, "invalid_phone")}
    hint = next(s for s in result.skipped if s.index == 1).detail
    assert "did you mean '0901234568'" in hint
    assert len(result.accepted) == 2


async def test_import_batches(sim, client):
    """A large list is sent in batches of batch_size, in order."""
    phones = _phones(25)
    result = await client.campaigns.import_contacts(
        sim.campaign_id, [{"phone_number": p} for p in phones], batch_size=10
    )
    assert [len(b["contacts"]) for b in _posts(sim)] == [10, 10, 5]
    assert [b.number for b in result.batches] == [0, 1, 2]
    assert [c.phone_number for c in result.accepted] == phones


async def test_voice_otp_validated(sim, client):
    """For voice OTP every contact needs a code from 000001 to 999999; others are skipped."""
    result = await client.campaigns.import_contacts(
        sim.otp_campaign_id,
        [
            {"phone_number": "0901234561", "otp_code": "123456"},
            {"phone_number": "0901234562", "otp_code": "000000"},
            {"phone_number": "0901234563", "otp_code": "12345"},
            {"phone_number": "0901234564", "otp_code": 123456},
            {"phone_number": "0901234565"},
            {"phone_number": "0901234566", "otp_code": "999999"},
        ],
    )
    assert [c.phone_number for c in result.accepted] == ["0901234561", "0901234566"]
    assert [s.index for s in result.skipped if s.reason == "invalid_otp"] == [1, 2, 3, 4]


async def test_otp_flag_requires_codes(sim, client):
    """otp=True turns on the OTP check even when no contact carries a code."""
    result = await client.campaigns.import_contacts(
        sim.otp_campaign_id, [{"phone_number": "0901234561"}], otp=True
    )
    assert [s.reason for s in result.skipped] == ["invalid_otp"]
    assert sim.count("POST") == 0


async def test_provider_skips_are_not_accepted(sim, client):
    """A phone the provider leaves out of its answer is reported as not accepted."""
    body = {
        "status": 1,
        "message": "Ghi nhận thành công 1 trên 2 bản ghi",
        "results": [{"phone_number": "84901234567", "call_id": 7}],
    }
    sim.script(Reply(200, body), path=IMPORT)
    result = await client.campaigns.import_contacts(
        sim.campaign_id, [{"phone_number": "0901234567"}, {"phone_number": "0901234568"}]
    )
    assert [c.call_id for c in result.accepted] == [7]
    assert [(s.phone_number, s.reason) for s in result.skipped] == [("0901234568", "not_accepted")]


@pytest.mark.parametrize(
    ("campaign", "cls", "code"),
    [
        pytest.param("stopped_campaign_id", ProviderError, "03", id="stopped"),
        pytest.param(None, NotFoundError, "01", id="unknown"),
    ],
)
async def test_first_batch_refused_raises(sim, client, campaign, cls, code):
    """When the provider refuses the first batch nothing was imported: the error is raised."""
    campaign_id = getattr(sim, campaign) if campaign else "no-such-campaign"
    with pytest.raises(cls) as info:
        await client.campaigns.import_contacts(
            campaign_id, [{"phone_number": p} for p in _phones(5)], batch_size=2
        )
    assert info.value.code == code
    assert sim.count("POST") == 1


async def test_later_refusal_is_reported(sim, client):
    """A batch refused after others were confirmed stops the import and is reported."""
    sim.script(Delay(0), path=IMPORT)
    sim.script(Reply(200, STOPPED), path=IMPORT)
    result = await client.campaigns.import_contacts(
        sim.campaign_id, [{"phone_number": p} for p in _phones(7)], batch_size=3
    )
    assert not result.complete
    assert isinstance(result.error, ProviderError)
    assert [b.outcome for b in result.batches] == ["confirmed", "refused", "not_sent"]
    assert len(result.accepted) == 3
    assert [s.reason for s in result.skipped] == ["refused"] * 3 + ["not_sent"]
    assert sim.count("POST") == 2
    with pytest.raises(ProviderError):
        result.raise_for_error()


async def test_unconfirmed_batch_is_not_retried(sim, client):
    """A batch whose connection drops may have been imported: not re-sent, reported unconfirmed."""
    sim.script(Drop(), path=IMPORT)
    result = await client.campaigns.import_contacts(
        sim.campaign_id, [{"phone_number": p} for p in _phones(5)], batch_size=2
    )
    assert isinstance(result.error, TransportError)
    assert [b.outcome for b in result.batches] == ["unconfirmed", "not_sent", "not_sent"]
    assert result.unconfirmed == _phones(2)
    assert sim.count("POST") == 1


async def test_server_error_is_unconfirmed(sim, client):
    """An HTTP 500 on an import is not retried and leaves its batch unconfirmed."""
    sim.script(500, path=IMPORT)
    async with type(client)(base_url=sim.base_url, secret_key=sim.secret_key) as retrying:
        result = await retrying.campaigns.import_contacts(
            sim.campaign_id, [{"phone_number": "0901234567"}]
        )
    assert result.unconfirmed == ["0901234567"]
    assert sim.count("POST") == 1


async def test_bad_token_on_import_regenerated(sim, client):
    """An import refused with code 401 is replayed once with a new token."""
    await client.users.calls.list()
    sim.rotate_secret()
    with pytest.raises(AuthenticationError):
        await client.campaigns.import_contacts(sim.campaign_id, [{"phone_number": "0901234567"}])
    assert sim.count("POST") == 1


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        pytest.param(("",), {"contacts": [{"phone_number": "0901234567"}]}, id="no-campaign"),
        pytest.param(("c",), {"contacts": []}, id="no-contacts"),
        pytest.param(("c",), {"contacts": {"phone_number": "0901234567"}}, id="mapping"),
        pytest.param(("c",), {"contacts": [{"name": "x"}]}, id="no-phone-key"),
        pytest.param(("c",), {"contacts": ["0901234567"]}, id="not-a-contact"),
        pytest.param(
            ("c",), {"contacts": [{"phone_number": "0901234567"}], "batch_size": 0}, id="batch-size"
        ),
        pytest.param(
            ("c",), {"contacts": [{"phone_number": "1"}], "strict": True}, id="strict-phone"
        ),
        pytest.param(
            ("c",),
            {"contacts": [{"phone_number": "0901234567", "otp_code": "0"}], "strict": True},
            id="strict-otp",
        ),
    ],
)
async def test_import_bad_input_sends_nothing(sim, client, args, kwargs):
    """Bad arguments raise ValidationError before any request."""
    with pytest.raises(ValidationError):
        await client.campaigns.import_contacts(*args, **kwargs)
    assert sim.requests == []


async def test_all_invalid_sends_nothing(sim, client):
    """When no contact is valid, nothing is sent and each is reported."""
    result = await client.campaigns.import_contacts(sim.campaign_id, [{"phone_number": "x"}])
    assert result.complete
    assert [s.reason for s in result.skipped] == ["invalid_phone"]
    assert sim.requests == []


# -- export and call log ---------------------------------------------------------------------


async def test_export_list(sim, client):
    """list() sends limit/offset and times in epoch ms; the page carries total and limit."""
    start = datetime(2026, 11, 2)
    page = await client.campaigns.calls.list(
        sim.campaign_id, start_time=start, end_time=date(2026, 11, 5), limit=5, offset=3
    )
    query = sim.requests[-1].query
    assert sim.requests[-1].path == f"/api/campaigns/{sim.campaign_id}/export"
    assert query["start_time"] == str(int(start.replace(tzinfo=VN).timestamp()) * 1000)
    assert query["end_time"] == str(int(datetime(2026, 11, 5, tzinfo=VN).timestamp()) * 1000)
    assert (query["limit"], query["offset"]) == ("5", "3")
    assert (len(page.items), page.limit, page.offset) == (5, 5, 3)
    assert page.total == len(
        [c for c in sim.calls(sim.campaign_id) if "2026-11-02" <= c["called_at"] < "2026-11-05"]
    )


async def test_export_iterate_everything(sim, client):
    """iterate() walks every offset until total."""
    calls = [c async for c in client.campaigns.calls.iterate(sim.campaign_id, page_size=50)]
    assert [c.call_id for c in calls] == [c["call_id"] for c in sim.calls(sim.campaign_id)]
    offsets = [r.query["offset"] for r in sim.requests if r.path.endswith("/export")]
    assert offsets == ["0", "50", "100"]


async def test_export_concurrency_keeps_order(sim, client):
    """With concurrency the pages still arrive in order."""
    calls = [
        c.call_id
        async for c in client.campaigns.calls.iterate(sim.campaign_id, page_size=7, concurrency=4)
    ]
    assert calls == [c["call_id"] for c in sim.calls(sim.campaign_id)]


async def test_export_unknown_campaign(client):
    """An unknown campaign is NotFoundError with the provider's code 01."""
    with pytest.raises(NotFoundError) as info:
        await client.campaigns.calls.list("nope")
    assert info.value.code == "01"


async def test_call_log_pages(sim, client):
    """The user call log pages over every campaign's calls, with max_items honoured."""
    pages = [p async for p in client.users.calls.pages(page_size=100, max_items=250)]
    assert [len(p) for p in pages] == [100, 100, 50]
    assert pages[0].total == 360
    assert sim.requests[-1].path == "/api/users/call-log"
    records = [c.to_call_record() for c in pages[0]]
    assert {r.status.value for r in records} <= {"answered", "failed"}


async def test_call_log_window(sim, client):
    """start_time/end_time narrow the call log."""
    end = datetime(2026, 11, 2, tzinfo=VN)
    calls = [c async for c in client.users.calls.iterate(end_time=end)]
    assert calls
    assert all(c.called_at < "2026-11-02" for c in calls)
    assert all(c.called_at <= "2026-11-02 00:00:00" for c in calls)


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"limit": 0}, id="limit-0"),
        pytest.param({"limit": 1001}, id="limit-too-big"),
        pytest.param({"offset": -1}, id="offset"),
        pytest.param({"start_time": "1/11/2026"}, id="non-iso-string-time"),
        pytest.param(
            {"start_time": date(2026, 11, 2), "end_time": date(2026, 11, 1)}, id="reversed"
        ),
    ],
)
async def test_list_bad_input_sends_nothing(sim, client, kwargs):
    """Bad listing arguments raise ValidationError before any request."""
    with pytest.raises(ValidationError):
        await client.users.calls.list(**kwargs)
    with pytest.raises(ValidationError):
        await client.campaigns.calls.list(sim.campaign_id, **kwargs)
    assert sim.requests == []


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"page_size": 0}, id="page-size"),
        pytest.param({"concurrency": 0}, id="concurrency"),
        pytest.param(
            {"end_time": datetime(2026, 1, 1), "start_time": datetime(2026, 2, 1)}, id="reversed"
        ),
    ],
)
async def test_iterate_bad_input_sends_nothing(sim, client, kwargs):
    """pages()/iterate() validate before the first request, campaign id included."""
    with pytest.raises(ValidationError):
        [c async for c in client.users.calls.iterate(**kwargs)]
    with pytest.raises(ValidationError):
        [p async for p in client.campaigns.calls.pages(sim.campaign_id, **kwargs)]
    with pytest.raises(ValidationError):
        [p async for p in client.campaigns.calls.pages("")]
    assert sim.requests == []
