"""The README's Dask recipe, as written, on a real LocalCluster of worker processes."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from dask.distributed import Client

from telcall.simulator import Faults

from .conftest import dask_cluster

pytestmark = pytest.mark.slow

EXPORT_TIMEOUT = 90.0


@pytest.fixture(scope="module")
def dask_client(recipe_dir: Path, api_key: str) -> Iterator[Client]:
    """A LocalCluster of two single-threaded worker processes, the API key in their environment."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("TELCALL_TEL4VN_API_KEY", api_key)
        with dask_cluster(silence_logs=False) as client:
            yield client


def test_recipe_exports_every_record_once(
    dask_client: Client,
    recipe: Callable[[str], ModuleType],
    simulators: Any,
    exported_ids: Callable[[Path], list[str]],
    scroll_starts: Any,
    in_thread: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A 7-day export mapped over two worker processes holds exactly the server's ids."""
    sim = simulators(cdrs=3000, seed=11)
    monkeypatch.setenv("TELCALL_TEL4VN_BASE_URL", sim.base_url)
    dask_export = recipe("dask")
    out = tmp_path / "cdrs"
    run = in_thread(
        lambda: dask_export.export("2026-11-01", "2026-11-08", str(out), dask_client),
        EXPORT_TIMEOUT,
    )
    records = run()
    ids = exported_ids(out)
    assert sorted(sim.cdr_ids()) == sorted(ids)
    assert len(ids) == records
    assert len(set(scroll_starts(sim).values())) == 1  # undisturbed, every window reads alike


def test_killed_worker_process_windows_run_again_once(
    dask_client: Client,
    recipe: Callable[[str], ModuleType],
    simulators: Any,
    exported_ids: Callable[[Path], list[str]],
    scroll_starts: Any,
    in_thread: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """SIGKILL a worker process mid-window: Dask runs its window again, every record lands once."""
    sim = simulators(cdrs=3000, seed=13, faults=Faults(latency=0.4))
    monkeypatch.setenv("TELCALL_TEL4VN_BASE_URL", sim.base_url)
    dask_export = recipe("dask")
    pids: dict[str, int] = dask_client.run(os.getpid)
    out = tmp_path / "cdrs"
    join = in_thread(
        lambda: dask_export.export("2026-11-01", "2026-11-08", str(out), dask_client),
        EXPORT_TIMEOUT,
    )
    deadline = time.monotonic() + EXPORT_TIMEOUT
    while len(scroll_starts(sim)) < 2:  # both workers are inside a window
        assert time.monotonic() < deadline, "no window started"
        time.sleep(0.05)
    victim = sorted(pids.values())[0]
    os.kill(victim, signal.SIGKILL)
    records = join()
    ids = exported_ids(out)
    assert sorted(sim.cdr_ids()) == sorted(ids)
    assert len(ids) == records
    starts = scroll_starts(sim).values()
    assert max(starts) > min(starts), "no window was read again after the kill"
    assert victim not in dask_client.run(os.getpid).values()
