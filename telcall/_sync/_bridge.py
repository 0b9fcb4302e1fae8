"""The bridge under the sync facade: one background asyncio loop per process.

Every sync call is one hop: the calling thread schedules a task on the bridge
loop and blocks until it finishes. The rules it keeps:

- **One loop thread per process**, started on first use, daemon. Each sync
  client owns an async client built *on* that loop (its aiohttp session
  belongs to it).
- **Interrupted waits cancel.** If the wait is interrupted (``KeyboardInterrupt``
  or any other exception raised in the waiting thread), the task is cancelled,
  its cleanup gets :data:`CANCEL_GRACE` seconds, and the original exception
  is re-raised. Exceptions raised by the async code keep their type and object.
- **Iterators and context managers are driven by one task each** (a
  :class:`_Driver`), so a timeout or cancel scope an async generator holds
  across ``yield`` belongs to the task that resumes it. A hop moves one value:
  a whole page when the async ``iterate()`` flattens a page generator
  (flattened again on the caller's thread), and nothing is read ahead unless
  the async call was asked to prefetch.
- **Nothing on the loop thread waits for the loop.** Calls and steps made there
  raise; closes made there (a finalizer, a GC pass) are scheduled.
- **Fork**: the child detaches its copies of the loop's descriptors (points
  them at ``/dev/null``: the sockets and epoll set are the parent's), keeps the
  inherited objects without using them, and builds fresh ones on first use.
- **Exit**: an ``atexit`` hook finishes open iterators, closes live clients
  and stops the loop, all within :data:`EXIT_TIMEOUT` seconds. Threads still
  blocked in a call then are daemon threads: they are left blocked, not woken
  into a shutting-down interpreter; ``close()`` afterwards does nothing.

Why not ``anyio.from_thread.start_blocking_portal``: its loop runs in a
non-daemon executor thread that the interpreter joins *before* ``atexit``
hooks run, so a process-wide portal left open hangs exit; a cancelled
``portal.call`` cannot be waited on for cleanup; and its level-triggered
cancel scopes would re-cancel aiohttp's asyncio-style cleanup. The bridge
keeps the portal's shape (a loop thread, calls as tasks, futures back to the
caller) on plain asyncio, which aiohttp requires anyway.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import os
import sys
import threading
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterable, Iterator
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from types import TracebackType
from typing import Any, Generic, Protocol, Self, TypeVar

from telcall._core.errors import ClientClosedError
from telcall._core.pagination import page_source

__all__ = (
    "CANCEL_GRACE",
    "EXIT_TIMEOUT",
    "THREAD_NAME",
    "ClientHandle",
    "SyncContextManager",
    "SyncIterator",
)

#: Seconds an interrupted call waits for its task's cleanup before re-raising.
CANCEL_GRACE = 5.0
#: Seconds the exit hook spends finishing iterators, closing clients and stopping the loop.
EXIT_TIMEOUT = 3.0
#: Name of the bridge thread (visible in thread dumps and debuggers).
THREAD_NAME = "telcall-bridge"

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class AsyncClient(Protocol):
    """What the bridge needs from an async client."""

    async def aclose(self) -> None:
        """Release the client's connections."""


C = TypeVar("C", bound=AsyncClient)


class HasItems(Protocol[T_co]):
    """A page: anything with a sequence of ``items``."""

    @property
    def items(self) -> Iterable[T_co]:
        """The page's items, in order."""


class _End:
    """Marks the end of an async iterator on its way back to the caller."""


_END = _End()
_BRIDGE_FILE = os.path.normcase(__file__)


