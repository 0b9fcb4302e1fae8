"""Per-call ``extra_headers`` / ``extra_query`` / ``extra_body`` on every public method.

Parametrized over the methods discovered from the clients (see ``methods.py``), async and sync:
the simulator must see the call's extra header and query parameter on every request the call
sends, and the extra body field in every JSON object body. Bad extras are refused before I/O.
"""

from __future__ import annotations

import concurrent.futures
import uuid
from typing import Any

import anyio
import msgspec
import pytest

from telcall import errors

from .conftest import PROVIDERS, WATCHDOG, Hostile, async_endpoints, sync_endpoints
from .methods import Endpoint, arguments


def probe(tag: str) -> dict[str, Any]:
    """The three extras of one call, all carrying ``tag``."""
    return {
        "extra_headers": {"X-Telcall-Probe": tag},
        "extra_query": {"telcall_probe": tag},
        "extra_body": {"telcall_probe": tag},
    }


def assert_probed(requests: list[Any], tag: str) -> None:
    """Every request carries the probe header and query; every JSON object body the field."""
    assert requests, "the call sent nothing"
    for request in requests:
        where = f"{request.method} {request.path}"
        assert request.headers.get("X-Telcall-Probe") == tag, where
        assert request.query.get("telcall_probe") == tag, where
        if request.body[:1] == b"{":
            assert msgspec.json.decode(request.body).get("telcall_probe") == tag, where


async def run_async(endpoint: Endpoint, client: Any, kwargs: dict[str, Any]) -> None:
    """Await the method, or take one item of the listing; the server's refusals are fine."""
    try:
        result = endpoint.bind(client)(**kwargs)
        if endpoint.listing:
            try:
                await result.__anext__()
            except StopAsyncIteration:
                pass
            finally:
                await result.aclose()
        else:
            await result
    except errors.ValidationError:
        raise
    except errors.TelcallError:
        pass


def run_sync(endpoint: Endpoint, client: Any, kwargs: dict[str, Any]) -> None:
    """The sync twin of :func:`run_async`."""
    try:
        result = endpoint.bind(client)(**kwargs)
        if endpoint.listing:
            with result:
                next(iter(result), None)
    except errors.ValidationError:
        raise
    except errors.TelcallError:
        pass


@pytest.mark.parametrize("endpoint", [pytest.param(e, id=e.key) for e in async_endpoints()])
async def test_async_method_sends_its_extras(hostile_factory: Any, endpoint: Endpoint) -> None:
    """The call's extras reach every request it sends (header, query and JSON body)."""
    tag = uuid.uuid4().hex
    with anyio.fail_after(WATCHDOG):
        async with hostile_factory(endpoint.provider) as h:
            hostile: Hostile = h
            await run_async(endpoint, hostile.client, {**arguments(endpoint, h.sim), **probe(tag)})
            assert_probed(hostile.served(), tag)


@pytest.mark.parametrize("endpoint", [pytest.param(e, id=e.key) for e in sync_endpoints()])
def test_sync_method_sends_its_extras(
    sync_servers: dict[str, tuple[Any, Any]], endpoint: Endpoint
) -> None:
    """The generated sync methods forward the call's extras."""
    sim, client = sync_servers[endpoint.provider]
    tag = uuid.uuid4().hex
    worker = concurrent.futures.ThreadPoolExecutor(1)
    try:
        kwargs = {**arguments(endpoint, sim), **probe(tag)}
        worker.submit(run_sync, endpoint, client, kwargs).result(timeout=WATCHDOG)
    finally:
        worker.shutdown(wait=False, cancel_futures=True)
    assert_probed([r for r in sim.requests if r.headers.get("X-Telcall-Probe") == tag], tag)


BAD_EXTRAS = [
    pytest.param({"extra_headers": {"X-A": "a\r\nX-B: b"}}, id="header-value-crlf"),
    pytest.param({"extra_headers": {"X-A\n": "a"}}, id="header-name-lf"),
    pytest.param({"extra_headers": {"X A": "a"}}, id="header-name-space"),
    pytest.param({"extra_query": {"q": "a\nb"}}, id="query-value-lf"),
    pytest.param({"extra_query": {"q\r": "a"}}, id="query-name-cr"),
    pytest.param({"extra_body": {"k\n": 1}}, id="body-name-lf"),
    pytest.param({"extra_headers": {"X-A": 5}}, id="header-value-int"),
]


