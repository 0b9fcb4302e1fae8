"""Request, response and retry hooks: what they see, when, and on which thread."""

from __future__ import annotations

import logging
import threading

import pytest

from telcall import AsyncTel4vnClient, Tel4vnClient
from telcall._core.hooks import Hooks, RequestView, ResponseView, RetryView
from telcall._sync._bridge import THREAD_NAME
from telcall.simulator import Reply, Tel4vnSimulator


async def test_hooks_see_each_attempt_and_retry(
    client: AsyncTel4vnClient, sim: Tel4vnSimulator
) -> None:
    """A call retried twice: three requests, three responses, two retries, in order."""
    seen: list[RequestView | ResponseView | RetryView] = []

    async def record(view: RequestView | ResponseView | RetryView) -> None:
        seen.append(view)

    view = client.with_options(hooks=Hooks(on_request=[record], on_response=[record]))
    view = view.with_options(hooks=Hooks(on_retry=[seen.append]))
    await view.calls.list()
    seen.clear()
    sim.script(503, times=2, path="/v2/call")
    await view.calls.list()
    kinds = [type(v).__name__ for v in seen]
    assert kinds == [
        "RequestView",
        "ResponseView",
        "RetryView",
        "RequestView",
        "ResponseView",
        "RetryView",
        "RequestView",
        "ResponseView",
    ]
    assert [v.attempt for v in seen] == [1, 1, 1, 2, 2, 2, 3, 3]
    responses = [v for v in seen if isinstance(v, ResponseView)]
    assert [r.status for r in responses] == [503, 503, 200]
    retries = [v for v in seen if isinstance(v, RetryView)]
    assert [(r.reason, r.status) for r in retries] == [("HTTP 503", 503)] * 2
    assert all(0 <= r.wait <= 0.002 for r in retries)
    first = seen[0]
    assert isinstance(first, RequestView)
    assert (first.provider, first.operation, first.method) == ("tel4vn", "calls.list", "GET")
    assert first.url == f"{sim.base_url}/v2/call"
    assert first.headers["Authorization"] == "***"
    assert all(r.elapsed > 0 for r in responses)


async def test_token_fetch_is_seen_inside_the_operation(sim: Tel4vnSimulator) -> None:
    """The token request a call makes first is reported under the call's operation."""
    urls: list[tuple[str | None, str]] = []
    hooks = Hooks(on_request=[lambda v: urls.append((v.operation, v.url))])
    async with AsyncTel4vnClient(base_url=sim.base_url, api_key=sim.api_key, hooks=hooks) as c:
        await c.cdrs.list(limit=2)
    assert urls == [
        ("cdrs.list", f"{sim.base_url}/v2/auth/token"),
        ("cdrs.list", f"{sim.base_url}/v2/cdr?limit=2"),
    ]


async def test_views_are_read_only(client: AsyncTel4vnClient) -> None:
    """A hook cannot change the request: views are frozen and their headers immutable."""
    captured: list[RequestView] = []
    await client.with_options(hooks=Hooks(on_request=[captured.append])).calls.list()
    view = captured[-1]
    with pytest.raises(AttributeError):
        view.url = "http://elsewhere"  # type: ignore[misc]
    with pytest.raises(TypeError):
        view.headers["Authorization"] = "x"  # type: ignore[index]


async def test_a_failing_hook_does_not_fail_the_call(
    client: AsyncTel4vnClient, caplog: pytest.LogCaptureFixture
) -> None:
    """An exception from a hook is logged as a warning and the call returns normally."""

    def broken(view: ResponseView) -> None:
        raise RuntimeError("hook bug")

    with caplog.at_level(logging.WARNING, logger="telcall"):
        live = await client.with_options(hooks=Hooks(on_response=[broken])).calls.list()
    assert live.total >= 0
    assert any("hook raised" in r.getMessage() for r in caplog.records)


async def test_request_id_reaches_hooks_and_errors(
    client: AsyncTel4vnClient, sim: Tel4vnSimulator
) -> None:
    """A provider's ``X-Request-Id`` is on the response view and on the API error."""
    from telcall import errors

    ids: list[str | None] = []
    view = client.with_options(
        max_retries=0, hooks=Hooks(on_response=[lambda v: ids.append(v.request_id)])
    )
    await view.calls.list()
    sim.script(Reply(404, headers={"X-Request-Id": "req-42"}), times=1, path="/v2/call")
    with pytest.raises(errors.NotFoundError) as caught:
        await view.calls.list()
    assert caught.value.request_id == "req-42"
    assert ids == [None, "req-42"]


def test_sync_hooks_run_on_the_bridge_thread(tel4vn_simulator_sync: Tel4vnSimulator) -> None:
    """Sync callables given to a sync client run on telcall's bridge thread, once per attempt."""
    sim = tel4vn_simulator_sync
    threads: list[str] = []
    hooks = Hooks(on_request=[lambda v: threads.append(threading.current_thread().name)])
    with Tel4vnClient(base_url=sim.base_url, api_key=sim.api_key, hooks=hooks) as client:
        client.calls.list()
    assert threads == [THREAD_NAME, THREAD_NAME]
