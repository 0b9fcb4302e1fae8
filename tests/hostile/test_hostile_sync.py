"""Every public method of the generated sync clients against fail bodies: the same typed errors."""

from __future__ import annotations

import concurrent.futures
from collections.abc import Iterator
from typing import Any

import pytest

from telcall import errors
from telcall.simulator import ScriptedFault, serve_in_thread

from .bodies import SYNC_FAIL_BODIES
from .conftest import EVERY_REQUEST, PROVIDERS, WATCHDOG, sync_endpoints
from .methods import Endpoint, arguments


def call(endpoint: Endpoint, client: Any, kwargs: dict[str, Any]) -> Any:
    """Run one sync method to the end: call it, or drain the iterator."""
    result = endpoint.bind(client)(**kwargs)
    if endpoint.listing:
        with result:
            return list(result)
    raise_for_error = getattr(result, "raise_for_error", None)
    if raise_for_error is not None:
        raise_for_error()
    return result


def must_fail(endpoint: Endpoint, client: Any, kwargs: dict[str, Any]) -> None:
    """Run the method; a value coming back fails the test."""
    value = call(endpoint, client, kwargs)
    pytest.fail(f"{endpoint.key} returned {value!r:.200}")


def cases() -> Iterator[Any]:
    """``pytest.param(endpoint, fault, expected)`` for each sync method and fail body."""
    for endpoint in sync_endpoints():
        for name, fault, expected in SYNC_FAIL_BODIES[endpoint.provider]:
            yield pytest.param(endpoint, fault, expected, id=f"{endpoint.key}-{name}")


@pytest.mark.parametrize(("endpoint", "fault", "expected"), list(cases()))
def test_sync_fail_body_raises_its_error(
    endpoint: Endpoint, fault: ScriptedFault, expected: type[Any]
) -> None:
    """A failure answer with HTTP 200 raises the same typed error through the sync facade."""
    provider = PROVIDERS[endpoint.provider]
    with (
        serve_in_thread(provider.simulator()) as sim,
        provider.sync_client(**provider.client_kwargs(sim)) as client,
    ):
        provider.warm_up(client)
        kwargs = arguments(endpoint, sim)
        mark = len(sim.requests)
        sim.script(fault, times=EVERY_REQUEST, path="/")
        # A worker thread, so that a hang fails the test instead of blocking the run.
        worker = concurrent.futures.ThreadPoolExecutor(1)
        try:
            future = worker.submit(must_fail, endpoint, client, kwargs)
            with pytest.raises(errors.TelcallError) as caught:
                future.result(timeout=WATCHDOG)
        finally:
            worker.shutdown(wait=False, cancel_futures=True)
        assert sim.requests[mark:], "no request reached the hostile server"
    assert type(caught.value) is expected, repr(caught.value)
