"""Fixtures for the sync facade: a simulator on its own loop thread, and a generated fake facade."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import TypeVar

import pytest

from telcall._sync import Tel4vnClient
from telcall.simulator import Tel4vnSimulator
from telcall.simulator._thread import serve_in_thread

T = TypeVar("T")

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


@pytest.fixture
def sim() -> Iterator[Tel4vnSimulator]:
    """A running simulator (1,000 CDRs, seed 1) served from its own loop thread."""
    with serve_in_thread(Tel4vnSimulator(cdrs=1000, seed=1)) as server:
        yield server


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
