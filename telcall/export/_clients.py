"""One client per tenant per worker process, on a loop that outlives a window.

Engines call :func:`~telcall.export.run_window` once per window. Building a
client per window costs a token request and a connection pool each time, so
the process keeps the clients instead: keyed by tenant and connection (and
the ``client_factory`` that built them), made on first use, and kept on
telcall's bridge loop (:mod:`telcall._sync._bridge`: one asyncio loop on a
daemon thread per process), where every later window of that tenant runs.
Windows that several threads of one worker run at once share the loop, and
so each tenant's client and token.

Everything here is touched on the bridge loop only, so nothing needs a lock. A
client whose credentials are refused is dropped (and closed), so a secret
rotated in the worker's store is picked up by the tenant's next window.
:func:`close_worker_clients` closes the clients; it also runs at exit, and
engines whose worker processes end without running ``atexit`` hooks (Celery's
prefork pool) call it from their shutdown hook (``worker_process_shutdown``;
a Dask ``WorkerPlugin.teardown``). A forked child forgets its parent's
clients (their sockets are the parent's) and builds its own.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from .._core.errors import AuthenticationError, ClientClosedError, ValidationError
from .._sync import _bridge
from ._budget import Gate, RequestBudget
from ._source import Connection, open_client

__all__ = ("close_worker_clients", "run_on_worker", "worker_clients")

logger = logging.getLogger("telcall.export")

T = TypeVar("T")

# (tenant, provider, base URL, zone, options, factory): what makes two clients differ.
_Key = tuple[str, str, str, str, tuple[tuple[str, str], ...], Any]

_clients: dict[_Key, Any] = {}
_gates: dict[str, Gate] = {}
# A forked child's copies of the parent's clients: kept, never used or closed.
_inherited: list[Any] = []


def _key(connection: Connection, factory: Callable[[Connection], Any] | None) -> _Key:
    options = tuple(sorted(connection.options.items()))
    return (
        connection.tenant,
        connection.provider,
        connection.base_url,
        connection.tz,
        options,
        factory,
    )


def _gate(tenant: str, budget: RequestBudget | None) -> Gate | None:
    """The tenant's gate in this process; refuse a second, different budget for it."""
    if budget is None:
        return None
    gate = _gates.get(tenant)
    if gate is None:
        gate = _gates[tenant] = budget.gate()
    elif gate.budget != budget:
        raise ValidationError(
            f"tenant {tenant!r} already has {gate.budget} in this process, not {budget}: "
            "give every window of a tenant the same budget"
        )
    return gate


async def _run(
    window: Callable[..., Awaitable[T]],
    connection: Connection,
    factory: Callable[[Connection], Any] | None,
    budget: RequestBudget | None,
) -> T:
    gate = _gate(connection.tenant, budget)
    key = _key(connection, factory)
    client = _clients.get(key)
    if client is None:
        client = _clients[key] = (factory or open_client)(connection)
    try:
        return await window(client=client, requests=gate)
    except AuthenticationError:
        # Refused credentials may have been rotated in the worker's secret store since the
        # client was built: the tenant's next window asks the factory again.
        if _forget(key, client):
            await client.aclose()
        raise


def _forget(key: _Key, client: object) -> bool:
    """Drop ``client`` from the pool if it still holds it (another window may have already)."""
    if _clients.get(key) is not client:
        return False
    del _clients[key]
    return True


def run_on_worker(
    window: Callable[..., Awaitable[T]],
    connection: Connection,
    factory: Callable[[Connection], Any] | None,
    budget: RequestBudget | None,
) -> T:
    """``window(client=..., requests=...)`` on the bridge loop with the process's tenant client."""
    return _bridge.run(lambda _: _run(window, connection, factory, budget))


def worker_clients() -> int:
    """How many clients this process keeps (for tests and health checks)."""
    return len(_clients)


async def _close_all() -> int:
    clients = list(_clients.values())
    _clients.clear()
    _gates.clear()
    outcomes = await asyncio.gather(*(c.aclose() for c in clients), return_exceptions=True)
    for outcome in outcomes:
        if isinstance(outcome, Exception):
            logger.warning("closing a worker client failed: %s", type(outcome).__name__)
    return len(clients)


def close_worker_clients() -> None:
    """Close every client this worker process keeps; later windows build new ones.

    Call it from the engine's worker shutdown hook (Celery
    ``worker_process_shutdown``, a Dask ``WorkerPlugin.teardown``); it also
    runs at interpreter exit. Safe to call more than once.
    """
    if not _clients and not _gates:
        return  # nothing to close: no reason to start a loop
    closed = _bridge.run(lambda _: _close_all())
    logger.info("closed %d worker client(s)", closed)


def _close_at_exit() -> None:
    # Registered after the bridge's own hook, so it runs first, while the loop still runs.
    with contextlib.suppress(ClientClosedError, RuntimeError):
        close_worker_clients()


def _forget_after_fork() -> None:
    _inherited.extend(_clients.values())
    _clients.clear()
    _gates.clear()


atexit.register(_close_at_exit)
os.register_at_fork(after_in_child=_forget_after_fork)
