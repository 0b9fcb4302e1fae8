"""Click-to-call and live-call control."""

import pytest


@pytest.mark.parametrize(
    "path",
    [pytest.param("/v1/click2call", id="sync"), pytest.param("/v1/click2call/async", id="async")],
)
async def test_click2call_get_success_creates_live_call(api, path):
    """A successful GET click-to-call returns a call_id that GET /v2/call lists."""
    status, body = await api.get(path, ext="101", phone="0899098899", hotline="19001919")
    assert status == 200
    assert list(body) == ["status", "call_id"]
    assert body["status"] == "success"
    _, calls = await api.get("/v2/call")
    call = next(c for c in calls["data"] if c["call_id"] == body["call_id"])
    assert (
        call["source"],
        call["destination"],
        call["direction"],
    ) == ("101", "0899098899", "outbound")
    assert len(calls["data"]) == calls["total"]


@pytest.mark.parametrize(
    ("path", "ext", "expected"),
    [
        pytest.param(
            "/v1/click2call",
            "999",
            {"status": "fail", "error": "USER_NOT_REGISTERED"},
            id="sync-unreg",
        ),
        pytest.param(
            "/v1/click2call", "102", {"status": "fail", "error": "USER_BUSY"}, id="sync-busy"
        ),
        pytest.param(
            "/v1/click2call/async",
            "999",
            {
                "status": "fail",
                "message": "User not registered extension with Softphone or IP Phone",
                "error": "USER_NOT_REGISTERED",
            },
            id="async-unreg",
        ),
        pytest.param(
            "/v1/click2call/async",
            "102",
            {"status": "fail", "message": "User is busy", "error": "USER_BUSY"},
            id="async-busy",
        ),
    ],
)
async def test_click2call_get_failures(api, path, ext, expected):
    """Unregistered and busy extensions answer HTTP 200 with a fail body."""
    assert (200, expected) == await api.get(path, ext=ext, phone="0899098899")


async def test_click2call_get_requires_ext_and_phone(api):
    """ext and phone are required."""
    status, body = await api.get("/v1/click2call", ext="101")
    assert (status, body["error"]) == (400, "Bad Request")


async def test_click2call_post(api):
    """POST /v2/click2call succeeds with code '0' and fails with code '1'."""
    status, body = await api.post(
        "/v2/click2call", {"id": "KH1", "mobile": "0899098899", "agent": "101"}
    )
    assert status == 200
    assert (body["code"], body["status"]) == ("0", "success")
    assert list(body) == ["code", "call_id", "status"]
    _, body = await api.post(
        "/v2/click2call", {"id": "KH1", "mobile": "0899098899", "agent": "150"}
    )
    assert body == {
        "code": "1",
        "status": "fail",
        "message": "User not registered extension with Softphone or IP Phone",
        "error": "USER_NOT_REGISTERED",
    }


async def test_live_calls_expire(tel4vn_simulator_factory, make_api):
    """A click-to-call call leaves GET /v2/call after live_call_ttl; seeded calls stay."""
    api = await make_api(await tel4vn_simulator_factory(cdrs=1, live_call_ttl=0.0))
    _, before = await api.get("/v2/call")
    await api.get("/v1/click2call", ext="101", phone="0899098899")
    _, after = await api.get("/v2/call")
    assert before == after
    assert after["total"] == 2
    assert list(after["data"][0]) == [
        "call_id",
        "context",
        "created_time",
        "destination",
        "direction",
        "ip",
        "source",
        "state",
    ]


@pytest.mark.parametrize("action", ["transfer", "listen", "whisper", "barge"])
async def test_call_actions(api, action):
    """Call actions succeed for a live call and a registered ext, else fail with HTTP 200."""
    _, calls = await api.get("/v2/call")
    call_id = calls["data"][0]["call_id"]
    assert (200, {"status": "success", "call_id": call_id, "ext": "110"}) == await api.post(
        f"/v2/call/{call_id}/{action}", {"ext": "110"}
    )
    assert await api.post(f"/v2/call/{call_id}/{action}", {"ext": "999"}) == (
        200,
        {"status": "fail", "error": "USER_NOT_REGISTERED"},
    )
    assert await api.post(f"/v2/call/unknown/{action}", {"ext": "110"}) == (
        200,
        {"status": "fail", "error": "CALL_NOT_FOUND"},
    )
