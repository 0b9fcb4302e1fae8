"""Session ownership, closing, headers and timeouts of the transport; its decision step."""

from __future__ import annotations

import asyncio
import gc
import platform
import warnings
from typing import Any

import aiohttp
import pytest

from telcall import AsyncTel4vnClient, errors
from telcall._core.retry import RetryPolicy
from telcall._core.transport import Deadline, Response, Transport, _Failed
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


def _prepared(transport: Transport, method: str = "GET") -> Any:
    return transport._prepare(method, "/x", None, None, None, None, None)


@pytest.mark.parametrize(
    ("method", "status", "retried"),
    [
        pytest.param("GET", 503, True, id="get-503"),
        pytest.param("GET", 400, False, id="get-400"),
        pytest.param("GET", 200, False, id="get-200"),
        pytest.param("POST", 503, False, id="post-503"),
        pytest.param("POST", 429, True, id="post-429"),
        pytest.param("GET", 307, False, id="get-307"),
    ],
)
async def test_decide_step_is_pure_policy(method: str, status: int, retried: bool) -> None:
    """The decision step maps an attempt's outcome to a wait (retry) or None, with no I/O."""
    transport = Transport(provider="p", base_url="http://127.0.0.1:9", retry=RetryPolicy(base=0.01))
    request = _prepared(transport, method)
    response = Response(status, {}, b"", method, "http://127.0.0.1:9/x")
    wait = transport._decide(request, 1, response, None)
    assert (wait is not None) is retried
    assert transport._decide(request, 3, response, None) is None, "out of retries"


async def test_decide_step_on_failures() -> None:
    """A never-sent failure is retried even for POST; a closed transport never retries."""
    transport = Transport(provider="p", base_url="http://127.0.0.1:9", retry=RetryPolicy(base=0.01))
    post = _prepared(transport, "POST")
    never_sent = _Failed(errors.ConnectError("refused"), None, sent=False)
    maybe_sent = _Failed(errors.TransportError("reset"), None, sent=True)
    assert transport._decide(post, 1, never_sent, None) is not None
    assert transport._decide(post, 1, maybe_sent, None) is None
    await transport.aclose()
    assert transport._decide(post, 1, never_sent, None) is None
    assert isinstance(never_sent.error, errors.ClientClosedError)


async def test_decide_step_respects_the_deadline() -> None:
    """A retry whose wait would pass the deadline becomes a deadline timeout instead."""
    loop = asyncio.get_running_loop()
    transport = Transport(provider="p", base_url="http://127.0.0.1:9", retry=RetryPolicy(base=5))
    request = _prepared(transport)
    failed = _Failed(errors.TransportError("reset"), None, sent=True)
    transport.retry.rng.seed(1)
    assert transport._decide(request, 1, failed, Deadline(0.01, loop.time() + 0.01)) is None
    assert isinstance(failed.error, errors.TransportTimeout)
    assert failed.error.timeout == "deadline"
