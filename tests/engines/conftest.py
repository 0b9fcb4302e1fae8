"""Fixtures for the engine tests: the README's recipes as modules, simulators, reading ids back."""

from __future__ import annotations

import contextlib
import importlib
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import psutil
import pyarrow.parquet as pq
import pytest

from telcall.simulator import Tel4vnSimulator, serve_in_thread

README = Path(__file__).parents[2] / "README.md"
SCALING = README.parent / "docs" / "scaling.md"
API_KEY = "engine-test-api-key"


def readme_recipe(name: str, where: Path = README) -> str:
    """The code block ``where`` marks ``<!-- recipe: name -->``, exactly as users read it."""
    match = re.search(
        rf"<!-- recipe: {name} -->\n```python\n(.*?)\n```", where.read_text(encoding="utf-8"), re.S
    )
    assert match is not None, f"{where.name} has no recipe {name!r}"
    return textwrap.dedent(match.group(1)) + "\n"


RECIPE_MODULES = {
    "celery": "cdr_tasks",
    "dask": "dask_export",
    "dask-tenants": "dask_tenants",
    "postgresql": "pg_export",
    "tenants": "tenant_tasks",
}
# Recipes that live in docs/scaling.md rather than the README.
RECIPE_DOCS = {"dask-tenants": SCALING}


@pytest.fixture(scope="module")
def recipe_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A directory on sys.path holding the README's recipes (cdr_tasks.py, dask_export.py, ...)."""
    where = tmp_path_factory.mktemp("recipes")
    for recipe, module in RECIPE_MODULES.items():
        text = readme_recipe(recipe, RECIPE_DOCS.get(recipe, README))
        (where / f"{module}.py").write_text(text, encoding="utf-8")
    sys.path.insert(0, str(where))
    try:
        yield where
    finally:
        sys.path.remove(str(where))
        for module in RECIPE_MODULES.values():
            sys.modules.pop(module, None)


@pytest.fixture(scope="module")
def recipe(recipe_dir: Path) -> Callable[[str], ModuleType]:
    """Import the README's recipe ``celery`` or ``dask`` as a module."""
    return lambda name: importlib.import_module(RECIPE_MODULES[name])


@pytest.fixture(scope="module")
def api_key() -> str:
    """The API key every simulator here accepts; workers get it from their environment."""
    return API_KEY


@pytest.fixture(scope="module")
def simulators() -> Iterator[Callable[..., Tel4vnSimulator]]:
    """Start TEL4VN simulators (all with API_KEY) in threads; stop them after the module."""
    stack: list[Any] = []

    def start(**kwargs: Any) -> Tel4vnSimulator:
        serving = serve_in_thread(Tel4vnSimulator(api_key=API_KEY, **kwargs))
        stack.append(serving)
        return serving.__enter__()

    try:
        yield start
    finally:
        for serving in reversed(stack):
            serving.__exit__(None, None, None)


def _exported_ids(out_dir: Path) -> list[str]:
    ids: list[str] = []
    for part in sorted(out_dir.glob("date=*/part-*.parquet")):
        ids += pq.read_table(part, columns=["id"]).column("id").to_pylist()
    return ids


@pytest.fixture
def exported_ids() -> Callable[[Path], list[str]]:
    """Every id in the Parquet window files of an export directory (duplicates kept)."""
    return _exported_ids


def _scroll_starts(sim: Tel4vnSimulator) -> Counter[str]:
    return Counter(
        r.query.get("start_date", "")
        for r in list(sim.requests)
        if r.path == "/v2/cdr" and "scroll_id" not in r.query
    )


@pytest.fixture
def scroll_starts() -> Callable[[Tel4vnSimulator], Counter[str]]:
    """How often each window's read was started: CDR list requests without a scroll id."""
    return _scroll_starts


def _in_thread(target: Callable[[], Any], timeout: float) -> Callable[[], Any]:
    outcome: dict[str, Any] = {}

    def body() -> None:
        try:
            outcome["value"] = target()
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=body, daemon=True)
    thread.start()

    def join() -> Any:
        thread.join(timeout)
        if thread.is_alive():
            pytest.fail(f"the export did not finish within {timeout} s")
        if "error" in outcome:
            raise outcome["error"]
        return outcome["value"]

    return join


@pytest.fixture
def in_thread() -> Callable[[Callable[[], Any], float], Callable[[], Any]]:
    """Start a callable in a daemon thread; the returned callable joins it with a watchdog."""
    return _in_thread


CELERY_READY_TIMEOUT = 60.0


@contextlib.contextmanager
def celery_worker_process(
    app: str, recipe_dir: Path, env: Mapping[str, str]
) -> Iterator[psutil.Process]:
    """A `celery -A <app> worker` (prefork, 2 processes) logging to recipe_dir/<app>.log.

    ``env`` is added to this process's environment for the worker; it is stopped with
    SIGTERM (SIGKILL if it lingers) when the block ends.
    """
    log = recipe_dir / f"{app}.log"
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", app, "worker", "--pool", "prefork",
         "--concurrency", "2", "--loglevel", "INFO", "--without-gossip", "--without-mingle",
         "--without-heartbeat", "--hostname", f"{app}@%h", "--logfile", str(log)],
        cwd=recipe_dir,
        env={**os.environ, **env, "PYTHONPATH": str(recipe_dir)},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + CELERY_READY_TIMEOUT
        while "ready." not in (log.read_text() if log.exists() else ""):
            if worker.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the celery worker did not start:\n{log.read_text()}")
            time.sleep(0.1)
        yield psutil.Process(worker.pid)
    finally:
        stop_celery_worker(worker.pid)
        worker.wait(timeout=10)  # reaped already; this records the exit status


def stop_celery_worker(pid: int) -> None:
    """SIGTERM the worker's process group (warm shutdown); SIGKILL it if it lingers."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
    try:
        psutil.Process(pid).wait(timeout=20)
    except psutil.TimeoutExpired:
        os.killpg(pid, signal.SIGKILL)
        psutil.Process(pid).wait(timeout=10)
    except psutil.NoSuchProcess:
        pass


@contextlib.contextmanager
def dask_cluster(**options: Any) -> Iterator[Any]:
    """A Dask client on a LocalCluster of two single-threaded worker processes, on loopback."""
    from dask.distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            **options,
        ) as cluster,
        Client(cluster, timeout=60) as client,
    ):
        client.wait_for_workers(2, timeout=60)
        yield client
