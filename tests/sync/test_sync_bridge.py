"""The bridge under the sync facade: calls, errors, iterators, threads and loops."""

from __future__ import annotations

import asyncio
import gc
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from telcall._sync import Tel4vnClient, _bridge
from telcall.errors import NotFoundError, ValidationError
from telcall.simulator import Delay, Tel4vnSimulator


@pytest.fixture
def fake_client(fake: ModuleType) -> Iterator[Any]:
    """A sync client of the fake async API."""
    with fake.FakeClient(label="widgets") as sync_client:
        yield sync_client


def events(sync_client: Any) -> list[str]:
    """What the fake async client recorded so far."""
    return sync_client._client.get(lambda c: list(c.events))  # type: ignore[no-any-return]


def wait_for(predicate: Any, timeout: float = 5.0) -> None:
    """Poll ``predicate`` until true or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def test_call_returns_the_coroutine_result(fake_client: Any) -> None:
    """A coroutine method returns its value, positional-only and keyword arguments intact."""
    assert fake_client.widgets.echo(42, delay=0.001) == 42


def test_errors_keep_their_type_and_object(fake_client: Any, fake: ModuleType) -> None:
    """The exception raised by the async code reaches the caller as is, minus bridge frames."""
    with pytest.raises(LookupError, match="no widget") as info:
        fake_client.widgets.fail("no widget", code=9)
    assert type(info.value).__name__ == "WidgetError"
    assert getattr(info.value, "code", None) == 9
    frames = [(Path(str(entry.path)).name, entry.name) for entry in info.traceback]
    assert frames[-1] == ("sync_fakeapi.py", "fail")
    # The loop thread's own frames (the task wrapper and the client step) are trimmed.
    assert [f for f in frames if f[0] == "_bridge.py" and f[1] in ("_run", "step")] == []


def test_real_client_errors_keep_their_type(client: Tel4vnClient) -> None:
    """Provider errors and validation errors raise the same classes as the async client."""
    with pytest.raises(NotFoundError):
        client.cdrs.get("no-such-cdr")
    with pytest.raises(ValidationError):
        client.cdrs.list(limit=0)


def test_constructor_errors_raise_at_construction(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bad constructor arguments raise ValidationError when the sync client is built."""
    monkeypatch.delenv("TELCALL_TEL4VN_BASE_URL", raising=False)
    with pytest.raises(ValidationError, match="base_url"):
        Tel4vnClient(api_key="k")


def test_closed_client_raises(sim: Tel4vnSimulator) -> None:
    """After close(), calls raise ClientClosedError and close() stays idempotent."""
    sync_client = Tel4vnClient(base_url=sim.base_url, api_key=sim.api_key)
    sync_client.close()
    sync_client.close()
    assert sync_client.closed
    with pytest.raises(RuntimeError, match="closed"):
        sync_client.cdrs.list(limit=1)


@pytest.mark.slow
def test_threads_share_one_client(client: Tel4vnClient, sim: Tel4vnSimulator) -> None:
    """50 threads x 200 calls on one client: right answers, one session, no leftover tasks."""
    ids = [cdr.id for cdr in client.cdrs.list(limit=200).items]
    session = client._client.get(lambda c: c._transport._session)
    errors: list[BaseException] = []

    def work(offset: int) -> None:
        try:
            for i in range(200):
                cdr_id = ids[(offset + i) % len(ids)]
                assert cdr_id == client.cdrs.get(cdr_id).id
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sim.count("GET", "/v2/cdr/") == 10_000
    assert session is client._client.get(lambda c: c._transport._session)

    async def others(bridge: object) -> set[asyncio.Task[Any]]:
        return asyncio.all_tasks() - {asyncio.current_task()}

    assert set() == _bridge.run(others)


@pytest.mark.parametrize(
    "method", [pytest.param("pages", id="pages"), pytest.param("iterate", id="iterate")]
)
def test_break_after_first_page_sends_one_request(
    client: Tel4vnClient, sim: Tel4vnSimulator, method: str
) -> None:
    """Breaking out after the first page sends exactly one list request (no read-ahead)."""
    iterator = getattr(client.cdrs, method)(page_size=100)
    for _ in iterator:
        break
    iterator.close()
    time.sleep(0.2)
    assert sim.count("GET", "/v2/cdr") == 1


@pytest.mark.parametrize(
    "how",
    [
        pytest.param("break", id="break"),
        pytest.param("close", id="close"),
        pytest.param("del", id="del"),
    ],
)
def test_leaving_an_iterator_releases_its_connection(sim: Tel4vnSimulator, how: str) -> None:
    """Leaving mid-iteration runs the generator's cleanup: its in-flight request frees the pool."""
    sim.script(Delay(0), path="/v2/cdr")
    sim.script(Delay(60), path="/v2/cdr")
    with Tel4vnClient(base_url=sim.base_url, api_key=sim.api_key, pool_limit=1) as one_conn:
        iterator = one_conn.cdrs.iterate(page_size=100, prefetch=1)
        first = next(iterator)
        wait_for(lambda: sim.count("GET", "/v2/cdr") == 2)  # page 2 holds the only connection
        if how == "close":
            iterator.close()
        elif how == "del":
            del iterator
            gc.collect()
        else:
            for _ in iterator:
                break
            iterator.close()
        assert first.id == one_conn.cdrs.get(first.id, timeout=5).id


