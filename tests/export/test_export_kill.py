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

from telcall.export._state import CheckpointStore

RUNNER = Path(__file__).with_name("export_runner.py")


def start_export(base_url: str, api_key: str, out: Path, *, pipe: bool) -> subprocess.Popen[bytes]:
    """Start the export in a subprocess, the api key in its environment."""
    env = {**os.environ, "TELCALL_TEL4VN_API_KEY": api_key}
    stream = subprocess.PIPE if pipe else subprocess.DEVNULL
    return subprocess.Popen(
        [sys.executable, str(RUNNER), base_url, str(out)], env=env, stdout=stream, stderr=stream
    )


@pytest.mark.slow
def test_sigkill_then_resume_is_exactly_once(
    threaded_sim: Callable[..., object], tmp_path: Path, ids_in: Callable[[Path], list[str]]
) -> None:
    """Five runs killed with SIGKILL at random points, each resumed: exactly once every time."""
    server = threaded_sim(cdrs=100_000, seed=21)
    sim = server.sim  # type: ignore[attr-defined]
    expected = set(server.ids())  # type: ignore[attr-defined]
    rng = random.Random(1234)
    resumed_mid_job = 0
    for round_ in range(5):
        out = tmp_path / f"run{round_}"
        victim = start_export(sim.base_url, sim.api_key, out, pipe=False)
        # Start the clock once the job has planned (imports alone take ~0.5 s); the
        # windows then commit over ~2.5 s here (longer on slower machines): kill among them.
        deadline = time.monotonic() + 30
        while not (out / "_state.db").exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(rng.uniform(0.1, 1.2))
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=30)
        resumed = start_export(sim.base_url, sim.api_key, out, pipe=True)
        stdout, stderr = resumed.communicate(timeout=120)
        assert resumed.returncode == 0, stderr.decode()
        summary = msgspec.json.decode(stdout)
        exported = ids_in(out)
        assert len(exported) == len(set(exported)), f"round {round_}: duplicates"
        assert expected == set(exported), f"round {round_}: records missing"
        assert summary["windows_done"] + summary["windows_skipped"] == 28
        resumed_mid_job += 0 < summary["windows_skipped"] < 28
        assert not list(out.glob("date=*/.*.tmp"))
        rows = CheckpointStore(out).windows()
        assert {"done"} == {row.status for row in rows}
        assert sorted(p.relative_to(out).as_posix() for p in out.glob("date=*/part-*")) == sorted(
            row.path for row in rows
        )
    # The kills must have hit running jobs, not only before the first or after the last commit.
    assert resumed_mid_job >= 2
