"""Many tenants in one process: per-tenant directories, budgets, fairness, one client each."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from telcall import AsyncTel4vnClient
from telcall.errors import AuthenticationError, ValidationError
from telcall.export import (
    Connection,
    ExportProgress,
    RequestBudget,
    TenantsExportError,
    close_worker_clients,
    export_tenants,
    plan,
    run_window,
)
from telcall.export._clients import worker_clients
from telcall.simulator import Faults, Tel4vnSimulator, serve_in_thread

VN = "Asia/Ho_Chi_Minh"
NOV_1 = datetime(2026, 11, 1, tzinfo=ZoneInfo(VN))
NOV_2 = NOV_1 + timedelta(days=1)
NOV_3 = NOV_1 + timedelta(days=2)
# The simulator lets 10 requests through per second; the budget stays under it.
BURST = Faults(rate_limit_burst=10, rate_limit_window=1.0)
UNDER = RequestBudget(max_in_flight=4, per_second=7.0)


def _ids(tenant_dir: Path) -> list[str]:
    return [
        json.loads(line)["id"]
        for part in sorted(tenant_dir.glob("date=*/part-*.ndjson"))
        for line in part.read_text().splitlines()
    ]


def _client(sim: Tel4vnSimulator) -> AsyncTel4vnClient:
    return AsyncTel4vnClient(base_url=sim.base_url, api_key=sim.api_key, tz=VN)


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"max_in_flight": 0}, id="no-slot"),
        pytest.param({"per_second": 0.0}, id="zero-rate"),
        pytest.param({"per_second": float("inf")}, id="endless-rate"),
    ],
)
def test_budget_refuses_what_cannot_be_kept(kwargs: dict[str, Any]) -> None:
    """A budget that admits nothing or caps nothing is refused when made."""
    with pytest.raises(ValidationError):
        RequestBudget(**kwargs)


async def test_tenants_land_in_their_own_directories(tmp_path: Path) -> None:
    """Each tenant's records, exactly, under tenant=<label>/, with one summary per tenant."""
    async with Tel4vnSimulator(cdrs=300, seed=1) as a, Tel4vnSimulator(cdrs=200, seed=2) as b:
        async with _client(a) as ca, _client(b) as cb:
            summaries = await export_tenants(
                {"acme": ca, "globex": cb}, "2026-11-01", "2026-11-03", tmp_path
            )
        assert sorted(summaries) == ["acme", "globex"]
        for label, sim in (("acme", a), ("globex", b)):
            where = tmp_path / f"tenant={label}"
            assert summaries[label].out_dir == str(where)
            assert sorted(_ids(where)) == sorted(sim.cdr_ids(NOV_1, NOV_3))
            assert summaries[label].records == len(_ids(where))
        assert a.count("POST", "/v2/auth/token") == b.count("POST", "/v2/auth/token") == 1
    assert _ids(tmp_path) == []  # nothing outside the tenants' directories


@pytest.mark.slow
async def test_a_budget_under_the_server_limit_meets_no_429(tmp_path: Path) -> None:
    """Two rate-limited tenants, 12 windows each at once: no request is refused."""
    async with (
        Tel4vnSimulator(cdrs=400, seed=3, faults=BURST) as a,
        Tel4vnSimulator(cdrs=400, seed=4, faults=BURST) as b,
    ):
        async with _client(a) as ca, _client(b) as cb:
            summaries = await export_tenants(
                {"a": ca, "b": cb},
                "2026-11-01",
                "2026-11-02",
                tmp_path,
                window=timedelta(hours=2),
                concurrency=12,
                page_size=20,
                budget=UNDER,
            )
        assert a.rate_limited == b.rate_limited == 0
        assert summaries["a"].windows_done == summaries["b"].windows_done == 12
        assert sorted(_ids(tmp_path / "tenant=a")) == sorted(a.cdr_ids(NOV_1, NOV_2))
        assert sorted(_ids(tmp_path / "tenant=b")) == sorted(b.cdr_ids(NOV_1, NOV_2))


async def test_without_a_budget_the_same_job_is_refused_429s(tmp_path: Path) -> None:
    """The control: the same job with only an in-flight bound hits the server's limit."""
    async with Tel4vnSimulator(cdrs=400, seed=3, faults=BURST) as a:
        async with _client(a) as ca:
            await export_tenants(
                {"a": ca},
                "2026-11-01",
                "2026-11-02",
                tmp_path,
                window=timedelta(hours=2),
                concurrency=12,
                page_size=20,
            )
        assert a.rate_limited > 0


