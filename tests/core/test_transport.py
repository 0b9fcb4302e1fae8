"""Session ownership, closing, headers and timeouts of the transport."""

from __future__ import annotations

import gc
import platform
import warnings

import aiohttp
import pytest

from telcall import AsyncTel4vnClient, errors
from telcall.simulator import Tel4vnSimulator


async def test_user_agent(client_sim: tuple[AsyncTel4vnClient, Tel4vnSimulator]) -> None:
    """Requests carry telcall/<ver> python/<ver> aiohttp/<ver>."""
    client, sim = client_sim
    await client.calls.list()
    agent = sim.requests[-1].headers["User-Agent"]
    assert agent.startswith("telcall/")
    assert f"python/{platform.python_version()}" in agent
    assert f"aiohttp/{aiohttp.__version__}" in agent


async def test_one_lazy_session_with_a_pool_limit(tel4vn_simulator: Tel4vnSimulator) -> None:
    """The session is created on first use, reused, and has the configured pool limit."""
    client = AsyncTel4vnClient(
        base_url=tel4vn_simulator.base_url, api_key=tel4vn_simulator.api_key, pool_limit=7
    )
    assert client._transport._session is None
    await client.calls.list()
    session = client._transport._session
    assert session is not None
    assert session.connector is not None
    assert session.connector.limit == 7
    await client.calls.list()
    assert client._transport._session is session
    await client.aclose()


async def test_closed_client_raises_a_clear_error(tel4vn_simulator: Tel4vnSimulator) -> None:
    """After aclose() every call raises ClientClosedError; aclose() is idempotent."""
    client = AsyncTel4vnClient(base_url=tel4vn_simulator.base_url, api_key=tel4vn_simulator.api_key)
    await client.calls.list()
    await client.aclose()
    await client.aclose()
    assert client.closed
    with pytest.raises(errors.ClientClosedError, match="closed"):
        await client.calls.list()


async def test_caller_session_is_not_closed(tel4vn_simulator: Tel4vnSimulator) -> None:
    """A session supplied by the caller stays open after the client closes."""
    async with aiohttp.ClientSession() as session:
        async with AsyncTel4vnClient(
            base_url=tel4vn_simulator.base_url, api_key=tel4vn_simulator.api_key, session=session
        ) as client:
            await client.calls.list()
        assert not session.closed


async def test_no_unclosed_session_warning(tel4vn_simulator: Tel4vnSimulator) -> None:
    """Used with async with, nothing warns about unclosed sessions or connectors."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        async with AsyncTel4vnClient(
            base_url=tel4vn_simulator.base_url, api_key=tel4vn_simulator.api_key
        ) as client:
            await client.calls.list()
        del client
        gc.collect()
    assert [str(w.message) for w in caught] == []


async def test_client_timeout_default(tel4vn_simulator: Tel4vnSimulator) -> None:
    """The default timeout is 30 s total / 5 s connect; a float sets the total."""
    default = AsyncTel4vnClient(base_url=tel4vn_simulator.base_url, token="t")
    custom = AsyncTel4vnClient(base_url=tel4vn_simulator.base_url, token="t", timeout=3)
    assert (default._transport.timeout.total, default._transport.timeout.connect) == (30.0, 5.0)
    assert (custom._transport.timeout.total, custom._transport.timeout.connect) == (3.0, 3.0)
