"""The hostile faults: stalls, slow and endless bodies, redirects, echo pages, frozen cursors."""

from __future__ import annotations

import asyncio
import gc
import gzip
import socket
import time

import aiohttp
import pytest

from telcall.simulator import (
    Echo,
    Endless,
    Faults,
    Freeze,
    Redirect,
    Reply,
    SlowBody,
    Stall,
    Tel4vnSimulator,
)


async def test_stall_never_answers_until_the_client_gives_up(tel4vn_simulator_factory, make_api):
    """Stall reads the request and answers nothing: the client's read timeout fires."""
    sim = await tel4vn_simulator_factory(cdrs=1)
    api = await make_api(sim)
    sim.script(Stall())
    timeout = aiohttp.ClientTimeout(total=0.3)
    with pytest.raises(asyncio.TimeoutError):
        async with api.session.get(sim.base_url + "/v1/event", timeout=timeout) as resp:
            await resp.read()
    assert await api.get("/v1/event") == (200, {"data": []})


async def test_stalled_request_does_not_hold_up_close():
    """aclose() releases a stalled handler at once instead of waiting out aiohttp's grace."""
    sim = Tel4vnSimulator(cdrs=1)
    await sim.start()
    sim.script(Stall(), path="/v2/auth/token")
    async with aiohttp.ClientSession() as session:
        request = asyncio.ensure_future(session.post(sim.base_url + "/v2/auth/token", json={}))
        await asyncio.sleep(0.2)
        started = time.monotonic()
        await asyncio.wait_for(sim.aclose(), 10)
        assert time.monotonic() - started < 5
        with pytest.raises(aiohttp.ClientError):
            await request


async def test_close_with_connections_still_being_accepted_leaks_no_socket():
    """aclose() right after a burst of connects closes every accepted socket."""
    sim = Tel4vnSimulator(cdrs=1)
    await sim.start()
    clients = [socket.create_connection(("127.0.0.1", sim.port)) for _ in range(100)]
    try:
        await sim.aclose()
    finally:
        for client in clients:
            client.close()
    gc.collect()


async def test_stall_rate_is_drawn_apart_from_the_older_options(tel4vn_simulator_factory):
    """Enabling the later options leaves the older options' seeded decisions unchanged."""
    plain = await tel4vn_simulator_factory(cdrs=1, faults=Faults(error_rate=0.5))
    jittery = await tel4vn_simulator_factory(
        cdrs=1, faults=Faults(error_rate=0.5, latency_jitter=0.001)
    )
    first = [plain._plan.decide("/v2/cdr", is_auth=False)[1] for _ in range(50)]
    second = [jittery._plan.decide("/v2/cdr", is_auth=False)[1] for _ in range(50)]
    assert first == second


async def test_latency_jitter_varies_the_delay(tel4vn_simulator_factory):
    """latency_jitter adds a seeded uniform extra delay to latency."""
    sim = await tel4vn_simulator_factory(cdrs=1, faults=Faults(latency=0.1, latency_jitter=0.2))
    delays = [sim._plan.decide("/v2/cdr", is_auth=False)[0] for _ in range(100)]
    assert all(0.1 <= d <= 0.3 for d in delays)
    assert max(delays) - min(delays) > 0.1


async def test_slow_body_sends_the_real_body_in_pieces(tel4vn_simulator_factory, make_api):
    """SlowBody sends status and headers at once, then the real body a chunk per interval."""
    sim = await tel4vn_simulator_factory(cdrs=1)
    api = await make_api(sim)
    sim.script(SlowBody(chunk=4, interval=0.05))
    started = time.monotonic()
    status, body = await api.get("/v1/event")
    assert (status, body) == (200, {"data": []})
    assert time.monotonic() - started >= 0.1