@pytest.mark.slow
async def test_a_huge_tenant_does_not_starve_a_small_one(tmp_path: Path) -> None:
    """A slow tenant with many pages per window: a quick tenant beside it is done long before."""
    seen: dict[str, ExportProgress] = {}
    huge_when_small_finished: list[int] = []

    def progress(tenant: str, state: ExportProgress) -> None:
        seen[tenant] = state
        finished = state.windows_planned and state.windows_done == state.windows_planned
        if tenant == "small" and finished and not huge_when_small_finished:
            huge = seen.get("huge")
            huge_when_small_finished.append(0 if huge is None else huge.windows_done)

    async with (
        Tel4vnSimulator(cdrs=5000, seed=5, faults=Faults(latency=0.05)) as big,
        Tel4vnSimulator(cdrs=50, seed=6) as little,
        _client(big) as cb,
        _client(little) as cs,
    ):
        # The huge tenant comes first: a shared queue would serve its windows first.
        clients: dict[str, Any] = {"huge": cb, "small": cs}
        summaries = await export_tenants(
            clients,
            "2026-11-01",
            "2026-11-03",
            tmp_path,
            window=timedelta(hours=1),
            concurrency=2,
            page_size=10,
            progress=progress,
        )
    assert summaries["huge"].windows_done == summaries["small"].windows_done == 48
    [huge_done] = huge_when_small_finished
    assert huge_done < 24, f"the small tenant finished after {huge_done} of the huge one's windows"


async def test_a_failed_tenant_leaves_the_others_finished(tmp_path: Path) -> None:
    """A tenant whose key is refused fails alone; the other tenant's export is complete."""
    async with Tel4vnSimulator(cdrs=100, seed=7) as good, Tel4vnSimulator(cdrs=100, seed=8) as bad:
        async with (
            _client(good) as ok,
            AsyncTel4vnClient(base_url=bad.base_url, api_key="wrong-key", tz=VN) as refused,
        ):
            with pytest.raises(TenantsExportError, match="1 of 2 tenants failed") as caught:
                await export_tenants(
                    {"ok": ok, "refused": refused}, "2026-11-01", "2026-11-02", tmp_path
                )
        assert [label for label, _ in caught.value.failures] == ["refused"]
        assert caught.value.summaries["ok"].windows_done == 1
        assert sorted(_ids(tmp_path / "tenant=ok")) == sorted(good.cdr_ids(NOV_1, NOV_2))


@pytest.mark.parametrize(
    ("clients", "kwargs", "match"),
    [
        pytest.param({}, {}, "no tenants", id="no-tenants"),
        pytest.param({"../x": None}, {}, "not a label", id="bad-label"),
        pytest.param({"a": None}, {"window": timedelta(0)}, "window", id="bad-window"),
        pytest.param({"a": None}, {"concurrency": 0}, "concurrency", id="bad-concurrency"),
    ],
)
async def test_bad_input_is_refused_before_any_tenant_starts(
    clients: dict[str, Any], kwargs: dict[str, Any], match: str, tmp_path: Path
) -> None:
    """Arguments every tenant would refuse are refused up front; nothing is created."""
    out = tmp_path / "out"
    with pytest.raises(ValidationError, match=match):
        await export_tenants(clients, "2026-11-01", "2026-11-02", out, **kwargs)
    assert not out.exists()


# -- run_window: one client per tenant per process ------------------------------------------


@pytest.fixture
def two_tenants() -> Any:
    """Two TEL4VN simulators served from threads (run_window blocks the calling thread)."""
    a = serve_in_thread(Tel4vnSimulator(cdrs=200, seed=9))
    b = serve_in_thread(Tel4vnSimulator(cdrs=200, seed=10))
    with a as sim_a, b as sim_b:
        yield {"a": sim_a, "b": sim_b}
    close_worker_clients()