@pytest.mark.parametrize("extras", BAD_EXTRAS)
@pytest.mark.parametrize(
    ("provider", "path", "kwargs"),
    [
        pytest.param("tel4vn", "cdrs.list", {}, id="tel4vn-list"),
        pytest.param("tel4vn", "cdrs.iterate", {}, id="tel4vn-iterate"),
        pytest.param("omicall", "contacts.layout", {}, id="omicall-layout"),
        pytest.param("aicallcenter", "users.calls.pages", {}, id="aicc-pages"),
    ],
)
async def test_bad_extras_are_refused_before_any_request(
    hostile_factory: Any, provider: str, path: str, kwargs: dict[str, Any], extras: dict[str, Any]
) -> None:
    """CR/LF (or a non-string) in a call's extras: ValidationError, nothing sent."""
    endpoint = Endpoint(provider, path, lambda: None, listing=path.endswith(("pages", "iterate")))
    with anyio.fail_after(WATCHDOG):
        async with hostile_factory(provider) as h:
            with pytest.raises(errors.ValidationError):
                await run_async(endpoint, h.client, {**kwargs, **extras})
            assert h.served() == []


async def test_call_extras_merge_over_the_clients_and_lose_to_telcalls(
    hostile_factory: Any,
) -> None:
    """A call's extras override ``with_options``' for that call only; telcall's values win."""
    with anyio.fail_after(WATCHDOG):
        async with hostile_factory("tel4vn") as h:
            client = h.client.with_options(
                extra_headers={"X-Who": "client", "X-Keep": "kept"}, extra_query={"who": "client"}
            )
            await client.cdrs.list(
                limit=3,
                extra_headers={"X-Who": "call", "Authorization": "Bearer nope"},
                extra_query={"who": "call", "limit": "999"},
            )
            await client.cdrs.list(limit=3)
            first, second = h.served()
    assert (first.headers["X-Who"], first.headers["X-Keep"], first.query["who"]) == (
        "call",
        "kept",
        "call",
    )
    assert first.query["limit"] == "3"
    assert first.headers["Authorization"] != "Bearer nope"
    assert (second.headers["X-Who"], second.query["who"]) == ("client", "client")


async def test_call_extras_stay_out_of_the_token_fetch_they_cause(hostile_factory: Any) -> None:
    """A token fetched during the call is the client's, shared: the call's extras stay out."""
    with anyio.fail_after(WATCHDOG):
        async with hostile_factory("tel4vn") as h:
            fresh = PROVIDERS["tel4vn"].async_client(**PROVIDERS["tel4vn"].client_kwargs(h.sim))
            async with fresh:
                await fresh.calls.list(extra_headers={"X-Telcall-Probe": "t"})
            token, call = h.served()
    assert token.path == "/v2/auth/token"
    assert "X-Telcall-Probe" not in token.headers
    assert call.headers["X-Telcall-Probe"] == "t"


async def test_secret_in_call_extras_is_redacted(hostile_factory: Any) -> None:
    """A value sent under a secret name in a call's extras never appears in its error."""
    secret = "s3cr3t-" + uuid.uuid4().hex
    with anyio.fail_after(WATCHDOG):
        async with hostile_factory("tel4vn") as h:
            with pytest.raises(errors.NotFoundError) as caught:
                await h.client.cdrs.get("missing-id", extra_query={"api_key": secret})
    assert secret not in str(caught.value)
    assert secret not in repr(caught.value)
    assert secret not in caught.value.url


async def test_raw_twin_forwards_the_call_extras(hostile_factory: Any) -> None:
    """``with_raw_response`` takes the same extras and sends them."""
    with anyio.fail_after(WATCHDOG):
        async with hostile_factory("tel4vn") as h:
            raw = await h.client.with_raw_response.cdrs.list(limit=1, **probe("raw"))
            assert raw.status == 200
            assert_probed(h.served(), "raw")
