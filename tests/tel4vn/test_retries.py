"""Retries, backoff, Retry-After, deadlines and the error mapping of bad responses."""

from __future__ import annotations

import logging
import socket
import time

import pytest

from telcall import AsyncTel4vnClient, errors
from telcall._core.retry import RetryPolicy
from telcall.simulator import HTML_502_BODY, Delay, Drop, Reply, Tel4vnSimulator, Truncate


def fast_retries(client: AsyncTel4vnClient, max_retries: int = 2) -> None:
    """Keep the real policy but shrink its backoff so tests stay quick."""
    client._transport.retry = RetryPolicy(max_retries=max_retries, base=0.01, cap=0.02)


async def test_transient_5xx_is_retried_and_logged(
    client: AsyncTel4vnClient, tel4vn_simulator: Tel4vnSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    """Two 503s then success: the GET succeeds and each retry is logged at INFO."""
    fast_retries(client)
    await client.calls.list()
    tel4vn_simulator.script(503, times=2, path="/v2/call")
    with caplog.at_level(logging.INFO, logger="telcall"):
        live = await client.calls.list()
    assert live.total >= 0
    retries = [r for r in caplog.records if r.getMessage().startswith("retrying")]
    assert len(retries) == 2
    assert "attempt 2 of 3" in retries[0].getMessage()
    assert "HTTP 503" in retries[0].getMessage()
    assert retries[0].levelno == logging.INFO


async def test_retry_after_is_honoured(
    client: AsyncTel4vnClient, tel4vn_simulator: Tel4vnSimulator
) -> None:
    """A 429 with Retry-After: 1 waits about a second before the retry."""
    await client.calls.list()
    tel4vn_simulator.script(Reply(429, retry_after=1), path="/v2/call")
    started = time.monotonic()
    await client.calls.list()
    assert time.monotonic() - started >= 0.95


async def test_retries_exhausted_raise_server_error(
    client: AsyncTel4vnClient, tel4vn_simulator: Tel4vnSimulator
) -> None:
    """After max_retries the 503 surfaces as ServerError; 1 + 2 attempts were made."""
    fast_retries(client)
    await client.calls.list()
    tel4vn_simulator.script(503, times=5, path="/v2/call")
    with pytest.raises(errors.ServerError) as caught:
        await client.calls.list()
    assert caught.value.status == 503
    assert tel4vn_simulator.count("GET", "/v2/call") == 1 + 3


async def test_html_502_from_a_proxy(
    client: AsyncTel4vnClient, tel4vn_simulator: Tel4vnSimulator
) -> None:
    """An HTML 502 page is retried, then raises ServerError carrying a short snippet."""
    fast_retries(client)
    await client.calls.list()
    tel4vn_simulator.script(Reply(502, HTML_502_BODY, "text/html"), times=3, path="/v2/call")
    with pytest.raises(errors.ServerError) as caught:
        await client.calls.list()
    assert "502 Bad Gateway" in caught.value.message
    assert len(caught.value.message) <= 200
    assert tel4vn_simulator.count("GET", "/v2/call") == 1 + 3


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(Truncate(), id="truncated-json"),
        pytest.param(Reply(200, HTML_502_BODY, "text/html"), id="html-200"),
        pytest.param(Reply(200, {"unexpected": True, "data": 5}), id="wrong-shape"),
    ],
)
async def test_bad_200_body_is_a_decode_error(
    client: AsyncTel4vnClient, tel4vn_simulator: Tel4vnSimulator, fault: object
) -> None:
    """A 200 whose body is not the expected JSON raises DecodeError (not KeyError) at once."""
    await client.cdrs.list(page=1)
    tel4vn_simulator.script(fault, path="/v2/cdr")  # type: ignore[arg-type]
    with pytest.raises(errors.DecodeError) as caught:
        await client.cdrs.list(page=1)
    assert caught.value.status == 200
    assert caught.value.snippet
    assert tel4vn_simulator.count("GET", "/v2/cdr") == 2


