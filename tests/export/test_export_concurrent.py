"""Two runs on one directory: claims, re-cut plans, each other's temp files, real processes."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import msgspec
import pytest

from telcall import AsyncTel4vnClient
from telcall.export import WindowSuperseded, arun_window, plan
from telcall.export._state import SqliteStore, new_run_id
from telcall.simulator import Faults, Tel4vnSimulator

RUNNER = Path(__file__).with_name("export_runner.py")


def assert_consistent(out: Path, ids: list[str], expected: set[str]) -> None:
    """Exactly once, every part file has a row, and no two rows overlap."""
    assert len(ids) == len(set(ids)), "duplicates in the export"
    assert set(ids) == expected
    rows = SqliteStore(out).windows()
    assert sorted(p.relative_to(out).as_posix() for p in out.glob("date=*/part-*")) == sorted(
        row.path for row in rows if row.status == "done"
    )
    assert all(a.end <= b.start for a, b in itertools.pairwise(rows))
    assert not list(out.glob("date=*/.*.tmp"))


async def test_plans_with_different_grids_never_both_commit(
    sim: Tel4vnSimulator, client: AsyncTel4vnClient, tmp_path: Path, ids_in: Callable[..., Any]
) -> None:
    """Plan A (12 h), plan B (6 h), run B's windows, then A's: A's re-cut windows are refused."""
    specs_a = plan(client, "2026-11-01", "2026-11-03", tmp_path, window=timedelta(hours=12))
    specs_b = plan(client, "2026-11-02", "2026-11-04", tmp_path, window=timedelta(hours=6))
    for spec in specs_b:
        await arun_window(spec, client=client)
    superseded = []
    for spec in specs_a:
        try:
            await arun_window(spec, client=client)
        except WindowSuperseded:
            superseded.append(spec.path)
    assert len(superseded) == 2
    start, end = specs_a[0].start, specs_b[-1].end
    assert_consistent(tmp_path, ids_in(tmp_path), set(sim.cdr_ids(start, end)))


def test_claims_by_time_range(tmp_path: Path) -> None:
    """A live claim blocks overlapping windows of any grid; a stale plan is told so."""
    store = SqliteStore(tmp_path)
    store.claim(provider="tel4vn", format="ndjson", raw=False, tz="UTC")
    store.schedule([(0, 10, "a"), (10, 20, "b")], redo=[], drop=[])
    first, second = new_run_id(), new_run_id()
    assert store.claim_window(start=0, end=10, run_id=first).outcome == "claimed"
    busy = store.claim_window(start=0, end=10, run_id=second)
    assert (busy.outcome, busy.holder) == ("busy", first)
    assert store.claim_window(start=10, end=20, run_id=second).outcome == "claimed"
    # A 20 s window over both: busy while either is held, then stale (the rows are 10 s).
    assert store.claim_window(start=0, end=20, run_id=new_run_id()).outcome == "busy"
    store.release(start=0, run_id=first)
    store.release(start=10, run_id=second)
    assert store.claim_window(start=0, end=20, run_id=new_run_id()).outcome == "stale"


def test_expired_or_dead_claims_are_taken_over(tmp_path: Path) -> None:
    """A claim past its lease, or of a process gone from this host, is taken over at once."""
    store = SqliteStore(tmp_path)
    store.claim(provider="tel4vn", format="ndjson", raw=False, tz="UTC")
    store.schedule([(0, 10, "a"), (10, 20, "b")], redo=[], drop=[])
    store.claim_window(start=0, end=10, run_id=new_run_id(), lease=0.2)
    assert store.claim_window(start=0, end=10, run_id="x").outcome == "busy"
    time.sleep(0.3)
    assert store.claim_window(start=0, end=10, run_id=new_run_id()).outcome == "claimed"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, check=True, timeout=30)  # fmt: skip
    host = new_run_id().rsplit("-", 2)[0]
    store.claim_window(start=10, end=20, run_id=f"{host}-{int(dead.stdout)}-0")
    assert store.claim_window(start=10, end=20, run_id=new_run_id()).outcome == "claimed"


