"""The README's Celery recipe, as written, on a real Redis broker and a real prefork worker."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import psutil
import pytest

from telcall.simulator import Faults

from .conftest import celery_worker_process

pytestmark = pytest.mark.slow

READY_TIMEOUT = 60.0
EXPORT_TIMEOUT = 90.0


@pytest.fixture(scope="module")
def celery_worker(recipe_dir: Path, redis_server: Any, api_key: str) -> Iterator[psutil.Process]:
    """A `celery -A cdr_tasks worker` (prefork, 2 processes) on the README's recipe module.

    The broker and result backend URLs and the API key reach the worker (and the recipe in
    this process) through the environment, as the recipe says; it is stopped after the module.
    """
    env = {
        "CELERY_BROKER_URL": redis_server.url_for(0),
        "CELERY_RESULT_BACKEND": redis_server.url_for(1),
        "TELCALL_TEL4VN_API_KEY": api_key,
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        with celery_worker_process("cdr_tasks", recipe_dir, env) as worker:
            yield worker


def test_recipe_exports_every_record_once(
    celery_worker: psutil.Process,
    recipe: Callable[[str], ModuleType],
    simulators: Any,
    exported_ids: Callable[[Path], list[str]],
    scroll_starts: Any,
    in_thread: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A 7-day export fanned out to two worker processes holds exactly the server's ids."""
    sim = simulators(cdrs=3000, seed=3)
    monkeypatch.setenv("TELCALL_TEL4VN_BASE_URL", sim.base_url)
    cdr_tasks = recipe("celery")
    out = tmp_path / "cdrs"
    records = in_thread(
        lambda: cdr_tasks.export("2026-11-01", "2026-11-08", str(out)), EXPORT_TIMEOUT
    )()
    ids = exported_ids(out)
    assert sorted(sim.cdr_ids()) == sorted(ids)
    assert len(ids) == records
    assert len(set(scroll_starts(sim).values())) == 1  # undisturbed, every window reads alike


def test_killed_worker_process_window_is_redelivered_once(
    celery_worker: psutil.Process,
    recipe: Callable[[str], ModuleType],
    simulators: Any,
    exported_ids: Callable[[Path], list[str]],
    scroll_starts: Any,
    in_thread: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """SIGKILL a pool process mid-window: Celery redelivers it and every record lands once."""
    sim = simulators(cdrs=3000, seed=5, faults=Faults(latency=0.4))
    monkeypatch.setenv("TELCALL_TEL4VN_BASE_URL", sim.base_url)
    cdr_tasks = recipe("celery")
    out = tmp_path / "cdrs"
    join = in_thread(lambda: cdr_tasks.export("2026-11-01", "2026-11-08", str(out)), EXPORT_TIMEOUT)
    deadline = time.monotonic() + EXPORT_TIMEOUT
    while len(scroll_starts(sim)) < 2:  # both pool processes are inside a window
        assert time.monotonic() < deadline, "no window started"
        time.sleep(0.05)
    victim = celery_worker.children()[0]
    victim.send_signal(signal.SIGKILL)
    records = join()
    ids = exported_ids(out)
    assert sorted(sim.cdr_ids()) == sorted(ids)
    assert len(ids) == records
    starts = scroll_starts(sim).values()
    assert max(starts) > min(starts), "no window was read again after the kill"
    assert not victim.is_running()