async def test_slow_body_rate_trips_a_read_timeout(tel4vn_simulator_factory, make_api):
    """slow_body_rate dribbles every answer: a client with a short sock_read timeout fails."""
    sim = await tel4vn_simulator_factory(
        cdrs=50, faults=Faults(slow_body_rate=1.0, slow_body_interval=0.5)
    )
    api = await make_api(sim)
    timeout = aiohttp.ClientTimeout(sock_read=0.2)
    with pytest.raises(asyncio.TimeoutError):
        async with api.session.get(
            sim.base_url + "/v2/cdr",
            params={"offset": 0},
            headers={"Authorization": f"Bearer {api.token}"},
            timeout=timeout,
        ) as resp:
            await resp.read()


async def test_endless_body_goes_on_until_the_client_stops(tel4vn_simulator_factory, make_api):
    """Endless streams a body that never ends; the client reads as much as it wants."""
    sim = await tel4vn_simulator_factory(cdrs=1)
    api = await make_api(sim)
    sim.script(Endless())
    async with api.session.get(sim.base_url + "/v2/cdr") as resp:
        assert resp.status == 200
        assert (await resp.content.readexactly(10)) == b'{"data": ['
        read = 0
        while read < 5_000_000:
            read += len(await resp.content.read(1 << 16))
    assert read >= 5_000_000


async def test_redirect_loops_to_itself_by_default(tel4vn_simulator_factory, make_api):
    """Redirect without a location points back at the request: a loop."""
    sim = await tel4vn_simulator_factory(cdrs=1)
    api = await make_api(sim)
    sim.script(Redirect("http://127.0.0.1:9/elsewhere", status=308))
    async with api.session.get(sim.base_url + "/v1/event", allow_redirects=False) as resp:
        assert (resp.status, resp.headers["Location"]) == (308, "http://127.0.0.1:9/elsewhere")
    sim.script(Redirect(), times=100)
    with pytest.raises(aiohttp.TooManyRedirects):
        async with api.session.get(sim.base_url + "/v1/event?x=1", max_redirects=5):
            pass


async def test_echo_quotes_the_request_like_a_proxy_page(tel4vn_simulator_factory, make_api):
    """Echo answers an HTML page that quotes the request line, headers and body."""
    sim = await tel4vn_simulator_factory(cdrs=1)
    api = await make_api(sim)
    sim.script(Echo())
    async with api.session.post(
        sim.base_url + "/v1/event?apiKey=q-secret",
        json={"callback_apikey": "b-secret"},
        headers={"Authorization": "Bearer h-secret"},
    ) as resp:
        page = await resp.text()
    assert resp.status == 200
    assert resp.content_type == "text/html"
    for secret in ("q-secret", "b-secret", "h-secret"):
        assert secret in page


async def test_freeze_replays_the_first_answer(tel4vn_simulator_factory, make_api):
    """Freeze answers every matching request with the first one's real answer."""
    sim = await tel4vn_simulator_factory(cdrs=50)
    api = await make_api(sim)
    sim.script(Freeze(), times=3, path="/v2/cdr")
    status, first = await api.get("/v2/cdr", limit=10)
    assert status == 200
    assert first["scroll_id"]
    _, second = await api.get("/v2/cdr", scroll_id=first["scroll_id"])
    _, third = await api.get("/v2/cdr", scroll_id=first["scroll_id"])
    assert first == second == third
    _, fourth = await api.get("/v2/cdr", scroll_id=first["scroll_id"])
    assert fourth["data"] != first["data"]


async def test_reply_headers_allow_a_gzip_bomb(tel4vn_simulator_factory, make_api):
    """Reply's headers let a test serve a compressed body that inflates far beyond its size."""
    sim = await tel4vn_simulator_factory(cdrs=1)
    api = await make_api(sim)
    bomb = gzip.compress(b" " * 10_000_000)
    sim.script(Reply(200, bomb, headers={"Content-Encoding": "gzip"}))
    async with api.session.get(sim.base_url + "/v1/event") as resp:
        assert len(bomb) < 100_000
        assert len(await resp.read()) == 10_000_000


async def test_start_twice_is_refused():
    """A running simulator refuses a second start() instead of leaking its first server."""
    async with Tel4vnSimulator(cdrs=1) as sim:
        port = sim.port
        with pytest.raises(RuntimeError, match="already running"):
            await sim.start()
        assert sim.port == port
    await sim.aclose()
