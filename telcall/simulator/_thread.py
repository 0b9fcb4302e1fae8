"""Run a simulator on its own event loop in a background thread, for synchronous code.

Sync users (Django, Celery, scripts, the sync facade's tests) have no event
loop to start a simulator on; this gives the server one of its own.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

from telcall.simulator._base import SimulatorBase

__all__ = ("serve_in_thread",)

S = TypeVar("S", bound=SimulatorBase)

_START_TIMEOUT = 30.0


@contextmanager
def serve_in_thread(sim: S) -> Iterator[S]:
    """Serve ``sim`` from a daemon thread while the ``with`` block runs; stop it afterwards.

    >>> with serve_in_thread(Tel4vnSimulator(cdrs=100)) as sim:  # doctest: +SKIP
    ...     with Tel4vnClient(base_url=sim.base_url, api_key=sim.api_key) as client:
    ...         client.calls.list()
    """
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="telcall-simulator", daemon=True)
    thread.start()
    try:
        asyncio.run_coroutine_threadsafe(sim.start(), loop).result(_START_TIMEOUT)
        try:
            yield sim
        finally:
            asyncio.run_coroutine_threadsafe(sim.aclose(), loop).result(_START_TIMEOUT)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(_START_TIMEOUT)
        loop.close()