def test_commit_needs_the_claim(tmp_path: Path) -> None:
    """A run whose claim was taken over cannot commit the window."""
    from telcall.export._state import ClaimLost

    store = SqliteStore(tmp_path)
    store.claim(provider="tel4vn", format="ndjson", raw=False, tz="UTC")
    store.schedule([(0, 10, "a")], redo=[], drop=[])
    loser = new_run_id()
    store.claim_window(start=0, end=10, run_id=loser, lease=0.01)
    time.sleep(0.05)
    store.claim_window(start=0, end=10, run_id=new_run_id())
    with pytest.raises(ClaimLost):
        store.commit(start=0, end=10, path="a", records=1, sha256="h", size=1, run_id=loser)
    with pytest.raises(ClaimLost):
        store.renew(start=0, run_id=loser)


async def test_plan_keeps_live_runs_temp_files(client: AsyncTel4vnClient, tmp_path: Path) -> None:
    """Planning removes the temp files of dead runs only, never those of a live claim."""
    specs = plan(client, "2026-11-01", "2026-11-02", tmp_path, window=timedelta(hours=6))
    store = SqliteStore(tmp_path)
    live = new_run_id()
    first = specs[0]
    store.claim_window(start=int(first.start.timestamp()), end=int(first.end.timestamp()),
                       run_id=live)  # fmt: skip
    day = tmp_path / first.path.rsplit("/", 1)[0]
    name = first.path.rsplit("/", 1)[1]
    mine = day / f".{name}.{live}.tmp"
    dead = day / f".{name}.somehost-1-00000000.tmp"
    day.mkdir(parents=True)
    for path in (mine, dead):
        path.write_bytes(b"{}\n")
    plan(client, "2026-11-01", "2026-11-02", tmp_path, window=timedelta(hours=6))
    assert mine.exists()
    assert not dead.exists()


async def test_replan_refuses_to_drop_a_live_runs_window(
    client: AsyncTel4vnClient, tmp_path: Path
) -> None:
    """Re-cutting a range another live run is writing is refused, and nothing changes."""
    from telcall.errors import CheckpointError

    specs = plan(client, "2026-11-01", "2026-11-02", tmp_path, window=timedelta(hours=12))
    store = SqliteStore(tmp_path)
    spec = specs[0]
    store.claim_window(start=int(spec.start.timestamp()), end=int(spec.end.timestamp()),
                       run_id=new_run_id())  # fmt: skip
    before = store.windows()
    with pytest.raises(CheckpointError, match="another window size"):
        plan(client, "2026-11-01", "2026-11-02", tmp_path, window=timedelta(hours=6))
    assert before == store.windows()


