"""Fault injection: each Faults option and scripted faults."""

import time

import aiohttp
import msgspec
import pytest

from telcall.simulator import HTML_502_BODY, Delay, Drop, Faults, Reply, Truncate


async def statuses(api, n, path="/v1/event"):
    """The statuses of `n` sequential GETs to `path`."""
    return [(await api.get(path))[0] for _ in range(n)]


async def test_error_rate(tel4vn_simulator_factory, make_api):
    """error_rate answers about that fraction of requests with 500/502/503, JSON or plain."""
    sim = await tel4vn_simulator_factory(cdrs=10, faults=Faults(error_rate=0.3))
    api = await make_api(sim)
    bodies = [await api.get("/v1/event") for _ in range(200)]
    errors = [(s, b) for s, b in bodies if s != 200]
    assert 40 <= len(errors) <= 80
    assert {500, 502, 503} == {s for s, _ in errors}
    assert any(isinstance(b, dict) and b["code"] == s for s, b in errors)
    assert any(isinstance(b, bytes) for _, b in errors)


async def test_auth_endpoints_spared_by_default(tel4vn_simulator_factory, make_api):
    """Random faults skip the auth endpoints unless include_auth is set."""
    sim = await tel4vn_simulator_factory(cdrs=1, faults=Faults(error_rate=1.0))
    api = await make_api(sim)
    assert 200 not in await statuses(api, 3)
    noisy = await tel4vn_simulator_factory(cdrs=1, faults=Faults(error_rate=1.0, include_auth=True))
    noisy_api = type(api)(api.session, noisy)
    status, _ = await noisy_api.call(
        "POST", "/v2/auth/token", json={"api_key": noisy.api_key}, auth=False
    )
    assert status in {500, 502, 503}


async def test_rate_limit_rate(tel4vn_simulator_factory, make_api, session):
    """rate_limit_rate answers 429 with the configured Retry-After."""
    sim = await tel4vn_simulator_factory(cdrs=1, faults=Faults(rate_limit_rate=1.0, retry_after=7))
    api = await make_api(sim)
    async with session.get(
        sim.base_url + "/v2/cdr", headers={"Authorization": f"Bearer {api.token}"}
    ) as resp:
        assert (resp.status, resp.headers["Retry-After"]) == (429, "7")


async def test_rate_limit_burst(tel4vn_simulator_factory, make_api):
    """rate_limit_burst admits that many requests per window, then 429s."""
    sim = await tel4vn_simulator_factory(
        cdrs=1, faults=Faults(rate_limit_burst=3, rate_limit_window=0.3)
    )
    api = await make_api(sim)
    assert await statuses(api, 5) == [200, 200, 200, 429, 429]
    time.sleep(0.35)  # noqa: ASYNC251 - the window must elapse with the server idle
    assert await statuses(api, 1) == [200]


async def test_latency(tel4vn_simulator_factory, make_api):
    """latency delays every answer."""
    sim = await tel4vn_simulator_factory(cdrs=1, faults=Faults(latency=0.05))
    api = await make_api(sim)
    started = time.perf_counter()
    await statuses(api, 4)
    assert time.perf_counter() - started >= 0.2


async def test_drop_rate(tel4vn_simulator_factory, make_api):
    """drop_rate cuts the body mid-way: the client sees a payload error."""
    sim = await tel4vn_simulator_factory(cdrs=100, faults=Faults(drop_rate=1.0))
    api = await make_api(sim)
    with pytest.raises(aiohttp.ClientPayloadError):
        await api.get("/v2/cdr", offset=0)


async def test_truncate_rate(tel4vn_simulator_factory, make_api, session):
    """truncate_rate sends a complete 200 whose JSON body is cut short."""
    sim = await tel4vn_simulator_factory(cdrs=100, faults=Faults(truncate_rate=1.0))
    api = await make_api(sim)
    async with session.get(
        sim.base_url + "/v2/cdr", headers={"Authorization": f"Bearer {api.token}"}
    ) as resp:
        raw = await resp.read()
        assert (200, len(raw)) == (resp.status, int(resp.headers["Content-Length"]))
    with pytest.raises(msgspec.DecodeError):
        msgspec.json.decode(raw)