class _Bridge:
    """An asyncio loop running forever on a daemon thread, and what lives on it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.pid = os.getpid()
        # Handles whose async client was built on this loop; closed at exit.
        self.handles: weakref.WeakSet[ClientHandle[Any]] = weakref.WeakSet()
        self.tasks: set[asyncio.Task[None]] = set()
        self.drivers: set[_Driver] = set()
        self.closing: set[asyncio.Task[None]] = set()
        # Set once the exit hook starts draining: callers still blocked are daemon threads.
        self.exiting = False
        ready = threading.Event()
        self.thread = threading.Thread(
            target=self._run, args=(ready,), name=THREAD_NAME, daemon=True
        )
        self.thread.start()
        ready.wait()

    def _run(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(ready.set)
        self.loop.run_forever()

    def spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Start a task on the loop (loop thread only); the bridge keeps it until done."""
        if sys.version_info >= (3, 12):
            # Run its first step now rather than on the loop's next turn: less latency per call.
            task = asyncio.Task(coro, loop=self.loop, eager_start=True)
        else:
            task = self.loop.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    def close_soon(self, client: AsyncClient) -> None:
        """Close ``client`` in the background (loop thread only)."""
        task = self.loop.create_task(client.aclose())
        self.closing.add(task)
        task.add_done_callback(_discard_and_retrieve(self.closing))

    def shutdown(self, timeout: float) -> None:
        """Finish iterators, close clients, stop the loop; give up after ``timeout`` seconds."""
        future = asyncio.run_coroutine_threadsafe(self._drain(timeout), self.loop)
        # Whatever went wrong while draining, the loop must stop and exit must go on.
        try:
            with contextlib.suppress(Exception):
                future.result(timeout + 0.5)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(0.5)
            if not self.thread.is_alive():
                self.loop.close()

    def on_loop_thread(self) -> bool:
        """Whether the calling thread is this bridge's loop thread."""
        return threading.get_ident() == self.thread.ident

    def refuse_loop_thread(self) -> None:
        """Raise if called on the loop thread, where waiting for the loop would deadlock."""
        if self.on_loop_thread():
            raise RuntimeError(
                "a telcall sync client was called on telcall's own event-loop thread, "
                "which would deadlock; in async code use the Async client instead"
            )

    async def _drain(self, timeout: float) -> None:
        deadline = self.loop.time() + timeout
        self.exiting = True
        # Iterators first, while their client's session is still open to finish cleanly.
        for driver in list(self.drivers):
            driver.abort()
        work = set(self.tasks)
        for task in work:
            task.cancel()
        if work:
            await asyncio.wait(work, timeout=_left(deadline, self.loop))
        for handle in list(self.handles):
            handle.close_on_loop(self)
        if self.closing:
            await asyncio.wait(set(self.closing), timeout=_left(deadline, self.loop))
        await asyncio.wait_for(self.loop.shutdown_asyncgens(), _left(deadline, self.loop))


def _left(deadline: float, loop: asyncio.AbstractEventLoop) -> float:
    return max(0.0, deadline - loop.time())


def _discard_and_retrieve(tasks: set[asyncio.Task[None]]) -> Callable[[asyncio.Task[None]], None]:
    def done(task: asyncio.Task[None]) -> None:
        tasks.discard(task)
        # A failed close is not the exiting caller's problem; retrieving it keeps the loop quiet.
        if not task.cancelled():
            task.exception()

    return done


# -- the process-wide bridge ---------------------------------------------------

_lock = threading.Lock()
_bridge: _Bridge | None = None
_exited = False
# Objects inherited from the parent across fork, detached from the parent's descriptors
# (_detach_descriptors) and kept alive so that their finalizers (unclosed-session warnings)
# never run in the child.
_inherited: list[object] = []


def _current() -> _Bridge:
    """The running bridge, started on first use; refuses its own thread."""
    global _bridge
    bridge = _bridge
    if bridge is not None:
        bridge.refuse_loop_thread()
        return bridge
    with _lock:
        if _exited:
            raise ClientClosedError(
                "telcall's exit hook has closed every sync client: the interpreter is exiting"
            )
        if _bridge is None:
            _bridge = _Bridge()
        return _bridge


def _after_fork_in_child() -> None:
    global _bridge, _lock
    if _bridge is not None:
        _detach_descriptors(_bridge.loop)
        _inherited.append(_bridge)
    _bridge = None
    # The parent may have held the lock at fork time; the child's copy would never be released.
    _lock = threading.Lock()


