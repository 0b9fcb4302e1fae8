"""Fixtures for the sync facade: a simulator on its own loop thread, and a generated fake facade."""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import sys
import threading
from collections.abc import Coroutine, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import pytest

from telcall._sync import Tel4vnClient
from telcall.simulator import Tel4vnSimulator

T = TypeVar("T")

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


class ThreadedSimulator:
    """A TEL4VN simulator served by its own event loop on a helper thread."""

    def __init__(self, **kwargs: Any) -> None:
        """Start the loop thread and the server."""
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="simulator", daemon=True)
        self.thread.start()
        self.sim = Tel4vnSimulator(**kwargs)
        self.run(self.sim.start())

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the simulator's loop and wait for it."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    def close(self) -> None:
        """Stop the server and the loop, cutting short handlers still in a scripted delay."""

        async def stop() -> None:
            for task in asyncio.all_tasks() - {asyncio.current_task()}:
                task.cancel()
            await self.sim.aclose()

        self.run(stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


@pytest.fixture
def threaded_sim() -> Iterator[ThreadedSimulator]:
    """A running simulator (1,000 CDRs, seed 1) on its own loop thread."""
    server = ThreadedSimulator(cdrs=1000, seed=1)
    yield server
    server.close()


@pytest.fixture
def sim(threaded_sim: ThreadedSimulator) -> Tel4vnSimulator:
    """The simulator of ``threaded_sim``."""
    return threaded_sim.sim


@pytest.fixture
def client(sim: Tel4vnSimulator) -> Iterator[Tel4vnClient]:
    """A sync client pointed at the simulator, closed after the test."""
    with Tel4vnClient(base_url=sim.base_url, api_key=sim.api_key) as sync_client:
        yield sync_client


def load_generator() -> ModuleType:
    """Import ``scripts/generate_sync.py`` as a module."""
    if "generate_sync" in sys.modules:
        return sys.modules["generate_sync"]
    spec = importlib.util.spec_from_file_location(
        "generate_sync", ROOT / "scripts" / "generate_sync.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["generate_sync"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def generator() -> ModuleType:
    """``scripts/generate_sync.py``, imported."""
    return load_generator()


@pytest.fixture(scope="session")
def fake(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    """The sync facade generated from ``sync_fakeapi`` and imported."""
    generator = load_generator()
    sys.path.insert(0, str(HERE))
    try:
        importlib.import_module("sync_fakeapi")
    finally:
        sys.path.remove(str(HERE))
    provider = generator.Provider("sync_fakeapi", "AsyncFakeClient", "FakeClient", "fake.py")
    out = tmp_path_factory.mktemp("facade")
    (out / "sync_fake_facade.py").write_text(generator.generate_provider(provider))
    sys.path[:0] = [str(out), str(HERE)]
    try:
        return importlib.import_module("sync_fake_facade")
    finally:
        sys.path.remove(str(out))
        sys.path.remove(str(HERE))