async def test_dropped_connection_on_get_is_retried(
    client: AsyncTel4vnClient, tel4vn_simulator: Tel4vnSimulator
) -> None:
    """A connection dropped mid-body is retried for a GET."""
    fast_retries(client)
    await client.cdrs.list(page=1)
    tel4vn_simulator.script(Drop(), path="/v2/cdr")
    page = await client.cdrs.list(page=1)
    assert len(page.items) == 50


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(Drop(), id="dropped-after-send"),
        pytest.param(Reply(503), id="503"),
        pytest.param(Reply(500), id="500"),
    ],
)
async def test_non_idempotent_post_is_not_retried_once_sent(
    client: AsyncTel4vnClient, tel4vn_simulator: Tel4vnSimulator, fault: object
) -> None:
    """Click-to-call that may have reached the server is never repeated."""
    fast_retries(client)
    await client.calls.list()
    tel4vn_simulator.script(fault, path="/v2/click2call")  # type: ignore[arg-type]
    with pytest.raises(errors.TelcallError):
        await client.click2call.call_customer(customer_id="KH1", mobile="0899098899", agent="101")
    assert tel4vn_simulator.count("POST", "/v2/click2call") == 1


async def test_rate_limited_post_is_retried(
    client: AsyncTel4vnClient, tel4vn_simulator: Tel4vnSimulator
) -> None:
    """A 429 means the server did not process the call, so even click-to-call is repeated."""
    fast_retries(client)
    await client.calls.list()
    tel4vn_simulator.script(Reply(429, retry_after=0), path="/v2/click2call")
    result = await client.click2call.call_customer(
        customer_id="KH1", mobile="0899098899", agent="101"
    )
    assert result.call_id
    assert tel4vn_simulator.count("POST", "/v2/click2call") == 2


async def test_idempotent_post_is_retried(
    client: AsyncTel4vnClient, tel4vn_simulator: Tel4vnSimulator
) -> None:
    """Queue stop is safe to repeat, so a 503 on it is retried."""
    fast_retries(client)
    await client.autocall.import_queue(
        queue_code="Q", template="T", customers=[{"id": "1", "mobiles": ["0982596021"]}]
    )
    tel4vn_simulator.script(503, path="/v2/autocall/queue/stop")
    assert (await client.autocall.stop("Q")).code == 200
    assert tel4vn_simulator.count("POST", "/v2/autocall/queue/stop") == 2


def closed_port() -> int:
    """A loopback port with nothing listening."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_connect_failure_is_retried_even_for_a_post(caplog: pytest.LogCaptureFixture) -> None:
    """A refused connection never sent anything, so even click-to-call is retried."""
    async with AsyncTel4vnClient(base_url=f"http://127.0.0.1:{closed_port()}", token="t") as client:
        fast_retries(client)
        with caplog.at_level(logging.INFO, logger="telcall"), pytest.raises(errors.ConnectError):
            await client.click2call.call_customer(customer_id="K", mobile="0899098899", agent="1")
    assert len([r for r in caplog.records if r.getMessage().startswith("retrying")]) == 2


async def test_per_call_timeout(
    client: AsyncTel4vnClient, tel4vn_simulator: Tel4vnSimulator
) -> None:
    """A per-call timeout overrides the client's and raises TransportTimeout."""
    fast_retries(client, max_retries=0)
    await client.calls.list()
    tel4vn_simulator.script(Delay(1.0), path="/v2/call")
    started = time.monotonic()
    with pytest.raises(errors.TransportTimeout):
        await client.calls.list(timeout=0.2)
    assert time.monotonic() - started < 0.9


async def test_deadline_bounds_the_whole_call(tel4vn_simulator: Tel4vnSimulator) -> None:
    """The overall deadline stops retrying early and surfaces the last real error."""
    async with AsyncTel4vnClient(
        base_url=tel4vn_simulator.base_url, api_key=tel4vn_simulator.api_key, deadline=0.5
    ) as client:
        await client.calls.list()
        tel4vn_simulator.script(Reply(503, retry_after=5), times=3, path="/v2/call")
        started = time.monotonic()
        with pytest.raises(errors.ServerError):
            await client.calls.list()
        assert time.monotonic() - started < 0.5