def _detach_descriptors(loop: asyncio.AbstractEventLoop) -> None:
    """Point the child's copies of the loop's descriptors at ``/dev/null`` (after fork).

    They refer to the very epoll set, self-pipe and sockets the parent still uses: a close in
    the child unregisters the parent's sockets from the shared epoll set, a TLS shutdown writes
    into the parent's connection. With each descriptor number replaced (``dup2``) the Python
    objects stay intact, and whatever the child does with them (unregister, write, close)
    reaches ``/dev/null``, never the parent's kernel objects.
    """
    # asyncio keeps these privately; missing ones (another loop implementation) are skipped.
    fds: set[int] = set(getattr(loop, "_transports", {}))
    selector = getattr(loop, "_selector", None)
    if selector is not None:
        fds.update(key.fd for key in (selector.get_map() or {}).values())
        if hasattr(selector, "fileno"):
            fds.add(selector.fileno())
    self_pipe = getattr(loop, "_csock", None)
    if self_pipe is not None:
        fds.add(self_pipe.fileno())
    null = os.open(os.devnull, os.O_RDWR | os.O_CLOEXEC)
    try:
        for fd in fds - {-1, null}:
            with contextlib.suppress(OSError):
                os.dup2(null, fd, inheritable=False)
    finally:
        os.close(null)


def _shutdown_at_exit() -> None:
    global _bridge, _exited
    with _lock:
        bridge, _bridge = _bridge, None
        _exited = True
    if bridge is not None and bridge.pid == os.getpid():
        bridge.shutdown(EXIT_TIMEOUT)


os.register_at_fork(after_in_child=_after_fork_in_child)
atexit.register(_shutdown_at_exit)


# -- one call ------------------------------------------------------------------


class _Outcome(Generic[T]):
    """A result handed from the loop thread to waiting threads, once.

    A lock taken at creation and released when the outcome is set: a waiter's wake-up is one
    futex, where ``concurrent.futures.Future`` also builds a ``Condition`` and a waiter lock
    per wait (``_Outcome`` keeps the per-call cost of the sync facade down). Waiting is
    interruptible (Ctrl-C), like ``Future.result()``.
    """

    __slots__ = ("_cancelled", "_error", "_latch", "_value")

    def __init__(self) -> None:
        self._latch = threading.Lock()
        self._latch.acquire()
        self._value: T | None = None
        self._error: BaseException | None = None
        self._cancelled = False

    def done(self) -> bool:
        """Whether the outcome is set."""
        return not self._latch.locked()

    def cancelled(self) -> bool:
        """Whether it was cancelled before any outcome."""
        return self._cancelled

    def set_result(self, value: T) -> None:
        """Set the value and wake the waiters (once)."""
        self._value = value
        self._latch.release()

    def set_exception(self, error: BaseException) -> None:
        """Set the error and wake the waiters (once)."""
        self._error = error
        self._latch.release()

    def cancel(self) -> None:
        """End with ``CancelledError`` for the waiters (instead of any outcome)."""
        self._cancelled = True
        self._latch.release()

    def exception(self, timeout: float | None = None) -> BaseException | None:
        """Wait (up to ``timeout`` seconds) and return the error, or ``None`` for a value."""
        if not self._latch.acquire(timeout=-1 if timeout is None else timeout):
            raise TimeoutError
        self._latch.release()  # a latch: every later waiter passes at once
        if self._cancelled:
            raise concurrent.futures.CancelledError
        return self._error

    def result(self) -> T:
        """The value (only once the outcome is set and is not an error)."""
        return self._value  # type: ignore[return-value]


