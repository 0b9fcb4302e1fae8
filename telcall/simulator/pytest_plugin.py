"""pytest fixtures for a running TEL4VN simulator (registered as the `telcall` pytest11 plugin).

Loaded by every pytest run in an environment with telcall installed, so it imports nothing heavy
until a fixture is used. The fixtures are pytest-asyncio fixtures when pytest-asyncio is present
(they work in its strict and auto modes); function-scoped, each on the test's event loop.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, TypeVar, cast

import pytest

if TYPE_CHECKING:
    from telcall.simulator._aicallcenter import AICallCenterSimulator
    from telcall.simulator._base import SimulatorBase
    from telcall.simulator._omicall import OmicallSimulator
    from telcall.simulator._tel4vn import Tel4vnSimulator

_F = TypeVar("_F", bound=Callable[..., Any])
_S = TypeVar("_S", bound="SimulatorBase")


def _async_fixture(func: _F) -> _F:
    """Declare an async fixture the way the installed async plugin expects."""
    try:
        from pytest_asyncio import fixture
    except ImportError:  # pragma: no cover - the fixtures then need another async plugin
        return cast("_F", pytest.fixture(func))
    return cast("_F", fixture(func))


__all__ = (
    "aicallcenter_simulator",
    "aicallcenter_simulator_factory",
    "omicall_simulator",
    "omicall_simulator_factory",
    "tel4vn_simulator",
    "tel4vn_simulator_factory",
)


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


Tel4vnFactory = Callable[..., Awaitable["Tel4vnSimulator"]]
OmicallFactory = Callable[..., Awaitable["OmicallSimulator"]]
AICallCenterFactory = Callable[..., Awaitable["AICallCenterSimulator"]]


@_async_fixture
async def tel4vn_simulator() -> AsyncIterator[Tel4vnSimulator]:
    """A running TEL4VN simulator with 1,000 CDRs, seed 1."""
    from telcall.simulator._tel4vn import Tel4vnSimulator

    async with Tel4vnSimulator(cdrs=1000, seed=1) as sim:
        yield sim


@_async_fixture
async def tel4vn_simulator_factory() -> AsyncIterator[Tel4vnFactory]:
    """`sim = await factory(**Tel4vnSimulator kwargs)`: running simulators closed at teardown."""
    from telcall.simulator._tel4vn import Tel4vnSimulator

    async with _factory(Tel4vnSimulator) as factory:
        yield factory


@_async_fixture
async def omicall_simulator() -> AsyncIterator[OmicallSimulator]:
    """A running OMICall simulator: 2,000 calls over 91 days, 25 contacts, seed 1."""
    from telcall.simulator._omicall import OmicallSimulator

    async with OmicallSimulator(seed=1) as sim:
        yield sim


@_async_fixture
async def omicall_simulator_factory() -> AsyncIterator[OmicallFactory]:
    """`sim = await factory(**OmicallSimulator kwargs)`: running simulators closed at teardown."""
    from telcall.simulator._omicall import OmicallSimulator

    async with _factory(OmicallSimulator) as factory:
        yield factory


@_async_fixture
async def aicallcenter_simulator() -> AsyncIterator[AICallCenterSimulator]:
    """A running AI Call Center simulator: three campaigns of 120 calls, seed 1."""
    from telcall.simulator._aicallcenter import AICallCenterSimulator

    async with AICallCenterSimulator(seed=1) as sim:
        yield sim


@_async_fixture
async def aicallcenter_simulator_factory() -> AsyncIterator[AICallCenterFactory]:
    """`sim = await factory(**AICallCenterSimulator kwargs)`: running simulators, closed after."""
    from telcall.simulator._aicallcenter import AICallCenterSimulator

    async with _factory(AICallCenterSimulator) as factory:
        yield factory
