"""Every TEL4VN endpoint against the loopback simulator (real HTTP on 127.0.0.1)."""

from __future__ import annotations

import pytest

from telcall import AsyncTel4vnClient, errors
from telcall.simulator import Tel4vnSimulator
from telcall.tel4vn import AutocallCustomer, AutodialerCustomer, models

CALLBACK = "https://hooks.example.vn/tel4vn"


async def test_login_returns_the_account(
    client: AsyncTel4vnClient, tel4vn_simulator: Tel4vnSimulator
) -> None:
    """POST /v1/auth returns the account, including its api_key."""
    account = await client.auth.login(tel4vn_simulator.username, tel4vn_simulator.password)
    assert account.api_key == tel4vn_simulator.api_key
    assert tel4vn_simulator.api_key not in repr(account)


async def test_login_with_a_wrong_password(
    client: AsyncTel4vnClient, tel4vn_simulator: Tel4vnSimulator
) -> None:
    """A wrong password is an AuthenticationError."""
    with pytest.raises(errors.AuthenticationError):
        await client.auth.login(tel4vn_simulator.username, "wrong")


async def test_explicit_token(client: AsyncTel4vnClient, tel4vn_simulator: Tel4vnSimulator) -> None:
    """POST /v2/auth/token returns a bearer token with its lifetime."""
    token = await client.auth.token(tel4vn_simulator.api_key)
    assert token.token
    assert token.token_type == "Bearer"
    assert token.expired_in > 0
    assert token.token not in repr(token)


async def test_event_subscriptions_lifecycle(client: AsyncTel4vnClient) -> None:
    """Subscriptions are created, listed and deleted; deleting twice is NotFound."""
    created = await client.events.create(callback_url=CALLBACK, event="hangup", callback_apikey="k")
    assert created.created is True
    hooks = await client.events.list()
    assert [(h.event_name, h.callback_url) for h in hooks] == [("hangup", CALLBACK)]
    deleted = await client.events.delete(hooks[0].event_domain_uuid)
    assert deleted.deleted is True
    assert await client.events.list() == []
    with pytest.raises(errors.NotFoundError):
        await client.events.delete(hooks[0].event_domain_uuid)


@pytest.mark.parametrize(
    "start",
    [
        pytest.param([], id="empty"),
        pytest.param([("hangup", "k"), ("ringing", "k")], id="subset"),
        pytest.param([("cdr", "other"), ("answered", "k"), ("answered", "k")], id="wrong-key-dups"),
        pytest.param([("hangup", "k"), ("cdr", "k"), ("answered", "k")], id="superset"),
    ],
)
async def test_events_ensure_converges(
    client: AsyncTel4vnClient, start: list[tuple[str, str]]
) -> None:
    """ensure() makes the URL's subscriptions exactly the requested set, from any start."""
    await client.events.create(callback_url="https://other.example/x", event="cdr")
    for event, key in start:
        await client.events.create(callback_url=CALLBACK, event=event, callback_apikey=key)  # type: ignore[arg-type]
    for _ in range(2):  # idempotent
        hooks = await client.events.ensure(CALLBACK, events=["hangup", "cdr"], apikey="k")
        assert sorted(h.event_name for h in hooks) == ["cdr", "hangup"]
        assert {h.callback_apikey for h in hooks} == {"k"}
    others = [h for h in await client.events.list() if h.callback_url != CALLBACK]
    assert len(others) == 1


async def test_cdrs_get_by_id_and_sip_call_id(
    client: AsyncTel4vnClient, tel4vn_simulator: Tel4vnSimulator
) -> None:
    """GET /v2/cdr/<id> finds a record by its id or its sip_call_id."""
    wire = tel4vn_simulator.cdr(7)
    by_id = await client.cdrs.get(wire["id"])
    by_sip = await client.cdrs.get(wire["sip_call_id"])
    assert isinstance(by_id, models.Cdr)
    assert by_id.cdr_id == by_sip.cdr_id == wire["id"].strip()
    with pytest.raises(errors.NotFoundError):
        await client.cdrs.get("00000000-0000-0000-0000-000000000000")


