"""Closing a sync client while other threads are in calls on it."""

from __future__ import annotations

import gc
import socket
import threading
from collections.abc import Callable
from typing import Any

import pytest

from telcall._sync import Tel4vnClient
from telcall.errors import ClientClosedError
from telcall.simulator import Stall, Tel4vnSimulator
from telcall.simulator._thread import serve_in_thread

#: Seconds a watched call may take before the test calls it a hang.
WATCHDOG = 10.0


def watched(fn: Callable[[], Any], timeout: float = WATCHDOG) -> Any:
    """Run ``fn`` on a daemon thread; fail (instead of hanging) if it does not return in time."""
    outcome: list[tuple[bool, Any]] = []

    def target() -> None:
        try:
            outcome.append((True, fn()))
        except BaseException as exc:
            outcome.append((False, exc))

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout)
    assert outcome, f"hung for {timeout} s (the bridge loop is deadlocked)"
    ok, value = outcome[0]
    if not ok:
        raise value
    return value


@pytest.mark.parametrize(
    "how",
    [
        pytest.param("call", id="call"),
        pytest.param("iterate", id="iterate"),
    ],
)
def test_calls_in_flight_end_in_client_closed_error(sim: Tel4vnSimulator, how: str) -> None:
    """A sync call blocked on a stalled server, when another thread closes the client, raises
    ClientClosedError."""
    sim.script(Stall(), path="/v2/cdr")
    client = Tel4vnClient(base_url=sim.base_url, api_key=sim.api_key, max_retries=3)
    started = threading.Event()

    def call() -> object:
        started.set()
        if how == "call":
            return client.cdrs.list(limit=1)
        return next(client.cdrs.iterate(page_size=10))

    closer = threading.Timer(0.5, client.close)
    closer.start()
    try:
        with pytest.raises(ClientClosedError):
            watched(call)
    finally:
        closer.join(5)
    assert started.is_set()


def test_threaded_simulator_closed_mid_accept_leaks_no_socket() -> None:
    """Stopping a simulator served from a thread while connections are still being accepted
    closes every accepted socket.

    Cancelling every task on the loop (as this suite's fixture once did) also cancelled
    asyncio's own accept tasks, leaking sockets into a later test's ResourceWarning.
    """
    clients: list[socket.socket] = []
    try:
        with serve_in_thread(Tel4vnSimulator(cdrs=10, seed=1)) as server:
            clients += [socket.create_connection(("127.0.0.1", server.port)) for _ in range(100)]
    finally:
        for client in clients:
            client.close()
    gc.collect()
