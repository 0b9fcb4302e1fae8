"""The README's Celery recipe, as written, on a real Redis broker and a real prefork worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import psutil
import pytest

from telcall.simulator import Faults

pytestmark = pytest.mark.slow

READY_TIMEOUT = 60.0
EXPORT_TIMEOUT = 90.0


@pytest.fixture(scope="module")
def celery_worker(recipe_dir: Path, redis_server: Any, api_key: str) -> Iterator[psutil.Process]:
    """A `celery -A cdr_tasks worker` (prefork, 2 processes) on the README's recipe module.

    The broker and result backend URLs and the API key reach the worker (and the recipe in
    this process) through the environment, as the recipe says; it is stopped after the module.
    """
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CELERY_BROKER_URL", redis_server.url_for(0))
        env.setenv("CELERY_RESULT_BACKEND", redis_server.url_for(1))
        env.setenv("TELCALL_TEL4VN_API_KEY", api_key)
        log = recipe_dir / "worker.log"
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "cdr_tasks", "worker", "--pool", "prefork",
             "--concurrency", "2", "--loglevel", "INFO", "--without-gossip", "--without-mingle",
             "--without-heartbeat", "--hostname", "engine-test@%h", "--logfile", str(log)],
            cwd=recipe_dir,
            env={**os.environ, "PYTHONPATH": str(recipe_dir)},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + READY_TIMEOUT
            while "ready." not in (log.read_text() if log.exists() else ""):
                if worker.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the celery worker did not start:\n{log.read_text()}")
                time.sleep(0.1)
            yield psutil.Process(worker.pid)
        finally:
            os.killpg(worker.pid, signal.SIGTERM)
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(timeout=10)


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