@pytest.mark.slow
def test_run_window_keeps_one_client_per_tenant(two_tenants: Any, tmp_path: Path) -> None:
    """12 windows of two tenants: one token each; close, and the next window builds anew."""
    sims: dict[str, Tel4vnSimulator] = two_tenants
    built: list[str] = []

    def factory(connection: Connection) -> AsyncTel4vnClient:
        built.append(connection.tenant)
        sim = sims[connection.tenant]
        return AsyncTel4vnClient(base_url=connection.base_url, api_key=sim.api_key, tz=VN)

    specs = [
        spec
        for label, sim in sims.items()
        for spec in plan(
            Connection(provider="tel4vn", base_url=sim.base_url, tz=VN, tenant=label),
            "2026-11-01",
            "2026-11-02",
            tmp_path,
            window=timedelta(hours=4),
        )
    ]
    close_worker_clients()
    results = [run_window(spec, client_factory=factory, budget=UNDER) for spec in specs]
    assert sorted(built) == ["a", "b"]
    assert worker_clients() == 2
    for label, sim in sims.items():
        assert sim.count("POST", "/v2/auth/token") == 1
        assert sorted(_ids(tmp_path / f"tenant={label}")) == sorted(sim.cdr_ids(NOV_1, NOV_2))
    assert sum(r.records for r in results) == sum(
        len(list(sim.cdr_ids(NOV_1, NOV_2))) for sim in sims.values()
    )
    close_worker_clients()
    assert worker_clients() == 0
    (tmp_path / "tenant=a" / specs[0].path).unlink()  # the next run rewrites this window
    run_window(specs[0], client_factory=factory, budget=UNDER)
    assert built == ["a", "b", "a"]
    assert sims["a"].count("POST", "/v2/auth/token") == 2


def test_run_window_refuses_a_second_budget_for_a_tenant(two_tenants: Any, tmp_path: Path) -> None:
    """A tenant's budget is one per process: another one for its next window is refused."""
    sim: Tel4vnSimulator = two_tenants["a"]
    connection = Connection(provider="tel4vn", base_url=sim.base_url, tz=VN, tenant="a")
    first, second = plan(connection, "2026-11-01", "2026-11-03", tmp_path)

    def factory(conn: Connection) -> AsyncTel4vnClient:
        return AsyncTel4vnClient(base_url=conn.base_url, api_key=sim.api_key, tz=VN)

    close_worker_clients()
    run_window(first, client_factory=factory, budget=UNDER)
    with pytest.raises(ValidationError, match="already has"):
        run_window(second, client_factory=factory, budget=RequestBudget(max_in_flight=1))


def test_refused_credentials_drop_the_tenants_client(two_tenants: Any, tmp_path: Path) -> None:
    """A key rotated in the worker's store: the refused client is dropped, the next window works."""
    sim: Tel4vnSimulator = two_tenants["a"]
    connection = Connection(provider="tel4vn", base_url=sim.base_url, tz=VN, tenant="a")
    first, second = plan(connection, "2026-11-01", "2026-11-03", tmp_path)
    keys = ["stale-key", sim.api_key]

    def factory(conn: Connection) -> AsyncTel4vnClient:
        return AsyncTel4vnClient(base_url=conn.base_url, api_key=keys.pop(0), tz=VN)

    close_worker_clients()
    with pytest.raises(AuthenticationError):
        run_window(first, client_factory=factory)
    assert worker_clients() == 0
    assert run_window(second, client_factory=factory).records > 0
    assert keys == []


@pytest.mark.slow
@pytest.mark.parametrize(
    ("budget", "refused"),
    [
        pytest.param(UNDER, False, id="under-the-limit"),
        pytest.param(None, True, id="control-no-budget"),
    ],
)
def test_worker_threads_share_the_tenants_budget(
    tmp_path: Path, budget: RequestBudget | None, refused: bool
) -> None:
    """8 threads of one worker run a tenant's windows: its one gate keeps them under the limit."""
    with serve_in_thread(Tel4vnSimulator(cdrs=400, seed=11, faults=BURST)) as sim:
        _run_threads(sim, tmp_path, budget)
        close_worker_clients()
    assert (sim.rate_limited > 0) is refused


def _run_threads(sim: Tel4vnSimulator, tmp_path: Path, budget: RequestBudget | None) -> None:
    connection = Connection(provider="tel4vn", base_url=sim.base_url, tz=VN, tenant="b")
    specs = plan(connection, "2026-11-01", "2026-11-02", tmp_path, window=timedelta(hours=1))

    def factory(conn: Connection) -> AsyncTel4vnClient:
        return AsyncTel4vnClient(base_url=conn.base_url, api_key=sim.api_key, tz=VN)

    close_worker_clients()
    with ThreadPoolExecutor(8) as pool:
        results = list(
            pool.map(lambda s: run_window(s, client_factory=factory, budget=budget), specs)
        )
    assert sum(r.records for r in results) == len(list(sim.cdr_ids(NOV_1, NOV_2)))