class _Call(Generic[T]):
    """One awaitable run as a task on the bridge, its outcome in a thread-safe future."""

    def __init__(self, fn: Callable[[_Bridge], Awaitable[T]]) -> None:
        self.future: _Outcome[T] = _Outcome()
        self._fn = fn
        self._task: asyncio.Task[None] | None = None

    def start(self, bridge: _Bridge) -> None:
        """Create the task (loop thread)."""
        if not self.future.cancelled():
            self._task = bridge.spawn(self._run(bridge))

    def cancel(self) -> None:
        """Cancel the task, or make sure it never starts (loop thread)."""
        if self._task is not None:
            self._task.cancel()
        else:
            self.future.cancel()

    async def _run(self, bridge: _Bridge) -> None:
        try:
            result = await self._fn(bridge)
        except asyncio.CancelledError as exc:
            # Cancelled by the exit hook: the caller is a daemon thread the interpreter is about
            # to freeze. Waking it would run its code (and print its traceback) during shutdown.
            if not bridge.exiting:
                self.future.set_exception(exc)
        except BaseException as exc:
            # Not re-raised: a KeyboardInterrupt raised here is the caller's, it must not stop
            # the loop.
            self.future.set_exception(exc)
        else:
            self.future.set_result(result)


def run(fn: Callable[[_Bridge], Awaitable[T]]) -> T:
    """Run ``fn(bridge)`` on the bridge loop and wait for its result."""
    bridge = _current()
    call = _Call(fn)
    return _wait(bridge, (call.start, bridge), call.future, call.cancel, call.future)


def _wait(
    bridge: _Bridge,
    submit: tuple[Any, ...],
    future: _Outcome[T],
    cancel: Callable[[], None],
    finished: _Outcome[Any],
) -> T:
    """Schedule ``submit`` on the loop and block on ``future``.

    If the wait is interrupted, ``cancel`` runs on the loop, ``finished`` gets
    a grace period, and the interruption is re-raised.
    """
    try:
        bridge.loop.call_soon_threadsafe(*submit)
        exc = future.exception()
    except BaseException:
        bridge.loop.call_soon_threadsafe(cancel)
        with contextlib.suppress(TimeoutError, concurrent.futures.CancelledError):
            finished.exception(CANCEL_GRACE)
        raise
    if exc is None:
        return future.result()
    try:
        raise exc.with_traceback(_trim(exc.__traceback__))
    finally:
        del exc


def _trim(tb: TracebackType | None) -> TracebackType | None:
    """Drop the bridge's own frames from the start of a traceback from the loop thread."""
    while tb is not None and os.path.normcase(tb.tb_frame.f_code.co_filename) == _BRIDGE_FILE:
        tb = tb.tb_next
    return tb


# -- the client ------------------------------------------------------------------


