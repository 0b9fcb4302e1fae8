"""docs/scaling.md's Dask plugin, as written: worker processes close their tenants' clients."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from telcall.export import Connection, WindowSpec, plan, run_window
from telcall.export._clients import worker_clients

from .conftest import dask_cluster

pytestmark = pytest.mark.slow

TENANTS = ("acme", "globex")
NOV_1 = datetime(2026, 11, 1, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
NOV_3 = NOV_1 + timedelta(days=2)

# The test's client factory: a client that leaves a marker file when it is closed.
FACTORY = """
import os
import uuid
from pathlib import Path

from telcall import AsyncTel4vnClient

MARKERS = Path({markers!r})


class MarkedClient(AsyncTel4vnClient):
    async def aclose(self) -> None:
        await super().aclose()
        (MARKERS / f"{{self.tenant}}-{{os.getpid()}}-{{uuid.uuid4().hex}}").touch()


def tenant_client(connection):
    client = MarkedClient(base_url=connection.base_url, api_key={api_key!r}, tz=connection.tz)
    client.tenant = connection.tenant
    return client
"""


def _markers(where: Path) -> list[str]:
    return sorted(path.name for path in where.iterdir())


def test_plugin_closes_every_worker_processs_tenant_clients(
    recipe: Callable[[str], ModuleType],
    recipe_dir: Path,
    simulators: Any,
    api_key: str,
    tmp_path: Path,
) -> None:
    """The plugin's teardown closes each live worker's tenant clients; stopping workers does too.

    Unregistering the plugin runs its teardown on every worker while the processes live, so
    only the plugin can have closed them there (the ``atexit`` hook also closes them as a
    spawned worker exits, which the second half sees too).
    """
    markers = tmp_path / "closed"
    markers.mkdir()
    (recipe_dir / "marked_factory.py").write_text(
        FACTORY.format(markers=str(markers), api_key=api_key), encoding="utf-8"
    )
    import marked_factory  # type: ignore[import-not-found]

    sims = {label: simulators(cdrs=400, seed=21 + n) for n, label in enumerate(TENANTS)}

    def specs(out: Path) -> list[WindowSpec]:
        return [
            spec
            for label, sim in sims.items()
            for spec in plan(
                Connection(
                    provider="tel4vn", base_url=sim.base_url, tz="Asia/Ho_Chi_Minh", tenant=label
                ),
                NOV_1,
                NOV_3,
                out,
                window=timedelta(hours=6),
            )
        ]

    plugin = recipe("dask-tenants")
    with dask_cluster() as client:
        plugin.install(client)
        pids = set(client.run(os.getpid).values())

        def export(out: Path) -> int:
            futures = client.map(
                run_window, specs(out), client_factory=marked_factory.tenant_client, pure=False
            )
            return sum(result.records for result in client.gather(futures))

        assert export(tmp_path / "out") == sum(
            len(list(s.cdr_ids(NOV_1, NOV_3))) for s in sims.values()
        )
        kept = client.run(worker_clients)
        assert sum(kept.values()) >= len(TENANTS)
        assert _markers(markers) == []
        client.unregister_worker_plugin(plugin.CloseTenantClients.name)
        assert set(client.run(worker_clients).values()) == {0}
        first = _markers(markers)
        assert len(first) == sum(kept.values())
        assert {name.split("-")[0] for name in first} == set(TENANTS)
        assert {int(name.split("-")[1]) for name in first} <= pids

        # Registered again, then the cluster stops: each worker's clients close on the way out.
        plugin.install(client)
        for label, sim in sims.items():
            assert sim.count("POST", "/v2/auth/token") <= len(pids), label
        export(tmp_path / "again")
        kept = client.run(worker_clients)
        assert sum(kept.values()) >= len(TENANTS)
    assert len(_markers(markers)) == len(first) + sum(kept.values())
