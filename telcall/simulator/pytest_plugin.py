"""pytest fixtures for running simulators (registered as the `telcall` pytest11 plugin).

Loaded by every pytest run in an environment with telcall installed, so it imports nothing heavy
until a fixture is used. Four fixtures per registered provider (`<p>` is its name: `tel4vn`,
`omicall`, `aicallcenter`, and any provider added by an entry point, see `telcall.providers`):

- `<p>_simulator`, `<p>_simulator_factory`: for `async def` tests. pytest-asyncio fixtures when
  pytest-asyncio is present (its strict and auto modes); the server runs on the test's event loop.
- `<p>_simulator_sync`, `<p>_simulator_sync_factory`: for plain `def` tests (sync clients, Django,
  Celery code): the server runs on a loop of its own in a background thread (`serve_in_thread`).

An async fixture requested by a sync test would serve from a loop that is not running while the
test runs, so every request would hang; it fails at once instead, naming the sync twin.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import ExitStack, asynccontextmanager
from typing import TYPE_CHECKING, Any, TypeVar, cast

import pytest

from telcall.providers import ProviderSpec, specs

if TYPE_CHECKING:
    from telcall.simulator._base import SimulatorBase

_F = TypeVar("_F", bound=Callable[..., Any])
_S = TypeVar("_S", bound="SimulatorBase")


def _async_fixture(func: _F) -> _F:
    """Declare an async fixture the way the installed async plugin expects."""
    try:
        from pytest_asyncio import fixture
    except ImportError:  # pragma: no cover - the fixtures then need another async plugin
        return cast("_F", pytest.fixture(func))
    return cast("_F", fixture(func))


@asynccontextmanager
async def _factory(cls: type[_S]) -> AsyncIterator[Callable[..., Awaitable[_S]]]:
    """``await factory(**kwargs)`` starts a ``cls``; every one started is closed on exit."""
    started: list[_S] = []

    async def factory(**kwargs: Any) -> _S:
        sim = cls(**kwargs)
        await sim.start()
        started.append(sim)
        return sim

    try:
        yield factory
    finally:
        for sim in reversed(started):
            await sim.aclose()


class _Kind:
    """One provider's simulator: where it lives, the ready fixture's options and description."""

    def __init__(self, spec: ProviderSpec) -> None:
        self.provider = spec.name
        self.cls = spec.simulator.rpartition(":")[2]
        self.options = dict(spec.simulator_defaults)
        self.about = spec.simulator_about or f"A running {spec.label} simulator"
        self._spec = spec

    def load(self) -> type[SimulatorBase]:
        """The simulator class, imported on first use."""
        cls: type[SimulatorBase] = self._spec.simulator_class()
        return cls


def _refuse_sync_test(request: pytest.FixtureRequest, name: str) -> None:
    function = getattr(request, "function", None)
    # Hypothesis wraps an async test in a plain function; its inner test tells the truth.
    function = getattr(getattr(function, "hypothesis", None), "inner_test", function)
    if function is not None and not inspect.iscoroutinefunction(function):
        pytest.fail(
            f"{name} is for async tests: its server runs on the test's event loop, which a "
            f"plain `def` test does not run. Use {name.replace('_simulator', '_simulator_sync')}.",
            pytrace=False,
        )


def _async_fixtures(kind: _Kind) -> tuple[Callable[..., Any], Callable[..., Any]]:
    name = f"{kind.provider}_simulator"

    async def ready(request: pytest.FixtureRequest) -> AsyncIterator[SimulatorBase]:
        _refuse_sync_test(request, name)
        async with kind.load()(**kind.options) as sim:
            yield sim

    async def factory(request: pytest.FixtureRequest) -> AsyncIterator[Callable[..., Any]]:
        _refuse_sync_test(request, f"{name}_factory")
        async with _factory(kind.load()) as make:
            yield make

    ready.__doc__ = f"{kind.about} (async tests)."
    factory.__doc__ = (
        f"`sim = await factory(**{kind.cls} kwargs)`: running simulators, closed at teardown."
    )
    return _async_fixture(_named(ready, name)), _async_fixture(_named(factory, f"{name}_factory"))


def _sync_fixtures(kind: _Kind) -> tuple[Callable[..., Any], Callable[..., Any]]:
    name = f"{kind.provider}_simulator_sync"

    def ready() -> Iterator[SimulatorBase]:
        from telcall.simulator._thread import serve_in_thread

        with serve_in_thread(kind.load()(**kind.options)) as sim:
            yield sim

    def factory() -> Iterator[Callable[..., Any]]:
        from telcall.simulator._thread import serve_in_thread

        with ExitStack() as stack:

            def make(**kwargs: Any) -> SimulatorBase:
                return stack.enter_context(serve_in_thread(kind.load()(**kwargs)))

            yield make

    ready.__doc__ = f"{kind.about}, served from a background thread (plain `def` tests)."
    factory.__doc__ = (
        f"`sim = factory(**{kind.cls} kwargs)`: simulators served from background threads, "
        "stopped at teardown (plain `def` tests)."
    )
    return pytest.fixture(_named(ready, name)), pytest.fixture(_named(factory, f"{name}_factory"))


def _named(func: _F, name: str) -> _F:
    func.__name__ = func.__qualname__ = name
    return func


def _install() -> tuple[str, ...]:
    """Define the four fixtures of every registered provider in this module; return their names."""
    names: list[str] = []
    for spec in specs().values():
        kind = _Kind(spec)
        fixtures = (*_async_fixtures(kind), *_sync_fixtures(kind))
        for suffix, fixture in zip(
            ("", "_factory", "_sync", "_sync_factory"), fixtures, strict=True
        ):
            name = f"{kind.provider}_simulator{suffix}"
            globals()[name] = fixture
            names.append(name)
    return tuple(sorted(names))


__all__ = _install()
