"""The benchmarks still run: ``python -m benchmarks --quick`` (never a timed assertion)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

for _module in ("pydantic", "httpx", "requests", "orjson"):
    pytest.importorskip(
        _module, reason="the `bench` extra is not installed: pip install -e '.[bench]'"
    )

SECTIONS = (
    "### 1. Decode",
    "### 2. Scroll",
    "### 3. Memory while streaming",
    "### 4. Sync facade",
    "### 5. Small requests",
    "### 6. Export",
    "### 7. Export into PostgreSQL",
)


@pytest.mark.slow
def test_quick_run_prints_every_section() -> None:
    """A quick run exits 0 and prints every section, none failed (the timeout guards a hang).

    The quick sizes keep it near a minute on two idle cores; under other suites' load it
    takes longer, which says nothing about telcall, so the timeout is generous.
    """
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--no-write"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    for heading in SECTIONS:
        assert heading in proc.stdout, f"{heading!r} missing from:\n{proc.stdout}"
    assert "Failed:" not in proc.stdout