async def test_cdrs_list_paginated(
    client: AsyncTel4vnClient, tel4vn_simulator: Tel4vnSimulator
) -> None:
    """page/limit returns one page with total, limit and offset."""
    page = await client.cdrs.list(page=2, limit=20)
    assert len(page.items) == 20
    assert (page.total, page.limit, page.offset) == (1000, 20, 20)
    assert [c.cdr_id for c in page.items] == list(tel4vn_simulator.cdr_ids())[20:40]


async def test_cdrs_list_starts_a_scroll(client: AsyncTel4vnClient) -> None:
    """Without page/offset the first page carries a scroll cursor to continue with."""
    first = await client.cdrs.list(limit=100)
    assert first.next_cursor
    second = await client.cdrs.list(limit=100, scroll_id=first.next_cursor)
    assert {c.cdr_id for c in first.items}.isdisjoint(c.cdr_id for c in second.items)


async def test_cdrs_filters_are_sent_and_applied(
    client: AsyncTel4vnClient, tel4vn_simulator: Tel4vnSimulator
) -> None:
    """Filters reach the server and narrow the result."""
    records = [
        c async for c in client.cdrs.iterate(direction="outbound", status="busy", extension="105")
    ]
    assert records
    for cdr in records:
        assert isinstance(cdr, models.Cdr)
        assert cdr.status.lower() == "busy"
        assert cdr.extension == "105"
    request = tel4vn_simulator.requests[-1]
    assert request.query["direction"] == "outbound"


async def test_click2call_variants(client: AsyncTel4vnClient) -> None:
    """The three click-to-call endpoints return a call id for a registered extension."""
    sync = await client.click2call.call(ext="101", phone="0899098899")
    nowait = await client.click2call.call_nowait(ext="103", phone="0899098899", auto_answer=True)
    customer = await client.click2call.call_customer(
        customer_id="KH1", mobile="0899098899", agent="104"
    )
    assert all(r.status == "success" and r.call_id for r in (sync, nowait, customer))
    live = await client.calls.list()
    assert {sync.call_id, nowait.call_id, customer.call_id} <= {c.call_id for c in live.data}


@pytest.mark.parametrize(
    ("ext", "code"),
    [
        pytest.param("199", "USER_NOT_REGISTERED", id="not-registered"),
        pytest.param("102", "USER_BUSY", id="busy"),
    ],
)
async def test_click2call_fail_body_raises(client: AsyncTel4vnClient, ext: str, code: str) -> None:
    """A status "fail" body with HTTP 200 raises ProviderError with the provider code."""
    with pytest.raises(errors.ProviderError) as caught:
        await client.click2call.call_nowait(ext=ext, phone="0899098899")
    assert caught.value.code == code
    assert caught.value.status == 200


@pytest.mark.parametrize("action", ["transfer", "listen", "whisper", "barge"])
async def test_call_control(client: AsyncTel4vnClient, action: str) -> None:
    """Each call-control action succeeds on a live call and fails on an unknown one."""
    live = await client.calls.list()
    call_id = live.data[0].call_id
    result = await getattr(client.calls, action)(call_id, ext="101")
    assert (result.status, result.call_id, result.ext) == ("success", call_id, "101")
    with pytest.raises(errors.ProviderError):
        await getattr(client.calls, action)("no-such-call", ext="101")


async def test_autodialer_queue_lifecycle(
    client: AsyncTel4vnClient, tel4vn_simulator: Tel4vnSimulator
) -> None:
    """A queue is imported, stopped, started, stopped and deleted; then it is not found."""
    imported = await client.autodialer.import_queue(
        campaign_id=tel4vn_simulator.campaign_ids[0],
        queue_code="Q1",
        precall_ratio=150,
        max_recall_count=2,
        queue_agents="5001",
        customers=[AutodialerCustomer(id="C1", mobiles=["0899123456"])],
    )
    assert imported.message == "successfully"
    for step in ("stop", "start", "stop", "delete"):
        assert (await getattr(client.autodialer, step)("Q1")).message == "successfully"
    with pytest.raises(errors.NotFoundError):
        await client.autodialer.stop("Q1")


