"""The README's engine recipes import as written and configure what the docs promise."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest
from celery.signals import worker_process_shutdown

from telcall.export import WindowSpec, run_window


def test_celery_recipe_redelivers_the_window_of_a_dead_worker(
    recipe: Callable[[str], ModuleType], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Celery app acks late, requeues on a lost worker and prefetches one window."""
    monkeypatch.setenv("CELERY_BROKER_URL", "memory://")
    conf = recipe("celery").app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_serializer == "json"  # the default serializer, unchanged


def test_dask_recipe_maps_every_window_once_impurely(
    recipe: Callable[[str], ModuleType], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The Dask recipe maps run_window over the planned specs with pure=False and retries."""
    monkeypatch.setenv("TELCALL_TEL4VN_BASE_URL", "https://pbx.example.vn")
    monkeypatch.setenv("TELCALL_TEL4VN_API_KEY", "k")
    calls: list[tuple[Any, list[WindowSpec], dict[str, Any]]] = []

    class FakeDaskClient:
        def map(self, func: Any, specs: list[WindowSpec], **options: Any) -> list[WindowSpec]:
            calls.append((func, specs, options))
            return specs

        def gather(self, futures: list[WindowSpec]) -> list[SimpleNamespace]:
            return [SimpleNamespace(records=10) for _ in futures]

    total = recipe("dask").export("2026-11-01", "2026-11-04", str(tmp_path), FakeDaskClient())
    [(func, specs, options)] = calls
    assert func is run_window
    assert [spec.start.day for spec in specs] == [1, 2, 3]
    assert options == {"pure": False, "retries": 2}
    assert total == 30


@pytest.mark.slow
def test_postgresql_recipe_exports_every_cdr_once_into_the_table(
    recipe: Callable[[str], ModuleType],
    simulators: Callable[..., Any],
    postgres_server: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """The PostgreSQL recipe as written, on 2 spawned workers: every CDR once in crm.calls."""
    import asyncio

    import asyncpg

    sim = simulators(cdrs=3000, seed=5)
    url = postgres_server.create_database()
    monkeypatch.setenv("TELCALL_TEL4VN_BASE_URL", sim.base_url)
    monkeypatch.setenv("TELCALL_TEL4VN_API_KEY", sim.api_key)
    monkeypatch.setenv("TELCALL_EXPORT_STATE", url)
    monkeypatch.setenv("PGPASSWORD", postgres_server.password)
    # Two spawned workers, not the default four: this machine has two cores to give them.
    total = recipe("postgresql").export(
        "2026-11-01", "2026-11-08", str(tmp_path / "job"), workers=2
    )

    async def ids() -> list[str]:
        connection = await asyncpg.connect(url)
        try:
            return [r[0] for r in await connection.fetch("SELECT id FROM crm.calls")]
        finally:
            await connection.close()

    got = asyncio.run(ids())
    assert total == len(got) == len(set(got))
    assert set(got) == set(sim.cdr_ids())


def test_tenants_recipe_closes_clients_when_a_worker_process_stops(
    recipe: Callable[[str], ModuleType], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The many-tenants app keeps the redelivery settings and hooks worker_process_shutdown."""
    monkeypatch.setenv("CELERY_BROKER_URL", "memory://")
    module = recipe("tenants")
    conf = module.app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.task_serializer == "json"
    assert module.close_clients in [ref() for _, ref in worker_process_shutdown.receivers]
    assert module.BUDGET.per_second is not None


@pytest.mark.parametrize(
    "module", [pytest.param("celery", id="celery"), pytest.param("tenants", id="tenants")]
)
def test_celery_recipes_with_an_unreachable_broker_fail_before_any_request(
    recipe: Callable[[str], ModuleType],
    simulators: Callable[..., Any],
    redis_server: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    module: str,
) -> None:
    """Nothing listens at the broker: kombu's OperationalError, and no request to the provider."""
    import sys

    from kombu.exceptions import OperationalError

    from .conftest import RECIPE_MODULES

    sim = simulators(cdrs=50, seed=3)
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setenv("CELERY_RESULT_BACKEND", redis_server.url_for(4))
    monkeypatch.setenv("TELCALL_TEL4VN_BASE_URL", sim.base_url)
    monkeypatch.setenv("TELCALL_TEL4VN_API_KEY", sim.api_key)
    # A fresh import: the app reads its broker URL from the environment once.
    monkeypatch.delitem(sys.modules, RECIPE_MODULES[module], raising=False)
    tasks = recipe(module)
    # The tenants recipe takes its tenants first; otherwise both take (start, end, out_dir).
    tenants = () if module == "celery" else ({"acme": sim.base_url},)
    with pytest.raises(OperationalError, match=r"127\.0\.0\.1:1\b"):
        tasks.export(*tenants, "2026-11-01", "2026-11-03", str(tmp_path / "out"))
    assert sim.count() == 0
