"""close() racing calls ends them with ClientClosedError; a client is bound to its event loop."""

from __future__ import annotations

import asyncio
import threading

import anyio
import pytest

from telcall import AsyncTel4vnClient, Tel4vnClient, errors
from telcall.simulator import Reply, Stall, Tel4vnSimulator, serve_in_thread

from .conftest import ProviderCase


async def _until(condition: object, timeout: float = 10.0) -> None:
    """Wait for ``condition()`` to hold (a watchdog fails the test instead of hanging)."""
    with anyio.fail_after(timeout):
        # The simulator records requests but signals nothing: poll its log.
        for _ in iter(int, 1):
            if condition():  # type: ignore[operator]
                return
            await asyncio.sleep(0.01)


async def test_close_during_an_in_flight_call(provider: ProviderCase) -> None:
    """A call waiting on the server when the client closes raises ClientClosedError, once."""
    async with provider.start_sim(None) as sim:
        client = provider.client(sim, max_retries=3)
        await provider.call(client)
        sim.script(Stall(), times=10, path=provider.data_path)
        before = sim.count(path=provider.data_path)
        call = asyncio.ensure_future(provider.call(client))
        await _until(lambda: sim.count(path=provider.data_path) > before)
        await client.aclose()
        with anyio.fail_after(10), pytest.raises(errors.ClientClosedError, match="closed"):
            await call
        assert sim.count(path=provider.data_path) == before + 1, "a closed client never retries"


async def test_close_during_a_retry_wait(tel4vn_simulator: Tel4vnSimulator) -> None:
    """A call sleeping before a retry ends at once with ClientClosedError when the client closes."""
    sim = tel4vn_simulator
    client = AsyncTel4vnClient(base_url=sim.base_url, api_key=sim.api_key, max_retries=3)
    await client.calls.list()
    sim.script(Reply(503, retry_after=30), times=10, path="/v2/call")
    call = asyncio.ensure_future(client.calls.list())
    await _until(lambda: sim.count("GET", "/v2/call") == 2)
    await client.aclose()
    with anyio.fail_after(5), pytest.raises(errors.ClientClosedError):
        await call
    assert sim.count("GET", "/v2/call") == 2


async def test_close_during_iteration(tel4vn_simulator: Tel4vnSimulator) -> None:
    """An iterator whose client closes mid-page raises ClientClosedError, not TransportError."""
    sim = tel4vn_simulator
    client = AsyncTel4vnClient(base_url=sim.base_url, api_key=sim.api_key)
    pages = client.cdrs.pages(page_size=10, pagination="offset")
    await anext(pages)
    sim.script(Stall(), times=10, path="/v2/cdr")
    next_page = asyncio.ensure_future(anext(pages))
    await _until(lambda: sim.count("GET", "/v2/cdr") == 2)
    await client.aclose()
    with anyio.fail_after(10), pytest.raises(errors.ClientClosedError):
        await next_page
    with pytest.raises(errors.ClientClosedError):
        await anext(client.cdrs.pages(page_size=10, pagination="offset"))


def test_sync_close_during_a_call() -> None:
    """A sync call in another thread ends with ClientClosedError when the client closes."""
    with serve_in_thread(Tel4vnSimulator(cdrs=10, seed=1)) as sim:
        client = Tel4vnClient(base_url=sim.base_url, api_key=sim.api_key, max_retries=2)
        client.calls.list()
        sim.script(Stall(), times=10, path="/v2/call")
        outcome: list[BaseException | None] = []

        def call() -> None:
            try:
                client.calls.list()
                outcome.append(None)
            except BaseException as exc:
                outcome.append(exc)

        worker = threading.Thread(target=call)
        worker.start()
        for _ in range(1000):
            if sim.count("GET", "/v2/call") == 2:
                break
            threading.Event().wait(0.01)
        client.close()
        worker.join(10)
        assert not worker.is_alive()
        assert isinstance(outcome[0], errors.ClientClosedError)


async def test_client_used_from_another_event_loop(tel4vn_simulator: Tel4vnSimulator) -> None:
    """A client that ran on one loop raises WrongEventLoopError on another, saying why."""
    sim = tel4vn_simulator
    async with AsyncTel4vnClient(base_url=sim.base_url, api_key=sim.api_key) as client:
        await client.calls.list()

        def elsewhere() -> BaseException | None:
            try:
                asyncio.run(client.calls.list())
            except BaseException as exc:
                return exc
            return None

        error = await anyio.to_thread.run_sync(elsewhere)
        assert isinstance(error, errors.WrongEventLoopError)
        assert isinstance(error, RuntimeError)
        assert "event loop" in str(error)
        assert (await client.calls.list()) is not None, "the first loop still works"


def test_client_built_outside_a_loop_used_on_two_loops() -> None:
    """Built outside any loop, used on one loop, then under asyncio.run: the second is refused."""
    with serve_in_thread(Tel4vnSimulator(cdrs=10, seed=1)) as sim:
        client = AsyncTel4vnClient(base_url=sim.base_url, api_key=sim.api_key)
        first = asyncio.new_event_loop()
        try:
            first.run_until_complete(client.calls.list())
            with pytest.raises(errors.WrongEventLoopError):
                asyncio.run(client.calls.list())
            first.run_until_complete(client.aclose())
        finally:
            first.close()
