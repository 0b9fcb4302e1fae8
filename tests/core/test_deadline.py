"""``deadline`` bounds a whole call: token fetch, retries, renewal after a 401 and the replay."""

from __future__ import annotations

import asyncio
import time

import anyio
import pytest

from telcall import AsyncTel4vnClient, errors
from telcall.simulator import Delay, Reply, Stall, Tel4vnSimulator

TOKEN_PATH = "/v2/auth/token"


async def test_deadline_covers_token_fetch_renewal_and_replay(
    tel4vn_simulator: Tel4vnSimulator,
) -> None:
    """A slow token endpoint twice and a 401 in between: TransportTimeout at about the deadline."""
    sim = tel4vn_simulator
    sim.script(Delay(0.6), times=2, path=TOKEN_PATH)
    sim.script(Reply(401), path="/v2/call")
    async with AsyncTel4vnClient(
        base_url=sim.base_url, api_key=sim.api_key, deadline=1.0
    ) as client:
        started = time.monotonic()
        with anyio.fail_after(10), pytest.raises(errors.TransportTimeout) as caught:
            await client.calls.list()
        elapsed = time.monotonic() - started
    assert elapsed < 2.5
    assert caught.value.timeout == "deadline"
    assert caught.value.seconds == 1.0
    assert "deadline of 1 s" in str(caught.value)
    assert "GET http://127.0.0.1" in str(caught.value)


async def test_deadline_covers_waiting_for_another_callers_token_fetch(
    tel4vn_simulator: Tel4vnSimulator,
) -> None:
    """A caller waiting on another caller's token fetch still times out at its own deadline."""
    sim = tel4vn_simulator
    sim.script(Stall(), times=5, path=TOKEN_PATH)
    async with AsyncTel4vnClient(
        base_url=sim.base_url, api_key=sim.api_key, deadline=0.5, max_retries=0
    ) as client:
        with anyio.fail_after(10):
            first = asyncio.ensure_future(client.calls.list())
            # The first caller's fetch is on the wire: the second one waits for it.
            for _ in range(1000):
                if sim.count("POST", TOKEN_PATH):
                    break
                await asyncio.sleep(0.005)
            started = time.monotonic()
            with pytest.raises(errors.TransportTimeout) as waiter:
                await client.calls.list()
            elapsed = time.monotonic() - started
            with pytest.raises(errors.TransportTimeout):
                await first
    assert waiter.value.timeout == "deadline"
    assert elapsed < 2.5
    assert sim.count("GET", "/v2/call") == 0


async def test_a_call_within_its_deadline_succeeds(tel4vn_simulator: Tel4vnSimulator) -> None:
    """A call that fits in its deadline (token fetch included) returns normally, repeatedly."""
    sim = tel4vn_simulator
    async with AsyncTel4vnClient(base_url=sim.base_url, api_key=sim.api_key, deadline=30) as client:
        for _ in range(3):
            assert (await client.calls.list()) is not None