async def test_autodialer_unknown_campaign(client: AsyncTel4vnClient) -> None:
    """An unknown campaign is a ProviderError carrying the provider's message."""
    with pytest.raises(errors.ProviderError, match="campaign is invalid"):
        await client.autodialer.import_queue(
            campaign_id="nope",
            queue_code="Q2",
            precall_ratio="150",
            max_recall_count="2",
            queue_agents="5001",
            customers=[{"id": "C1", "mobiles": ["0899123456"]}],
        )


async def test_autocall_queue_lifecycle(
    client: AsyncTel4vnClient, tel4vn_simulator: Tel4vnSimulator
) -> None:
    """An IVR queue keeps template fields, takes a DNC list and obeys stop/start/delete."""
    result = await client.autocall.import_queue(
        queue_code="AQ1",
        template="IVR-1",
        concurrent_call=5,
        customers=[
            AutocallCustomer(id="K1", mobiles=["0982596021"], fields={"dpd": 5}),
            {"id": "K2", "mobiles": ["0982596022"], "due_date": "2021-07-13"},
        ],
    )
    assert sorted(result.data.success) == ["K1", "K2"]
    stored = tel4vn_simulator.autocall_queues["AQ1"]
    assert "dpd" in str(stored)
    assert "due_date" in str(stored)
    assert (await client.autocall.dnc("AQ1", customer_ids=["K2"])).code == 200
    for step in ("stop", "start", "stop", "delete"):
        assert (await getattr(client.autocall, step)("AQ1")).code == 200
    with pytest.raises(errors.NotFoundError):
        await client.autocall.start("AQ1")


async def test_user_status(client: AsyncTel4vnClient, tel4vn_simulator: Tel4vnSimulator) -> None:
    """A user's status is found by username and by uuid; unknown users are NotFound."""
    user = tel4vn_simulator.users[0]
    by_name = await client.users.status(user["username"])
    by_uuid = await client.users.status(user["user_uuid"])
    assert by_name.username == by_uuid.username == user["username"]
    assert isinstance(by_name.logged_in, bool)
    with pytest.raises(errors.NotFoundError):
        await client.users.status("nobody")


async def test_customers_create_list_get(
    client: AsyncTel4vnClient, tel4vn_simulator: Tel4vnSimulator
) -> None:
    """A created customer is listed and fetched; unknown ids are NotFound."""
    campaign = tel4vn_simulator.campaign_ids[0]
    created = await client.customers.create(
        campaign_id=campaign,
        customer_code="KH99",
        phone_number="0899888998",
        contract_number="ABC123",
        customer_name="Khach Hang 99",
        after_day=3,
    )
    assert created.id
    fetched = await client.customers.get(created.id)
    assert (fetched.customer_code, fetched.after_day, fetched.status.lower()) == ("KH99", 3, "new")
    listed = [c.customer_id async for c in client.customers.iterate(campaign_id=campaign)]
    assert created.id in listed
    with pytest.raises(errors.NotFoundError):
        await client.customers.get("no-such-customer")


async def test_customers_pages_concurrently_in_order(
    client: AsyncTel4vnClient, tel4vn_simulator: Tel4vnSimulator
) -> None:
    """Concurrent customer pages return the same customers, in the same order."""
    campaign = tel4vn_simulator.campaign_ids[0]
    for n in range(12):
        await client.customers.create(
            campaign_id=campaign,
            customer_code=f"K{n}",
            phone_number="0899888998",
            contract_number=f"C{n}",
        )
    serial = [c.customer_id async for c in client.customers.iterate(page_size=5)]
    parallel = [c.customer_id async for c in client.customers.iterate(page_size=5, concurrency=3)]
    assert parallel == serial
    assert len(serial) == len(set(serial)) >= 12
