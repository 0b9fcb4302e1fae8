"""Bodies are bounded by max_response_bytes, counted decompressed, without buffering past it."""

from __future__ import annotations

import gzip
import tracemalloc

import anyio
import pytest

from telcall import AsyncTel4vnClient, errors
from telcall.simulator import Endless, Reply, Tel4vnSimulator

from .conftest import ProviderCase

MiB = 1024 * 1024


@pytest.fixture
async def sim() -> Tel4vnSimulator:  # type: ignore[misc]
    """A small TEL4VN simulator."""
    async with Tel4vnSimulator(cdrs=20, seed=1) as server:
        yield server


def _client(sim: Tel4vnSimulator, **kwargs: object) -> AsyncTel4vnClient:
    return AsyncTel4vnClient(base_url=sim.base_url, api_key=sim.api_key, max_retries=0, **kwargs)  # type: ignore[arg-type]


async def test_default_limit_is_64_mib(sim: Tel4vnSimulator) -> None:
    """Unset, every client allows 64 MiB per body."""
    async with _client(sim) as client:
        assert client._transport.max_response_bytes == 64 * MiB


async def test_endless_body_stops_at_the_limit_with_little_memory(sim: Tel4vnSimulator) -> None:
    """An endless chunked body fails with ResponseTooLarge, peak memory near the limit."""
    async with _client(sim, max_response_bytes=2 * MiB, timeout=60) as client:
        await client.calls.list(timeout=60)  # token and session first, outside the measurement
        sim.script(Endless(), path="/v2/call")
        tracemalloc.start()
        try:
            with anyio.fail_after(30), pytest.raises(errors.ResponseTooLarge) as caught:
                await client.calls.list(timeout=60)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert caught.value.limit == 2 * MiB
    assert "max_response_bytes=2097152" in str(caught.value)
    assert "GET http://127.0.0.1" in str(caught.value)
    # The chunks held at the limit, their join, and slack for the parser's buffers.
    assert peak < 16 * MiB


async def test_gzip_bomb_is_counted_decompressed(sim: Tel4vnSimulator) -> None:
    """A small gzip body that inflates past the limit fails before it is all inflated."""
    bomb = gzip.compress(b'{"data": [' + b" " * (64 * MiB) + b"]}", compresslevel=9)
    assert len(bomb) < MiB
    sim.script(Reply(200, bomb, headers={"Content-Encoding": "gzip"}), path="/v2/call")
    async with _client(sim, max_response_bytes=4 * MiB) as client:
        with anyio.fail_after(30), pytest.raises(errors.ResponseTooLarge):
            await client.calls.list()


async def test_content_length_over_the_limit_fails_before_reading(sim: Tel4vnSimulator) -> None:
    """A declared length over the limit fails at once; a body under it passes."""
    sim.script(Reply(200, b"x" * 5000, content_type="text/plain"), path="/v2/call")
    async with _client(sim, max_response_bytes=4096) as client:
        with pytest.raises(errors.ResponseTooLarge, match="Content-Length 5000"):
            await client.calls.list()
        assert (await client.calls.list()) is not None


async def test_too_large_is_not_retried(sim: Tel4vnSimulator) -> None:
    """An oversized answer will be oversized again: it is not retried."""
    sim.script(Reply(200, b"x" * 5000, content_type="text/plain"), times=3, path="/v2/call")
    client = AsyncTel4vnClient(
        base_url=sim.base_url, api_key=sim.api_key, max_retries=2, max_response_bytes=4096
    )
    async with client:
        with pytest.raises(errors.ResponseTooLarge):
            await client.calls.list()
    assert sim.count("GET", "/v2/call") == 1


async def test_every_client_takes_the_setting(provider: ProviderCase) -> None:
    """All three clients accept max_response_bytes and enforce it."""
    async with provider.start_sim(None) as server:
        server.script(Reply(200, b"y" * 3000, content_type="text/plain"), path=provider.data_path)
        async with provider.client(server, max_response_bytes=2048, max_retries=0) as client:
            with pytest.raises(errors.ResponseTooLarge):
                await provider.call(client)