def start_run(base_url: str, api_key: str, out: Path, *args: str) -> subprocess.Popen[bytes]:
    """An export subprocess over ``out`` (extra runner flags in ``args``)."""
    env = {**os.environ, "TELCALL_TEL4VN_API_KEY": api_key}
    return subprocess.Popen(
        [sys.executable, str(RUNNER), base_url, str(out), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def finish(proc: subprocess.Popen[bytes]) -> tuple[int, dict[str, Any]]:
    """Wait for a run (watchdog: 120 s); its exit code and JSON output."""
    stdout, stderr = proc.communicate(timeout=120)
    assert stdout, stderr.decode()
    return proc.returncode, msgspec.json.decode(stdout.splitlines()[-1])


def wait_for_state(out: Path) -> None:
    """Return once the run over ``out`` has planned (its checkpoint file exists)."""
    deadline = time.monotonic() + 30
    while not (out / "_state.db").exists():
        assert time.monotonic() < deadline, "the run never planned"
        time.sleep(0.02)


@pytest.fixture
def slow_sim(threaded_sim: Callable[..., Any]) -> Any:
    """40,000 CDRs with 10 ms per answer, so that two runs overlap in time."""
    return threaded_sim(cdrs=40_000, seed=4, faults=Faults(latency=0.01))


@pytest.mark.slow
@pytest.mark.parametrize("stagger", [pytest.param(0.0, id="together"),
                                     pytest.param(0.5, id="staggered")])  # fmt: skip
def test_two_processes_same_grid_exactly_once(
    stagger: float, slow_sim: Any, tmp_path: Path, ids_in: Callable[..., Any]
) -> None:
    """Two runs of the same export at once: both exit 0, each window written once in all."""
    sim = slow_sim.sim
    first = start_run(sim.base_url, sim.api_key, tmp_path)
    if stagger:
        wait_for_state(tmp_path)
        time.sleep(stagger)
    second = start_run(sim.base_url, sim.api_key, tmp_path)
    (code_a, a), (code_b, b) = finish(first), finish(second)
    assert (code_a, code_b) == (0, 0), (a, b)
    assert a["windows_done"] + b["windows_done"] == 28
    for summary in (a, b):
        assert summary["windows_done"] + summary["windows_skipped"] + summary["windows_busy"] == 28
    assert_consistent(tmp_path, ids_in(tmp_path), set(slow_sim.ids()))


@pytest.mark.slow
def test_two_processes_different_grids_then_rerun(
    slow_sim: Any, tmp_path: Path, ids_in: Callable[..., Any]
) -> None:
    """A 12 h and a 6 h run over overlapping ranges never duplicate; rerunning finishes both."""
    sim = slow_sim.sim
    a_args = ("--since", "2026-11-01", "--until", "2026-11-05", "--window", "12")
    b_args = ("--since", "2026-11-03", "--until", "2026-11-08", "--window", "6")
    runs = [start_run(sim.base_url, sim.api_key, tmp_path, *args) for args in (a_args, b_args)]
    for run in runs:
        finish(run)
    assert_consistent_partial(tmp_path, ids_in(tmp_path))
    for args in (a_args, b_args):
        code, summary = finish(start_run(sim.base_url, sim.api_key, tmp_path, *args))
        assert code == 0, summary
    assert_consistent(tmp_path, ids_in(tmp_path), set(slow_sim.ids()))


def assert_consistent_partial(out: Path, ids: list[str]) -> None:
    """No duplicates, no overlapping rows, no file without a row (some windows may be missing)."""
    assert len(ids) == len(set(ids)), "duplicates in the export"
    rows = SqliteStore(out).windows()
    done = {row.path for row in rows if row.status == "done"}
    assert {p.relative_to(out).as_posix() for p in out.glob("date=*/part-*")} <= {
        row.path for row in rows
    }
    assert done <= {p.relative_to(out).as_posix() for p in out.glob("date=*/part-*")}
    assert all(a.end <= b.start for a, b in itertools.pairwise(rows))


@pytest.mark.slow
def test_one_of_two_processes_killed_then_rerun(
    slow_sim: Any, tmp_path: Path, ids_in: Callable[..., Any]
) -> None:
    """SIGKILL one of two runs mid-window: the other finishes, a rerun completes exactly once."""
    sim = slow_sim.sim
    victim = start_run(sim.base_url, sim.api_key, tmp_path)
    wait_for_state(tmp_path)
    other = start_run(sim.base_url, sim.api_key, tmp_path)
    time.sleep(0.8)
    victim.send_signal(signal.SIGKILL)
    victim.communicate(timeout=30)
    code, _ = finish(other)
    assert code == 0
    # The dead run's claims are taken over at once (its process is gone), not after the lease.
    began = time.monotonic()
    code, summary = finish(start_run(sim.base_url, sim.api_key, tmp_path))
    assert code == 0, summary
    assert summary["windows_busy"] == 0
    assert time.monotonic() - began < 60
    assert_consistent(tmp_path, ids_in(tmp_path), set(slow_sim.ids()))