async def test_html_502_rate(tel4vn_simulator_factory, make_api, session):
    """html_502_rate answers nginx's HTML 502 page."""
    sim = await tel4vn_simulator_factory(cdrs=1, faults=Faults(html_502_rate=1.0))
    api = await make_api(sim)
    async with session.get(
        sim.base_url + "/v1/event", headers={"Authorization": f"Bearer {api.token}"}
    ) as resp:
        assert (resp.status, resp.content_type) == (502, "text/html")
        assert await resp.read() == HTML_502_BODY


async def test_insert_during_scroll(tel4vn_simulator_factory, make_api, scroll):
    """insert_during_scroll adds k CDRs every m pages; a running scroll does not see them."""
    sim = await tel4vn_simulator_factory(
        cdrs=1000, faults=Faults(insert_during_scroll=3, insert_every=2)
    )
    api = await make_api(sim)
    ids = await scroll(api, limit=100)
    assert 1000 == len(ids) == len(set(ids))
    assert len(list(sim.cdr_ids())) == 1000 + 3 * (11 // 2)


async def test_faults_are_reproducible(tel4vn_simulator_factory, make_api):
    """The same seed gives the same fault sequence."""
    runs = []
    for _ in range(2):
        sim = await tel4vn_simulator_factory(cdrs=1, seed=7, faults=Faults(error_rate=0.5))
        runs.append(await statuses(await make_api(sim), 40))
    assert runs[0] == runs[1]
    assert 200 in runs[0]
    assert max(runs[0]) > 200


async def test_script_reply_with_retry_after(api, session):
    """script() answers the next N matching requests first, then the real handler."""
    api.sim.script(Reply(503, retry_after=1), times=2, path="/v2/cdr")
    headers = {"Authorization": f"Bearer {api.token}"}
    seen = []
    for _ in range(3):
        async with session.get(api.sim.base_url + "/v2/cdr", headers=headers) as resp:
            seen.append((resp.status, resp.headers.get("Retry-After")))
    assert seen == [(503, "1"), (503, "1"), (200, None)]
    assert await api.get("/v1/event") == (200, {"data": []})


async def test_script_int_and_path_filter(api):
    """An int scripts a JSON error; a path only hits matching requests."""
    api.sim.script(500, path="/v2/customer")
    assert (await api.get("/v1/event"))[0] == 200
    assert (await api.get("/v2/customer")) == (
        500,
        {"code": 500, "content": "Internal Server Error", "error": "Internal Server Error"},
    )


async def test_script_hits_auth_only_with_path(api):
    """Without a path scripted faults skip auth endpoints; with one they hit them."""
    api.sim.script(502)
    await api.login()
    assert (await api.get("/v1/event"))[0] == 502
    api.sim.script(503, path="/v2/auth/token")
    status, _ = await api.call(
        "POST", "/v2/auth/token", json={"api_key": api.sim.api_key}, auth=False
    )
    assert status == 503


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        pytest.param(Drop(), aiohttp.ClientPayloadError, id="drop"),
        pytest.param(Truncate(), None, id="truncate"),
    ],
)
async def test_script_body_faults(api, fault, error):
    """Scripted Drop and Truncate mangle the real body."""
    api.sim.script(fault)
    if error is not None:
        with pytest.raises(error):
            await api.get("/v2/cdr", offset=0)
    else:
        status, body = await api.get("/v2/cdr", offset=0)
        assert (200, bytes) == (status, type(body))


async def test_script_delay(api):
    """A scripted Delay slows one request, which then succeeds."""
    api.sim.script(Delay(0.1))
    started = time.perf_counter()
    assert (await api.get("/v1/event"))[0] == 200
    assert time.perf_counter() - started >= 0.1


async def test_request_log(api):
    """Requests are recorded in order with method, path, query, body and headers."""
    await api.get("/v2/cdr", offset=0, limit=2)
    await api.post("/v1/event", {"callback_url": "u", "event": "cdr"})
    last, prev = api.sim.requests[-1], api.sim.requests[-2]
    assert (prev.method, prev.path, prev.query) == ("GET", "/v2/cdr", {"offset": "0", "limit": "2"})
    assert last.method == "POST"
    assert msgspec.json.decode(last.body) == {"callback_url": "u", "event": "cdr"}
    assert f"Bearer {api.token}" == last.headers["Authorization"]
    assert api.sim.count("GET", "/v2/cdr") == 1
    assert api.sim.count(path="/v2/auth") == 1
    assert api.sim.count() == 3