class ClientHandle(Generic[C]):
    """A sync client's link to its async client: one per process, built on the bridge loop.

    All state is read and written on the bridge loop, so threads share a
    handle without locks.
    """

    def __init__(self, factory: Callable[[], C]) -> None:
        """Build the async client now, so constructor errors surface at construction."""
        self._factory = factory
        self._client: C | None = None
        self._owner: _Bridge | None = None
        self._closed = False
        run(self._open)

    async def _open(self, bridge: _Bridge) -> None:
        self.client_on(bridge)

    def client_on(self, bridge: _Bridge) -> C:
        """The async client for ``bridge``, rebuilt when the process was forked (loop thread).

        A closed client stays in place: it raises its own ``ClientClosedError`` when used.
        """
        if self._owner is not bridge or self._client is None:
            if self._closed:
                raise ClientClosedError("this client is closed")
            if self._client is not None:
                _inherited.append(self._client)
            self._client = self._factory()
            self._owner = bridge
            bridge.handles.add(self)
        return self._client

    def call(self, fn: Callable[[C], Awaitable[T]]) -> T:
        """Run ``fn(async_client)`` on the bridge and return its result."""

        async def step(bridge: _Bridge) -> T:
            return await fn(self.client_on(bridge))

        return run(step)

    def get(self, fn: Callable[[C], T]) -> T:
        """Run ``fn(async_client)`` (plain, not async) on the bridge and return its result.

        After the exit hook has stopped the loop, ``fn`` runs here: nothing else can run.
        """
        if _bridge is None and _exited and self._client is not None:
            return fn(self._client)

        async def step(bridge: _Bridge) -> T:
            return fn(self.client_on(bridge))

        return run(step)

    def describe(self, fn: Callable[[C], object]) -> str:
        """``repr(fn(async_client))``, computed on the calling thread.

        Reprs read only what is fixed at construction, and must work anywhere: on the bridge
        thread (a log line there), after the exit hook, in a debugger.
        """
        client = self._client
        if client is None:
            return object.__repr__(self)
        return repr(fn(client))

    def iterate(self, fn: Callable[[C], AsyncIterator[T]]) -> SyncIterator[T]:
        """A sync iterator over ``fn(async_client)``.

        One hop per page when ``fn`` returns the items of a page generator
        (:func:`~telcall._core.pagination.iterate_items`), else one hop per value.
        """
        return SyncIterator(self, lambda client: _in_batches(fn(client)))

    def enter(self, fn: Callable[[C], AbstractAsyncContextManager[T]]) -> SyncContextManager[T]:
        """A sync context manager over the async one ``fn(async_client)`` returns."""
        return SyncContextManager(self, fn)

    def derive(self, fn: Callable[[C], C]) -> ClientHandle[C]:
        """A handle on the client ``fn(async_client)`` returns (``with_options``), built now."""

        def build() -> C:
            assert _bridge is not None  # factories run on the bridge loop
            return fn(self.client_on(_bridge))

        return ClientHandle(build)

    def close(self) -> None:
        """Close the async client; idempotent.

        After the exit hook (which closed every client) it does nothing; on the bridge thread
        (a finalizer run there) it schedules the close instead of waiting for it.
        """
        bridge = _bridge
        if bridge is None and _exited:
            self._closed = True
        elif bridge is not None and bridge.on_loop_thread():
            bridge.loop.call_soon(self.close_on_loop, bridge)
        else:
            run(self._aclose)

    async def _aclose(self, bridge: _Bridge) -> None:
        self._closed = True
        if self._client is not None and self._owner is bridge:
            await self._client.aclose()

    def close_on_loop(self, bridge: _Bridge) -> None:
        """Close the async client in the background (loop thread)."""
        if self._client is not None and self._owner is bridge and not self._closed:
            bridge.close_soon(self._client)
        self._closed = True

    def __del__(self) -> None:
        # A sync client dropped without close(): close its session without blocking anyone.
        bridge = self._owner
        if self._client is None or bridge is None:
            return
        if bridge.pid != os.getpid():
            _inherited.append(self._client)
            return
        if self._closed:
            return
        # A closed loop means the exit hook has already closed the client.
        with contextlib.suppress(RuntimeError):
            bridge.loop.call_soon_threadsafe(self.close_on_loop, bridge)


# -- iterators and context managers ---------------------------------------------------


def _single(value: Any) -> tuple[Any]:
    return (value,)


def _items(page: HasItems[Any]) -> Iterable[Any]:
    return page.items


def _in_batches(iterator: AsyncIterator[Any]) -> _Batches:
    """``iterator`` as an iterator of batches: a whole page each, if it flattens a page source."""
    pages = page_source(iterator)
    if pages is not None:
        return _Batches(pages, _items)
    return _Batches(iterator, _single)


class _Batches:
    """An async iterator whose every step is a batch (an iterable) of ``source``'s items.

    A class, not an async generator, so that ``athrow`` and ``aclose`` reach ``source`` itself
    (a timeout it holds across ``yield`` is delivered where it was armed).
    """

    def __init__(self, source: AsyncIterator[Any], batch: Callable[[Any], Iterable[Any]]) -> None:
        self._source = source
        self._batch = batch

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> Iterable[Any]:
        return self._batch(await self._source.__anext__())

    async def athrow(self, exc: BaseException) -> Iterable[Any]:
        athrow = getattr(self._source, "athrow", None)
        if athrow is None:
            raise exc
        return self._batch(await athrow(exc))

    async def aclose(self) -> None:
        await _aclose(self._source)


