"""``with_options``: per-client overrides that share the parent's session, pool and tokens."""

from __future__ import annotations

import gc
from typing import Any

import aiohttp
import msgspec
import pytest

from telcall import AsyncTel4vnClient, Tel4vnClient, errors
from telcall.simulator import Tel4vnSimulator

TOKEN_PATH = "/v2/auth/token"


async def test_view_shares_session_and_token(sim: Tel4vnSimulator) -> None:
    """A view sends over the parent's session with the parent's token: one token fetch."""
    async with AsyncTel4vnClient(base_url=sim.base_url, api_key=sim.api_key) as parent:
        await parent.calls.list()
        view = parent.with_options(timeout=7, max_retries=0)
        await view.calls.list()
        assert view._transport._session is parent._transport._session
        assert sim.count("POST", TOKEN_PATH) == 1
        assert sim.count("GET", "/v2/call") == 2


async def test_view_opens_no_new_connection(sim: Tel4vnSimulator) -> None:
    """Calls through the parent and a view reuse one pooled connection."""
    created: list[object] = []

    async def on_create(*args: Any) -> None:
        created.append(args)

    trace = aiohttp.TraceConfig()
    trace.on_connection_create_end.append(on_create)
    async with (
        aiohttp.ClientSession(trace_configs=[trace]) as session,
        AsyncTel4vnClient(base_url=sim.base_url, api_key=sim.api_key, session=session) as parent,
    ):
        await parent.calls.list()
        await parent.with_options(max_retries=5, extra_headers={"X-A": "1"}).calls.list()
        await parent.with_options(deadline=9).calls.list()
    assert len(created) == 1


async def test_parent_is_unchanged(sim: Tel4vnSimulator) -> None:
    """The view's timeout, retries, backoff and deadline leave the parent's alone."""
    async with AsyncTel4vnClient(base_url=sim.base_url, api_key=sim.api_key) as parent:
        view = parent.with_options(
            timeout=3, max_retries=7, deadline=11, backoff_base=0.1, backoff_cap=0.3
        )
        assert (view._transport.timeout.total, view._transport.retry.max_retries) == (3.0, 7)
        assert (view._transport.retry.base, view._transport.retry.cap) == (0.1, 0.3)
        assert view._deadline == 11.0
        assert (parent._transport.timeout.total, parent._transport.retry.max_retries) == (30.0, 2)
        assert (parent._transport.retry.base, parent._transport.retry.cap) == (0.5, 8.0)
        assert parent._deadline is None
        assert view.calls is not parent.calls
        assert view.calls._client is view


async def test_max_retries_override_applies(
    client: AsyncTel4vnClient, sim: Tel4vnSimulator
) -> None:
    """``max_retries=0`` on a view sends one attempt; the parent's default retries twice."""
    await client.calls.list()
    sim.script(503, times=1, path="/v2/call")
    with pytest.raises(errors.ServerError):
        await client.with_options(max_retries=0).calls.list()
    assert sim.count("GET", "/v2/call") == 2
    sim.script(503, times=2, path="/v2/call")
    await client.calls.list()
    assert sim.count("GET", "/v2/call") == 5


async def test_extras_reach_the_server(client: AsyncTel4vnClient, sim: Tel4vnSimulator) -> None:
    """Extra headers, query parameters and body fields are sent; telcall's own values win."""
    view = client.with_options(
        extra_headers={"X-Tenant": "t1", "Authorization": "Bearer forged"},
        extra_query={"debug": True, "limit": 999},
        extra_body={"note": "hi", "mobile": "overridden?"},
    )
    await view.cdrs.list(limit=5)
    await view.click2call.call_customer(customer_id="c1", mobile="0899888998", agent="101")
    get = next(r for r in sim.requests if r.path == "/v2/cdr")
    assert (get.headers["X-Tenant"], get.query["debug"], get.query["limit"]) == ("t1", "true", "5")
    assert get.headers["Authorization"] != "Bearer forged"
    post = next(r for r in sim.requests if r.path == "/v2/click2call")
    body = msgspec.json.decode(post.body)
    assert (body["note"], body["mobile"]) == ("hi", "0899888998")


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"extra_headers": {"X-A": "1\r\nX-Injected: 1"}}, id="header-value-crlf"),
        pytest.param({"extra_headers": {"X-A\n": "1"}}, id="header-name-lf"),
        pytest.param({"extra_headers": {"X A": "1"}}, id="header-name-space"),
        pytest.param({"extra_headers": {"X-A": 1}}, id="header-value-not-str"),
        pytest.param({"extra_query": {"q": "a\nb"}}, id="query-value-lf"),
        pytest.param({"extra_query": {"q\r": "a"}}, id="query-name-cr"),
        pytest.param({"extra_body": {"k\n": "v"}}, id="body-name-lf"),
        pytest.param({"max_retries": -1}, id="negative-retries"),
        pytest.param({"backoff_base": 0}, id="zero-backoff"),
        pytest.param({"backoff_cap": float("inf")}, id="infinite-cap"),
        pytest.param({"deadline": -1}, id="negative-deadline"),
        pytest.param({"timeout": 0}, id="zero-timeout"),
        pytest.param({"hooks": [print]}, id="hooks-not-Hooks"),
    ],
)
async def test_bad_options_are_refused(
    client: AsyncTel4vnClient, sim: Tel4vnSimulator, kwargs: dict[str, Any]
) -> None:
    """Bad overrides raise ValidationError at ``with_options`` and nothing is sent."""
    with pytest.raises(errors.ValidationError):
        client.with_options(**kwargs)
    assert sim.requests == []


async def test_secret_extra_header_is_redacted(
    client: AsyncTel4vnClient, sim: Tel4vnSimulator
) -> None:
    """A value under a secret name in the extras is scrubbed from errors like any secret."""
    view = client.with_options(extra_headers={"Api-Key": "s3cr3t-extra-value"}, max_retries=0)
    sim.script(500, times=1, path="/v2/call")
    with pytest.raises(errors.ServerError) as caught:
        await view.calls.list()
    assert "s3cr3t-extra-value" in view._transport.redactor
    assert "s3cr3t-extra-value" not in repr(caught.value.headers)


async def test_closing_a_view_keeps_the_parent_open(sim: Tel4vnSimulator) -> None:
    """``aclose`` on a view closes nothing shared; the parent goes on working."""
    async with AsyncTel4vnClient(base_url=sim.base_url, api_key=sim.api_key) as parent:
        async with parent.with_options(timeout=5) as view:
            await view.calls.list()
        await parent.calls.list()
        assert not parent.closed


def test_sync_view_shares_the_parent(tel4vn_simulator_sync: Tel4vnSimulator) -> None:
    """The sync facade's ``with_options`` shares session and token; dropping a view is safe."""
    sim = tel4vn_simulator_sync
    with Tel4vnClient(base_url=sim.base_url, api_key=sim.api_key) as parent:
        parent.calls.list()
        view = parent.with_options(max_retries=0, extra_headers={"X-Sync": "yes"})
        assert isinstance(view, Tel4vnClient)
        view.calls.list()
        assert view._client.get(lambda c: c._transport._session) is parent._client.get(
            lambda c: c._transport._session
        )
        del view
        gc.collect()
        parent.calls.list()
    assert sim.count("POST", TOKEN_PATH) == 1
    assert [r.headers.get("X-Sync") for r in sim.requests if r.path == "/v2/call"] == [
        None,
        "yes",
        None,
    ]