def test_iterator_close_runs_generator_finally(fake_client: Any) -> None:
    """close() mid-iteration returns only after the async generator's finally has run."""
    iterator = fake_client.widgets.iterate()
    assert [next(iterator) for _ in range(3)] == [0, 1, 2]
    iterator.close()
    assert events(fake_client) == ["open", "fetch 0", "fetch 1", "finally"]
    with pytest.raises(StopIteration):
        next(iterator)


def test_iterator_flattens_pages_on_the_caller(fake_client: Any) -> None:
    """iterate() yields the items of every page; one hop per page, not per item."""
    with fake_client.widgets.iterate(page_size=3) as iterator:
        assert list(range(9)) == list(iterator)
    assert events(fake_client) == ["open", "fetch 0", "fetch 1", "fetch 2", "finally"]


def test_every_step_runs_in_one_task(fake_client: Any) -> None:
    """All steps of one async generator run in the same task."""
    assert len(set(fake_client.widgets.tasks())) == 1


@pytest.mark.parametrize(
    ("stall", "pause"),
    [
        pytest.param(30.0, 0.0, id="expires-inside-the-generator"),
        pytest.param(0.0, 0.5, id="expires-while-suspended-at-yield"),
    ],
)
def test_timeout_held_across_yield_fires(fake_client: Any, stall: float, pause: float) -> None:
    """An asyncio.timeout the generator holds across yield still fires through the facade."""
    iterator = fake_client.widgets.timed(deadline=0.2, stall=stall)
    started = time.monotonic()
    assert next(iterator) == "first"
    time.sleep(pause)
    with pytest.raises(TimeoutError):
        next(iterator)
    assert time.monotonic() - started < 5


def test_async_context_manager_maps_to_a_context_manager(fake_client: Any) -> None:
    """An async context manager method becomes a context manager entered and exited in one task."""
    with fake_client.widgets.session() as label:
        assert label == "widgets"
    enter, exit_ = events(fake_client)
    assert enter.split()[1] == exit_.split()[1]


def test_context_manager_propagates_body_errors(fake_client: Any) -> None:
    """An exception in the with-body goes through the async context manager and out unchanged."""
    error = KeyError("body")
    with pytest.raises(KeyError) as info, fake_client.widgets.session():
        raise error
    assert error is info.value
    assert [e.split()[0] for e in events(fake_client)[1:]] == ["exit"]


def test_context_manager_timeout_across_body_fires(fake_client: Any) -> None:
    """A timeout the async context manager holds across its body raises at exit."""
    with pytest.raises(TimeoutError), fake_client.widgets.session(deadline=0.1):
        time.sleep(0.3)


async def test_sync_call_inside_asyncio_run_works(client: Tel4vnClient) -> None:
    """A sync call from a thread running its own event loop blocks that thread and works."""
    assert len(client.cdrs.list(limit=3).items) == 3


def test_sync_call_inside_explicit_asyncio_run(client: Tel4vnClient) -> None:
    """The same from inside asyncio.run()."""

    async def main() -> int:
        return len(client.cdrs.list(limit=2).items)

    assert asyncio.run(main()) == 2


def test_sync_call_on_the_bridge_thread_raises(fake_client: Any) -> None:
    """Calling the sync API on the bridge's own thread raises a clear RuntimeError."""

    async def nested(_: object) -> int:
        return fake_client.widgets.echo(1)  # type: ignore[no-any-return]

    with pytest.raises(RuntimeError, match="own event-loop thread"):
        fake_client._client.call(nested)


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs POSIX interval timers")
def test_interrupted_wait_cancels_the_task(fake_client: Any) -> None:
    """An exception raised in the waiting thread cancels the task, awaits cleanup, re-raises."""

    class Interrupt(Exception):
        """Raised by the signal handler into the waiting (main) thread."""

    def handler(signum: int, frame: object) -> None:
        raise Interrupt

    previous = signal.signal(signal.SIGALRM, handler)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.2)
        started = time.monotonic()
        with pytest.raises(Interrupt):
            fake_client.widgets.hang("cleaned")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert time.monotonic() - started < 5
    assert "cleaned" in events(fake_client)


def test_iterate_moves_a_whole_page_per_hop(
    client: Tel4vnClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Iterating 5 pages of CDRs costs 6 thread hops (5 pages, then the end), not one per item."""
    hops = 0
    wait = _bridge._wait

    def counting_wait(*args: Any) -> Any:
        nonlocal hops
        hops += 1
        return wait(*args)

    with client.cdrs.iterate(page_size=100, max_items=500) as records:
        monkeypatch.setattr(_bridge, "_wait", counting_wait)
        ids = [record.id for record in records]
        monkeypatch.undo()
    assert (len(ids), len(set(ids)), hops) == (500, 500, 6)


def test_repr_is_the_async_clients(client: Tel4vnClient, sim: Tel4vnSimulator) -> None:
    """The sync client's and resources' reprs are the async ones' (redacted, no secret)."""
    assert repr(client) == client._client.get(repr)
    assert repr(client.cdrs) == client._client.get(lambda api: repr(api.cdrs))
    assert repr(client).startswith("AsyncTel4vnClient(base_url=")
    assert sim.api_key not in repr(client) + repr(client.cdrs)
