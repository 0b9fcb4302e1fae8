"""Kill -9 at random moments, then resume: the export still holds every record exactly once."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import msgspec
import pytest

from telcall.export._state import SqliteStore

RUNNER = Path(__file__).with_name("export_runner.py")


def start_export(base_url: str, api_key: str, out: Path, *, pipe: bool) -> subprocess.Popen[bytes]:
    """Start the export in a subprocess, the api key in its environment."""
    env = {**os.environ, "TELCALL_TEL4VN_API_KEY": api_key}
    stream = subprocess.PIPE if pipe else subprocess.DEVNULL
    return subprocess.Popen(
        [sys.executable, str(RUNNER), base_url, str(out)], env=env, stdout=stream, stderr=stream
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    "processes", [pytest.param(1, id="one-run"), pytest.param(2, id="two-runs")]
)
def test_sigkill_then_resume_is_exactly_once(
    processes: int,
    threaded_sim: Callable[..., object],
    tmp_path: Path,
    ids_in: Callable[[Path], list[str]],
) -> None:
    """Runs killed with SIGKILL at random points, then resumed: exactly once every time.

    With ``processes=2``, two runs share the directory both times (killed together,
    resumed together).
    """
    server = threaded_sim(cdrs=100_000, seed=21)
    sim = server.sim  # type: ignore[attr-defined]
    expected = set(server.ids())  # type: ignore[attr-defined]
    rng = random.Random(1234)
    killed_mid_job = 0
    for round_ in range(5):
        out = tmp_path / f"run{round_}"
        victims = [start_export(sim.base_url, sim.api_key, out, pipe=False)]
        # Start the clock once the job has planned (imports alone take ~0.5 s).
        deadline = time.monotonic() + 30
        while not (out / "_state.db").exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        victims += [start_export(sim.base_url, sim.api_key, out, pipe=False)
                    for _ in range(processes - 1)]  # fmt: skip
        # Then kill among the commits (over ~1-3 s here; longer on a loaded machine).
        while not any(row.status == "done" for row in SqliteStore(out).windows()):
            assert time.monotonic() < deadline, "no window was ever committed"
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, 0.8))
        for victim in victims:
            victim.send_signal(signal.SIGKILL)
        for victim in victims:
            victim.wait(timeout=30)
        done_before = sum(row.status == "done" for row in SqliteStore(out).windows())
        killed_mid_job += 0 < done_before < 28
        resumed = [start_export(sim.base_url, sim.api_key, out, pipe=True)
                   for _ in range(processes)]  # fmt: skip
        summaries = []
        for run in resumed:
            stdout, stderr = run.communicate(timeout=120)
            assert run.returncode == 0, stderr.decode()
            summaries.append(msgspec.json.decode(stdout))
        exported = ids_in(out)
        assert len(exported) == len(set(exported)), f"round {round_}: duplicates"
        assert expected == set(exported), f"round {round_}: records missing"
        # Each missing window written once in all; a dead run's claims never block the rerun.
        assert sum(s["windows_done"] for s in summaries) == 28 - done_before
        for summary in summaries:
            assert (
                summary["windows_done"] + summary["windows_skipped"] + summary["windows_busy"] == 28
            )
        assert not list(out.glob("date=*/.*.tmp"))
        rows = SqliteStore(out).windows()
        assert {"done"} == {row.status for row in rows}
        assert sorted(p.relative_to(out).as_posix() for p in out.glob("date=*/part-*")) == sorted(
            row.path for row in rows
        )
    # The kills must have hit running jobs, not only before the first or after the last commit.
    assert killed_mid_job >= 2