class _Driver:
    """One task on the bridge loop that owns an async iterator and runs every step of it.

    The caller sends requests (a thread-safe future each); the task answers each
    with the iterator's next value, ``_END`` or its exception. Every ``__anext__``,
    ``athrow`` and ``aclose`` therefore runs in this one task, which is what
    timeouts and cancel scopes held across ``yield`` need.
    """

    def __init__(self, bridge: _Bridge, open_iterator: Callable[[], AsyncIterator[Any]]) -> None:
        self.bridge = bridge
        self.finished: _Outcome[None] = _Outcome()
        self._open = open_iterator
        self._queue: asyncio.Queue[tuple[str, Any, _Outcome[Any]] | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._busy = False
        self._closing = False
        self._ended = False

    def start(self) -> None:
        """Start the task (loop thread)."""
        self.bridge.drivers.add(self)
        self._task = self.bridge.spawn(self._serve())

    def request(self, method: str, arg: Any = None) -> Any:
        """Run one step (``"next"`` or ``"throw"``) and wait for it (caller thread)."""
        future: _Outcome[Any] = _Outcome()
        return _wait(
            self.bridge, (self._enqueue, method, arg, future), future, self.abort, self.finished
        )

    def close(self) -> None:
        """Close the async iterator and wait until its cleanup has run (caller thread)."""
        _wait(self.bridge, (self._close,), self.finished, self.abort, self.finished)

    def close_soon(self) -> None:
        """Ask for the iterator to be closed, without waiting (any thread)."""
        if self.bridge.pid != os.getpid():
            return
        # A closed loop means the exit hook has already finished the iterator.
        with contextlib.suppress(RuntimeError):
            self.bridge.loop.call_soon_threadsafe(self._close)

    def _enqueue(self, method: str, arg: Any, future: _Outcome[Any]) -> None:
        if self._ended:
            future.set_result(_END)
        else:
            self._queue.put_nowait((method, arg, future))

    def _close(self) -> None:
        self._closing = True
        if self._busy:
            self.abort()
        else:
            self._queue.put_nowait(None)

    def abort(self) -> None:
        """Cancel the task: a step in flight is interrupted, an idle iterator is closed."""
        self._closing = True
        if self._task is not None:
            self._task.cancel()

    async def _serve(self) -> None:
        try:
            iterator = self._open()
        except BaseException as exc:
            iterator = _raising(exc)
        # An outcome produced while nobody was asking, handed to the next request.
        pending: tuple[bool, Any] | None = None
        try:
            while True:
                try:
                    request = await self._queue.get()
                except asyncio.CancelledError as exc:
                    if self._closing or pending is not None:
                        return
                    # A timeout or cancel scope the iterator holds across ``yield`` expired
                    # while it was suspended there: deliver the cancellation where it was armed.
                    pending = await self._step(iterator, "throw", exc)
                    continue
                if request is None:
                    return
                method, arg, future = request
                ok, value = pending or await self._step(iterator, method, arg)
                pending = None
                self._answer(future, ok, value)
                if not ok:
                    return
        finally:
            error: BaseException | None = None
            try:
                await _aclose(iterator)
            except asyncio.CancelledError:
                pass
            except BaseException as exc:  # close() re-raises it in the caller
                error = exc
            self._finish(error)

    async def _step(self, iterator: AsyncIterator[Any], method: str, arg: Any) -> tuple[bool, Any]:
        self._busy = True
        try:
            if method == "next":
                return True, await iterator.__anext__()
            athrow = getattr(iterator, "athrow", None)
            if athrow is None:
                raise arg
            return True, await athrow(arg)
        except BaseException as exc:  # delivered to the caller instead
            return False, exc
        finally:
            self._busy = False

    def _answer(self, future: _Outcome[Any], ok: bool, value: Any) -> None:
        if self.bridge.exiting:
            # As in _Call._run: a caller still waiting at exit is a daemon thread; an _END now
            # would let it carry on with a silently truncated iteration during shutdown.
            return
        if ok:
            future.set_result(value)
        elif isinstance(value, StopAsyncIteration) or (
            self._closing and isinstance(value, asyncio.CancelledError)
        ):
            future.set_result(_END)
        else:
            future.set_exception(value)

    def _finish(self, error: BaseException | None) -> None:
        self._ended = True
        self.bridge.drivers.discard(self)
        while not self._queue.empty():
            request = self._queue.get_nowait()
            if request is not None:
                self._answer(request[2], True, _END)
        if error is None:
            self.finished.set_result(None)
        else:
            self.finished.set_exception(error)


async def _raising(exc: BaseException) -> AsyncIterator[Any]:
    """An async iterator whose first step raises ``exc``."""
    raise exc
    yield  # makes this an async generator


async def _aclose(iterator: AsyncIterator[Any]) -> None:
    aclose = getattr(iterator, "aclose", None)
    if aclose is not None:
        await aclose()


class _Stepper(Generic[C]):
    """The caller's side of a :class:`_Driver`, started on first use."""

    def __init__(self, handle: ClientHandle[C], open_iterator: Callable[[C], Any]) -> None:
        # Holding the handle keeps the sync client (and its session) alive while we run.
        self._handle = handle
        self._open_iterator = open_iterator
        self._driver: _Driver | None = None
        self._done = False

    def _step(self, method: str, arg: Any = None) -> Any:
        """One hop: the next value, or ``_END``."""
        if self._done:
            return _END
        driver = self._driver
        if driver is None:
            bridge = _current()
            handle, open_iterator = self._handle, self._open_iterator
            driver = _Driver(bridge, lambda: open_iterator(handle.client_on(bridge)))
            bridge.loop.call_soon_threadsafe(driver.start)
            self._driver = driver
        elif driver.bridge.pid != os.getpid():
            raise RuntimeError("this iterator was started before os.fork(); start a new one")
        else:
            driver.bridge.refuse_loop_thread()
        try:
            value = driver.request(method, arg)
        except BaseException:
            self._done = True
            raise
        if value is _END:
            self._done = True
        return value

    def close(self) -> None:
        """Close the async side and wait for its cleanup; idempotent.

        On the bridge thread (a finalizer or a GC pass run there) the close is scheduled, not
        waited for: the loop cannot wait for itself.
        """
        self._done = True
        driver = self._driver
        if driver is None or driver.bridge.pid != os.getpid():
            return
        if driver.bridge.on_loop_thread():
            driver.close_soon()
        else:
            driver.close()

    def __del__(self) -> None:
        # Never block in __del__: it may run on any thread, the bridge's included.
        driver = getattr(self, "_driver", None)
        if driver is not None and not driver.finished.done():
            driver.close_soon()


class SyncIterator(_Stepper[Any], Iterator[T]):
    """A blocking iterator over an async one: each hop to the bridge moves a whole page (or
    one value, when the async iterator is not made of pages).

    Use it in a ``for`` loop; ``close()`` (or ``with``) ends it early and waits
    until the async generator's cleanup has run. One thread at a time, like a
    generator.
    """

    def __init__(
        self, handle: ClientHandle[Any], open_batches: Callable[[Any], AsyncIterator[Iterable[T]]]
    ) -> None:
        """Wrap ``open_batches(async_client)``: an async iterator of batches of items."""
        super().__init__(handle, open_batches)
        self._batch: Iterator[T] = iter(())

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> T:
        while True:
            for item in self._batch:
                return item
            value = self._step("next")
            if value is _END:
                raise StopIteration
            self._batch = iter(value)

    def close(self) -> None:
        """Stop early: the async generator's cleanup has run when this returns."""
        self._batch = iter(())
        super().close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class SyncContextManager(_Stepper[Any], AbstractContextManager[T]):
    """A blocking context manager over an async one; enter and exit run in the same task."""

    def __init__(
        self,
        handle: ClientHandle[Any],
        open_cm: Callable[[Any], AbstractAsyncContextManager[T]],
    ) -> None:
        """Wrap ``open_cm(async_client)``."""
        super().__init__(handle, lambda client: _hold(open_cm(client)))

    def __enter__(self) -> T:
        value = self._step("next")
        if value is _END:
            raise RuntimeError("the async context manager did not enter")
        return value  # type: ignore[no-any-return]

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        if exc is None:
            self._step("next")
            return False
        try:
            self._step("throw", exc)
        except BaseException as raised:
            if raised is exc:
                return False
            raise
        return True


async def _hold(cm: AbstractAsyncContextManager[T]) -> AsyncIterator[T]:
    """An async generator that is inside ``cm`` while suspended at its one ``yield``."""
    async with cm as value:
        yield value
