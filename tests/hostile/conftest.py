"""The hostile server: each provider's simulator scripted to misbehave on every endpoint.

A test gets a :class:`Hostile` for one provider: a running simulator and a client whose token is
already cached, so that what the test scripts (``hostile.script(fault)``, every request from
then on, token endpoints included) hits the method under test and nothing before it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from telcall import (
    AICallCenterClient,
    AsyncAICallCenterClient,
    AsyncOmicallClient,
    AsyncTel4vnClient,
    OmicallClient,
    Tel4vnClient,
)
from telcall.simulator import (
    AICallCenterSimulator,
    OmicallSimulator,
    ScriptedFault,
    SimulatorBase,
    Tel4vnSimulator,
    serve_in_thread,
)

from .methods import Endpoint, endpoints

#: Generous: a hostile answer must end in an error long before this, even on a loaded machine.
WATCHDOG = 30.0

#: How many requests a scripted fault covers: every request the method sends, retries included.
EVERY_REQUEST = 1000


@dataclass(frozen=True)
class Provider:
    """How to start one provider's simulator and point its clients at it."""

    name: str
    simulator: Callable[[], SimulatorBase]
    async_client: type[Any]
    sync_client: type[Any]
    credentials: Callable[[Any], dict[str, str]]
    #: A cheap authenticated call that makes the client fetch and cache its token.
    warm_up: Callable[[Any], Any]

    def client_kwargs(self, sim: Any) -> dict[str, Any]:
        """Constructor arguments for a client of ``sim`` that does not retry."""
        return {"base_url": sim.base_url, "max_retries": 0, **self.credentials(sim)}


PROVIDERS: dict[str, Provider] = {
    "tel4vn": Provider(
        "tel4vn",
        lambda: Tel4vnSimulator(cdrs=200, seed=7),
        AsyncTel4vnClient,
        Tel4vnClient,
        lambda sim: {"api_key": sim.api_key},
        lambda client: client.calls.list(),
    ),
    "omicall": Provider(
        "omicall",
        lambda: OmicallSimulator(seed=7),
        AsyncOmicallClient,
        OmicallClient,
        lambda sim: {"api_key": sim.api_key},
        lambda client: client.contacts.layout(),
    ),
    "aicallcenter": Provider(
        "aicallcenter",
        lambda: AICallCenterSimulator(seed=7, calls_per_campaign=12),
        AsyncAICallCenterClient,
        AICallCenterClient,
        lambda sim: {"secret_key": sim.secret_key},
        lambda client: client.users.calls.list(limit=1),
    ),
}


def async_endpoints() -> list[Endpoint]:
    """Every public method of the three async clients."""
    return [e for p in PROVIDERS.values() for e in endpoints(p.name, p.async_client)]


def sync_endpoints() -> list[Endpoint]:
    """Every public method of the three generated sync clients."""
    return [e for p in PROVIDERS.values() for e in endpoints(p.name, p.sync_client)]


class Hostile:
    """A provider's simulator and a warmed-up client; scripts apply to every later request."""

    def __init__(self, provider: Provider, sim: Any, client: Any) -> None:
        self.provider = provider
        self.sim = sim
        self.client = client
        self._mark = len(sim.requests)

    def script(self, fault: ScriptedFault) -> None:
        """Answer every request from now on (token requests included) with ``fault``."""
        self._mark = len(self.sim.requests)
        self.sim.script(fault, times=EVERY_REQUEST, path="/")

    def served(self) -> list[Any]:
        """The requests the simulator received since :meth:`script`."""
        return self.sim.requests[self._mark :]


@pytest.fixture(scope="module")
def sync_servers() -> Iterator[dict[str, tuple[Any, Any]]]:
    """One running simulator and one warmed-up sync client per provider, for a whole module."""
    started: dict[str, tuple[Any, Any]] = {}
    contexts = []
    try:
        for name, provider in PROVIDERS.items():
            context = serve_in_thread(provider.simulator())
            sim = context.__enter__()
            contexts.append(context)
            client = provider.sync_client(**provider.client_kwargs(sim))
            provider.warm_up(client)
            started[name] = (sim, client)
        yield started
    finally:
        for _, client in started.values():
            client.close()
        for context in reversed(contexts):
            context.__exit__(None, None, None)


@pytest.fixture
def hostile_factory() -> Callable[[str], Any]:
    """``async with hostile_factory(provider) as hostile``: a started simulator and client."""
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def make(name: str, **client_kwargs: Any) -> AsyncIterator[Hostile]:
        provider = PROVIDERS[name]
        async with provider.simulator() as sim:
            kwargs = {**provider.client_kwargs(sim), **client_kwargs}
            async with provider.async_client(**kwargs) as client:
                await provider.warm_up(client)
                yield Hostile(provider, sim, client)

    return make
