"""The README's many-tenants recipe, as written, on real Redis and a real 2-process worker."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any
from zoneinfo import ZoneInfo

import psutil
import pytest

from telcall.simulator import Tel4vnSimulator, serve_in_thread

from .conftest import celery_worker_process, stop_celery_worker

pytestmark = pytest.mark.slow

EXPORT_TIMEOUT = 120.0
TENANTS = ("t0", "t1", "t2", "t3", "pbx-4")
VN = ZoneInfo("Asia/Ho_Chi_Minh")
# 50 one-hour windows per tenant.
START, END = datetime(2026, 11, 1, tzinfo=VN), datetime(2026, 11, 3, 2, tzinfo=VN)


@pytest.fixture(scope="module")
def tenant_sims() -> Iterator[dict[str, Tel4vnSimulator]]:
    """One TEL4VN simulator per tenant, each with its own API key."""
    with ExitStack() as stack:
        yield {
            tenant: stack.enter_context(
                serve_in_thread(
                    Tel4vnSimulator(cdrs=400, seed=20 + i, api_key=f"key-of-{tenant}-{i}")
                )
            )
            for i, tenant in enumerate(TENANTS)
        }


def test_five_tenants_fifty_windows_one_token_per_tenant_per_process(
    recipe_dir: Path,
    recipe: Callable[[str], ModuleType],
    redis_server: Any,
    tenant_sims: dict[str, Tel4vnSimulator],
    exported_ids: Callable[[Path], list[str]],
    in_thread: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """250 windows over 2 processes: every tenant's ids exactly, at most 2 tokens per tenant."""
    env = {
        "CELERY_BROKER_URL": redis_server.url_for(2),
        "CELERY_RESULT_BACKEND": redis_server.url_for(3),
        **{
            "PBX_KEY_" + tenant.upper().replace("-", "_"): sim.api_key
            for tenant, sim in tenant_sims.items()
        },
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    out = tmp_path / "cdrs"
    with celery_worker_process("tenant_tasks", recipe_dir, env) as worker:
        pool = {child.pid for child in worker.children()}
        tenant_tasks = recipe("tenants")
        urls = {tenant: sim.base_url for tenant, sim in tenant_sims.items()}
        records = in_thread(
            lambda: tenant_tasks.export(urls, START.isoformat(), END.isoformat(), str(out)),
            EXPORT_TIMEOUT,
        )()
        assert {child.pid for child in worker.children()} == pool  # no process was replaced
        stop_celery_worker(worker.pid)
    assert len(pool) == 2
    for tenant, sim in tenant_sims.items():
        ids = exported_ids(out / f"tenant={tenant}")
        assert sorted(ids) == sorted(sim.cdr_ids(START, END)), tenant
        assert records[tenant] == len(ids)
        assert len(list((out / f"tenant={tenant}").glob("date=*/part-*.parquet"))) == 50
        tokens = sim.count("POST", "/v2/auth/token")
        assert 1 <= tokens <= len(pool), f"{tenant}: {tokens} token requests"
        assert sim.rate_limited == 0
    log = (recipe_dir / "tenant_tasks.log").read_text()
    closed = [int(n) for n in re.findall(r"closed (\d+) worker client", log)]
    assert len(closed) == len(pool), log[-2000:]
    assert sum(closed) == sum(sim.count("POST", "/v2/auth/token") for sim in tenant_sims.values())
    assert not any(psutil.pid_exists(pid) for pid in pool)
