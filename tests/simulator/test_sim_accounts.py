"""Event subscriptions, user status and customers."""

import re

import pytest

PHONE = "^(84|0[3|5|7|8|9])+([0-9]{8})$"


async def test_event_subscriptions_lifecycle(api):
    """Create (any event name), list, delete; deleting twice answers 404."""
    assert await api.get("/v1/event") == (200, {"data": []})
    body = {"callback_url": "https://hook.example/", "callback_apikey": "k", "event": "whatever"}
    assert await api.post("/v1/event", body) == (200, {"created": True})
    _, listed = await api.get("/v1/event")
    (event,) = listed["data"]
    assert list(event) == [
        "event_domain_uuid",
        "domain_uuid",
        "domain_name",
        "event_name",
        "callback_url",
        "callback_apikey",
    ]
    assert (event["event_name"], event["callback_url"]) == ("whatever", "https://hook.example/")
    path = f"/v1/event/{event['event_domain_uuid']}"
    assert await api.call("DELETE", path) == (200, {"deleted": True})
    assert await api.call("DELETE", path) == (
        404,
        {"code": 404, "content": "Not Found", "error": "Not Found"},
    )


async def test_event_requires_url_and_event(api):
    """callback_url and event are required."""
    assert (await api.post("/v1/event", {"event": "hangup"}))[0] == 400


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/v2/user/test.user01/status", id="username"),
        pytest.param("/v2/user/aaaaaaaa-1111-2222-3333-eeeeeeee/status", id="uuid"),
        pytest.param("/v2/customer/user/test.user01/status", id="customer-path"),
    ],
)
async def test_user_status(api, path):
    """User status by username or uuid, on both documented paths."""
    assert await api.get(path) == (
        200,
        {
            "code": 200,
            "content": "successfully",
            "data": {
                "agent_name": "Test User 01",
                "ext_loggedin": "true",
                "extension": "101",
                "user_uuid": "aaaaaaaa-1111-2222-3333-eeeeeeee",
                "username": "test.user01",
            },
        },
    )


async def test_user_status_unknown(api):
    """An unknown user answers 404 'user is not existed'."""
    assert (await api.get("/v2/user/ghost/status")) == (
        404,
        {"code": 404, "content": "user is not existed", "error": "Not Found"},
    )


async def test_customers_list_and_get(api):
    """Seeded customers are listed (filter, limit, offset) and fetched one by one."""
    status, body = await api.get("/v2/customer")
    assert status == 200
    assert list(body) == ["code", "content", "data", "limit", "offset", "total"]
    assert (body["limit"], body["offset"], body["total"]) == (50, 0, 5)
    campaign = api.sim.campaign_ids[0]
    _, some = await api.get("/v2/customer", campaign_id=campaign, limit=1, offset=1)
    assert (len(some["data"]), some["total"]) == (1, 3)
    customer = some["data"][0]
    assert campaign == customer["campaign_id"]
    assert (200, {"code": 200, "content": "successfully", "data": customer}) == await api.get(
        f"/v2/customer/{customer['customer_id']}"
    )
    assert await api.get("/v2/customer/nope") == (
        404,
        {"code": 404, "content": "Not Found", "error": "Not Found"},
    )


async def test_create_customer(api):
    """POST /v2/customer answers 201 with the id; the customer is then listed as NEW."""
    body = {
        "campaign_id": api.sim.campaign_ids[2],
        "customer_code": "KH01",
        "phone_number": "0899888998",
        "contract_number": "ABC123",
    }
    status, created = await api.post("/v2/customer", body)
    assert status == 201
    assert (created["content"], created["code"]) == ("successfully", 201)
    _, got = await api.get(f"/v2/customer/{created['id']}")
    data = got["data"]
    assert (
        data["status"],
        data["updated_at"],
        data["after_day"],
        data["customer_name"],
    ) == ("NEW", "0001-01-01T00:00:00Z", 7, "")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", data["created_at"])
    _, listed = await api.get("/v2/customer", campaign_id=api.sim.campaign_ids[2])
    assert [data] == listed["data"]


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        pytest.param(
            {"phone_number": "84899888998"},
            [{"phone_number": f"Does not match pattern '{PHONE}'"}],
            id="bad-phone",
        ),
        pytest.param({"contract_number": ""}, [{"contract_number": "is required"}], id="missing"),
        pytest.param(
            {"after_day": "7"}, [{"after_day": "Invalid type. Expected: integer"}], id="after-day"
        ),
    ],
)
async def test_create_customer_rejected(api, body, errors):
    """Invalid customers answer 400 with a list of {field: message}."""
    full = {
        "campaign_id": "c",
        "customer_code": "KH01",
        "phone_number": "0899888998",
        "contract_number": "ABC123",
        **body,
    }
    assert (400, {"code": 400, "content": errors, "error": "Bad Request"}) == await api.post(
        "/v2/customer", full
    )
