"""A failed token refresh is single-flight too: one fetch, its failure shared, then a cool-down."""

from __future__ import annotations

import asyncio

import anyio
import pytest

from telcall import AsyncTel4vnClient, errors
from telcall._core.auth import CachedToken
from telcall._core.retry import RetryPolicy
from telcall.simulator import Tel4vnSimulator

TOKEN_PATH = "/v2/auth/token"


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _client(sim: Tel4vnSimulator, **kwargs: object) -> AsyncTel4vnClient:
    client = AsyncTel4vnClient(base_url=sim.base_url, api_key=sim.api_key, **kwargs)  # type: ignore[arg-type]
    client._transport.retry = RetryPolicy(max_retries=2, base=0.01, cap=0.02)
    return client


@pytest.mark.parametrize("max_retries", [pytest.param(2, id="retries"), pytest.param(0, id="none")])
async def test_concurrent_callers_share_one_failed_refresh(
    tel4vn_simulator: Tel4vnSimulator, max_retries: int
) -> None:
    """Ten callers with the token endpoint at 503 send one refresh (with its retries), all fail."""
    sim = tel4vn_simulator
    sim.script(503, times=1000, path=TOKEN_PATH)
    async with _client(sim) as client:
        client._transport.retry.max_retries = max_retries
        with anyio.fail_after(30):
            results = await asyncio.gather(
                *(client.calls.list() for _ in range(10)), return_exceptions=True
            )
    assert all(isinstance(r, errors.ServerError) for r in results), results
    assert sim.count("POST", TOKEN_PATH) == max_retries + 1
    assert sim.count("GET", "/v2/call") == 0


async def test_next_refresh_waits_for_the_cooldown(tel4vn_simulator: Tel4vnSimulator) -> None:
    """Within the cool-down a call gets the last failure without a request; after it, a fetch."""
    sim = tel4vn_simulator
    sim.script(503, times=3, path=TOKEN_PATH)
    clock = FakeClock()
    async with _client(sim, token_cooldown=30) as client:
        client._tokens._clock = clock  # type: ignore[attr-defined]
        with pytest.raises(errors.ServerError) as first:
            await client.calls.list()
        clock.now += 29
        with pytest.raises(errors.ServerError) as again:
            await client.calls.list()
        assert again.value is first.value
        assert sim.count("POST", TOKEN_PATH) == 3
        clock.now += 2
        assert (await client.calls.list()) is not None
    assert sim.count("POST", TOKEN_PATH) == 4


async def test_default_cooldown_is_one_second() -> None:
    """Unset, the cool-down after a failed fetch is 1 s."""
    clock = FakeClock()
    calls = 0

    async def source() -> tuple[str, float | None]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise errors.ServerError("down", provider="x", status=503)
        return "fresh", 3600.0

    tokens = CachedToken(source, clock=clock)
    with pytest.raises(errors.ServerError):
        await tokens.get()
    clock.now += 0.99
    with pytest.raises(errors.ServerError):
        await tokens.get()
    assert calls == 1
    clock.now += 0.02
    assert await tokens.get() == "fresh"


async def test_waiters_share_the_failure_even_without_cooldown() -> None:
    """With cooldown=0, callers already waiting still get the failed fetch's error."""
    calls = 0
    gate = asyncio.Event()

    async def source() -> tuple[str, float | None]:
        nonlocal calls
        calls += 1
        await gate.wait()
        raise errors.ServerError("down", provider="x", status=503)

    tokens = CachedToken(source, cooldown=0)
    waiting = [asyncio.ensure_future(tokens.get()) for _ in range(5)]
    await asyncio.sleep(0.05)
    gate.set()
    results = await asyncio.gather(*waiting, return_exceptions=True)
    assert all(isinstance(r, errors.ServerError) for r in results)
    assert calls == 1


async def test_a_callers_deadline_is_not_shared() -> None:
    """A fetch cut short by its caller's deadline is not repeated to the others."""
    calls = 0

    async def source() -> tuple[str, float | None]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise errors.TransportTimeout("deadline", timeout="deadline", seconds=1.0)
        return "fresh", 3600.0

    tokens = CachedToken(source)
    with pytest.raises(errors.TransportTimeout):
        await tokens.get()
    assert await tokens.get() == "fresh"
