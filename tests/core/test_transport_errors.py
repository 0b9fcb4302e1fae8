"""Transport errors name the method, the redacted URL, and which timeout fired with its value."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import aiohttp
import anyio
import pytest

from telcall import AsyncAICallCenterClient, AsyncTel4vnClient, errors
from telcall.simulator import AICallCenterSimulator, Drop, Reply, Stall, Tel4vnSimulator


@pytest.mark.parametrize(
    ("kwargs", "kind", "seconds", "text"),
    [
        pytest.param(
            {"timeout": aiohttp.ClientTimeout(total=30, sock_read=1.5)},
            "read",
            1.5,
            "read timeout of 1.5 s",
            id="read",
        ),
        pytest.param({"timeout": 1.5}, "total", 1.5, "total timeout of 1.5 s", id="total"),
        pytest.param({"deadline": 1.5}, "deadline", 1.5, "deadline of 1.5 s", id="deadline"),
    ],
)
async def test_timeout_names_itself_and_the_request(
    tel4vn_simulator: Tel4vnSimulator,
    kwargs: dict[str, object],
    kind: str,
    seconds: float,
    text: str,
) -> None:
    """A host that never answers: the error says which timeout, its value, method and URL."""
    sim = tel4vn_simulator
    async with AsyncTel4vnClient(
        base_url=sim.base_url,
        api_key=sim.api_key,
        max_retries=0,
        **kwargs,  # type: ignore[arg-type]
    ) as client:
        await client.calls.list()
        sim.script(Stall(), path="/v2/cdr")
        with anyio.fail_after(10), pytest.raises(errors.TransportTimeout) as caught:
            await client.cdrs.list(page=1)
    error = caught.value
    assert (error.timeout, error.seconds) == (kind, seconds)
    assert text in str(error)
    assert f"GET {sim.base_url}/v2/cdr?" in str(error)
    assert (error.method, error.url.split("?")[0]) == ("GET", f"{sim.base_url}/v2/cdr")


async def test_per_call_timeout_is_named(tel4vn_simulator: Tel4vnSimulator) -> None:
    """A per-call ``timeout=`` is the one reported."""
    sim = tel4vn_simulator
    async with AsyncTel4vnClient(base_url=sim.base_url, api_key=sim.api_key, max_retries=0) as c:
        await c.calls.list()
        sim.script(Stall(), path="/v2/call")
        with anyio.fail_after(10), pytest.raises(errors.TransportTimeout, match=r"0\.25 s"):
            await c.calls.list(timeout=0.25)


async def test_refused_connection_names_the_request() -> None:
    """A refused connection is a ConnectError naming the method and URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with AsyncTel4vnClient(
        base_url=f"http://127.0.0.1:{port}", token="tok-1234567890", max_retries=0
    ) as client:
        with pytest.raises(errors.ConnectError) as caught:
            await client.calls.list()
    assert f"GET http://127.0.0.1:{port}/v2/call" in str(caught.value)
    assert "cannot connect" in str(caught.value)


@pytest.fixture
def unanswered_port() -> Iterator[int]:
    """A loopback port whose accept queue is full, so new connections hang in SYN."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(8):
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(("127.0.0.1", port))
        fillers.append(filler)
    yield port
    for filler in fillers:
        filler.close()
    listener.close()


async def test_connect_timeout_is_named(unanswered_port: int) -> None:
    """A connection that is never accepted times out as "connect", with its value."""
    timeout = aiohttp.ClientTimeout(total=30, connect=0.3)
    async with AsyncTel4vnClient(
        base_url=f"http://127.0.0.1:{unanswered_port}",
        token="tok-1234567890",
        max_retries=0,
        timeout=timeout,
    ) as client:
        with anyio.fail_after(10), pytest.raises(errors.TransportTimeout) as caught:
            await client.calls.list()
    assert (caught.value.timeout, caught.value.seconds) == ("connect", 0.3)
    assert "connect timeout of 0.3 s" in str(caught.value)
    assert f"GET http://127.0.0.1:{unanswered_port}/v2/call" in str(caught.value)


async def test_dropped_connection_names_the_redacted_request(
    aicallcenter_simulator: AICallCenterSimulator,
) -> None:
    """A connection dropped mid-body names method and URL, with the query token redacted."""
    sim = aicallcenter_simulator
    async with AsyncAICallCenterClient(
        base_url=sim.base_url, secret_key=sim.secret_key, max_retries=0
    ) as client:
        sim.script(Drop(), path="/api/users/call-log")
        with pytest.raises(errors.TransportError) as caught:
            await client.users.calls.list()
    text = str(caught.value)
    assert f"GET {sim.base_url}/api/users/call-log?access_token=***" in text
    assert "connection failed" in text


async def test_token_with_a_newline_is_refused(tel4vn_simulator: Tel4vnSimulator) -> None:
    """A token endpoint handing out a token with CR/LF gets AuthenticationError, nothing sent."""
    sim = tel4vn_simulator
    body = {"code": 200, "data": {"token": "abc\r\nX-Injected: 1", "expired_in": 3600}}
    sim.script(Reply(200, body), path="/v2/auth/token")
    async with AsyncTel4vnClient(base_url=sim.base_url, api_key=sim.api_key, max_retries=0) as c:
        with pytest.raises(errors.AuthenticationError, match="unusable token"):
            await c.calls.list()
    assert sim.count(path="/v2/call") == 0
