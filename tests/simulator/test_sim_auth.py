"""Auth endpoints and token validity."""

import asyncio

import pytest

from telcall.simulator import Faults


async def test_login_returns_account(api):
    """POST /v1/auth with the right credentials returns the account and its api_key."""
    sim = api.sim
    status, body = await api.call(
        "POST", "/v1/auth", json={"username": sim.username, "password": sim.password}, auth=False
    )
    assert status == 200
    assert {k: body[k] for k in ("code", "content")} == {"code": 200, "content": "successfully"}
    assert sim.api_key == body["data"]["api_key"]
    assert body["data"]["enabled"] == "true"


@pytest.mark.parametrize(
    "creds",
    [
        pytest.param({"username": "adminfortest", "password": "nope"}, id="wrong-password"),
        pytest.param({"username": "who", "password": "admin123"}, id="wrong-user"),
        pytest.param({}, id="empty"),
    ],
)
async def test_login_rejects_bad_credentials(api, creds):
    """Wrong credentials answer 401 with the unauthorized body."""
    status, body = await api.call("POST", "/v1/auth", json=creds, auth=False)
    assert status == 401
    assert body == {"code": 401, "content": "unauthorized", "error": "Unauthorized"}


async def test_token_shape(api):
    """POST /v2/auth/token returns the documented token shape with expired_in = token_ttl."""
    status, body = await api.call(
        "POST", "/v2/auth/token", json={"api_key": api.sim.api_key}, auth=False
    )
    assert status == 200
    data = body["data"]
    assert list(data) == [
        "client_id",
        "domain_uuid",
        "expired_in",
        "refresh_token",
        "token",
        "token_type",
        "user_id",
    ]
    assert data["expired_in"] == 86400
    assert (data["refresh_token"], data["token_type"]) == ("", "Bearer")


async def test_token_rejects_wrong_key(api):
    """A wrong api_key answers 401."""
    status, _ = await api.call("POST", "/v2/auth/token", json={"api_key": "x"}, auth=False)
    assert status == 401


@pytest.mark.parametrize(
    "header",
    [
        pytest.param(None, id="missing"),
        pytest.param("Bearer not-a-token", id="unknown"),
        pytest.param("Basic abc", id="wrong-scheme"),
    ],
)
async def test_protected_endpoint_needs_token(api, session, header):
    """Calls without a valid bearer token answer 401."""
    headers = {"Authorization": header} if header else {}
    async with session.get(api.sim.base_url + "/v2/cdr", headers=headers) as resp:
        assert resp.status == 401
        assert (await resp.json()) == {
            "code": 401,
            "content": "unauthorized",
            "error": "Unauthorized",
        }


async def test_expire_tokens(api):
    """sim.expire_tokens() invalidates issued tokens; a new token works."""
    assert (await api.get("/v1/event"))[0] == 200
    api.sim.expire_tokens()
    assert (await api.get("/v1/event"))[0] == 401
    await api.login()
    assert (await api.get("/v1/event"))[0] == 200


async def test_token_ttl(tel4vn_simulator_factory, make_api):
    """Tokens expire token_ttl seconds after issue."""
    sim = await tel4vn_simulator_factory(cdrs=10, token_ttl=0.2)
    api = await make_api(sim)
    assert (await api.get("/v1/event"))[0] == 200
    await asyncio.sleep(0.3)
    assert (await api.get("/v1/event"))[0] == 401


async def test_token_expire_after_fault(tel4vn_simulator_factory, make_api):
    """With token_expire_after=N a token serves N authenticated requests, then 401."""
    sim = await tel4vn_simulator_factory(cdrs=10, faults=Faults(token_expire_after=3))
    api = await make_api(sim)
    statuses = [(await api.get("/v1/event"))[0] for _ in range(4)]
    assert statuses == [200, 200, 200, 401]
    await api.login()
    assert (await api.get("/v1/event"))[0] == 200
