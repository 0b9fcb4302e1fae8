"""Token caching, early renewal and single-flight refresh."""

from __future__ import annotations

import asyncio

from telcall._core.auth import CachedToken, StaticToken


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_token_is_cached() -> None:
    """A fresh token is reused without asking the source again."""
    calls = 0

    async def source() -> tuple[str, float | None]:
        nonlocal calls
        calls += 1
        return f"t{calls}", 3600.0

    tokens = CachedToken(source, clock=FakeClock())
    assert await tokens.get() == "t1"
    assert await tokens.get() == "t1"
    assert calls == 1


async def test_token_renewed_before_expiry() -> None:
    """Inside the margin before expiry the token is renewed proactively."""
    clock = FakeClock()
    calls = 0

    async def source() -> tuple[str, float | None]:
        nonlocal calls
        calls += 1
        return f"t{calls}", 3600.0

    tokens = CachedToken(source, margin=300.0, clock=clock)
    await tokens.get()
    clock.now += 3600 - 301
    assert await tokens.get() == "t1"
    clock.now += 2
    assert await tokens.get() == "t2"


async def test_short_lived_tokens_use_a_proportional_margin() -> None:
    """A 60 s token is renewed 6 s early, not 300 s early (which would be every call)."""
    clock = FakeClock()
    calls = 0

    async def source() -> tuple[str, float | None]:
        nonlocal calls
        calls += 1
        return f"t{calls}", 60.0

    tokens = CachedToken(source, clock=clock)
    await tokens.get()
    clock.now += 50
    assert await tokens.get() == "t1"
    clock.now += 5
    assert await tokens.get() == "t2"


async def test_concurrent_callers_share_one_refresh() -> None:
    """Fifty callers with no token cause exactly one fetch."""
    calls = 0

    async def source() -> tuple[str, float | None]:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        return "shared", 3600.0

    tokens = CachedToken(source)
    results = await asyncio.gather(*(tokens.get() for _ in range(50)))
    assert set(results) == {"shared"}
    assert calls == 1


async def test_invalidate_only_drops_the_refused_token() -> None:
    """A stale 401 for an old token does not throw away a newer one."""
    calls = 0

    async def source() -> tuple[str, float | None]:
        nonlocal calls
        calls += 1
        return f"t{calls}", 3600.0

    tokens = CachedToken(source)
    assert await tokens.get() == "t1"
    tokens.invalidate("t1")
    assert await tokens.get() == "t2"
    tokens.invalidate("t1")
    assert await tokens.get() == "t2"


async def test_static_token_cannot_renew() -> None:
    """A caller-supplied token is used as is and reports it cannot be renewed."""
    tokens = StaticToken("given")
    assert await tokens.get() == "given"
    assert tokens.invalidate("given") is False
    assert "given" not in repr(tokens)
