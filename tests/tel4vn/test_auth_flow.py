"""Tokens: obtained once, renewed before expiry and after a 401, shared under concurrency."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from telcall import AsyncTel4vnClient, errors
from telcall.simulator import Faults, Tel4vnSimulator

Factory = Callable[..., Awaitable[Tel4vnSimulator]]


def token_requests(sim: Tel4vnSimulator) -> int:
    """How many times the token endpoint was called."""
    return sim.count("POST", "/v2/auth/token")


async def test_token_fetched_once_and_reused(
    client: AsyncTel4vnClient, tel4vn_simulator: Tel4vnSimulator
) -> None:
    """Many calls share one token."""
    for _ in range(5):
        await client.calls.list()
    assert token_requests(tel4vn_simulator) == 1
    auth = {r.headers.get("Authorization") for r in tel4vn_simulator.requests[1:]}
    assert len(auth) == 1
    assert auth.pop().startswith("Bearer ")  # type: ignore[union-attr]


async def test_token_renewed_before_it_expires(tel4vn_simulator_factory: Factory) -> None:
    """A token inside its renewal margin is replaced before the server would refuse it."""
    sim = await tel4vn_simulator_factory(token_ttl=1.0)
    async with AsyncTel4vnClient(base_url=sim.base_url, api_key=sim.api_key) as client:
        await client.calls.list()
        await asyncio.sleep(0.95)  # the margin of a 1 s token is 0.1 s
        await client.calls.list()
    assert token_requests(sim) == 2
    assert sim.count("GET", "/v2/call") == 2  # no 401 round trip


async def test_token_renewed_once_after_401(
    client: AsyncTel4vnClient, tel4vn_simulator: Tel4vnSimulator
) -> None:
    """A 401 on a cached token renews it once and replays the request."""
    await client.calls.list()
    tel4vn_simulator.expire_tokens()
    live = await client.calls.list()
    assert live.total >= 0
    assert token_requests(tel4vn_simulator) == 2
    assert tel4vn_simulator.count("GET", "/v2/call") == 3


async def test_fifty_concurrent_calls_share_one_refresh(
    client: AsyncTel4vnClient, tel4vn_simulator: Tel4vnSimulator
) -> None:
    """Fifty concurrent calls with an expired token cause exactly one token request."""
    await client.calls.list()
    tel4vn_simulator.expire_tokens()
    before = token_requests(tel4vn_simulator)
    results = await asyncio.gather(*(client.calls.list() for _ in range(50)))
    assert len(results) == 50
    assert token_requests(tel4vn_simulator) == before + 1


async def test_token_expiring_after_n_requests(tel4vn_simulator_factory: Factory) -> None:
    """With tokens dying every 3 requests, 20 calls still succeed by renewing."""
    sim = await tel4vn_simulator_factory(faults=Faults(token_expire_after=3))
    async with AsyncTel4vnClient(base_url=sim.base_url, api_key=sim.api_key) as client:
        for _ in range(20):
            await client.calls.list()
    assert token_requests(sim) >= 6


async def test_refused_twice_is_an_authentication_error(
    client: AsyncTel4vnClient, tel4vn_simulator: Tel4vnSimulator
) -> None:
    """If the renewed token is refused too, the 401 surfaces (no loop)."""
    await client.calls.list()
    tel4vn_simulator.script(401, times=2, path="/v2/call")
    with pytest.raises(errors.AuthenticationError):
        await client.calls.list()
    assert token_requests(tel4vn_simulator) == 2


async def test_wrong_api_key(tel4vn_simulator: Tel4vnSimulator) -> None:
    """A wrong api_key raises AuthenticationError from the token endpoint, once."""
    async with AsyncTel4vnClient(base_url=tel4vn_simulator.base_url, api_key="wrong") as client:
        with pytest.raises(errors.AuthenticationError):
            await client.calls.list()
    assert tel4vn_simulator.count("GET", "/v2/call") == 0


async def test_ready_made_token(tel4vn_simulator: Tel4vnSimulator) -> None:
    """A caller-supplied token is used without calling the token endpoint."""
    async with AsyncTel4vnClient(
        base_url=tel4vn_simulator.base_url, api_key=tel4vn_simulator.api_key
    ) as c:
        token = (await c.auth.token(tel4vn_simulator.api_key)).token
    async with AsyncTel4vnClient(base_url=tel4vn_simulator.base_url, token=token) as client:
        await client.calls.list()
    assert token_requests(tel4vn_simulator) == 1


async def test_ready_made_token_refused(tel4vn_simulator: Tel4vnSimulator) -> None:
    """A refused caller-supplied token cannot be renewed: AuthenticationError at once."""
    async with AsyncTel4vnClient(base_url=tel4vn_simulator.base_url, token="stale") as client:
        with pytest.raises(errors.AuthenticationError):
            await client.calls.list()
    assert tel4vn_simulator.count("GET", "/v2/call") == 1
