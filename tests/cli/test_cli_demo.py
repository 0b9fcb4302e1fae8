"""``telcall demo``: the README's main job, end to end through the installed script."""

from __future__ import annotations

import asyncio
import re
import signal
import sys
from pathlib import Path
from typing import Any

import msgspec
import pytest

from telcall import CallRecord, CallStatus
from telcall.cli import _demo, main
from telcall.simulator import Faults, Tel4vnSimulator

from .conftest import CLI, clean_env, run_cli

SCRIPT = (str(Path(sys.executable).with_name("telcall")),)


async def test_demo_downloads_exactly_the_simulators_records(tmp_path):
    """`telcall demo --cdrs 20000` writes every simulated CDR once, in order, and sums them up."""
    out = tmp_path / "demo"
    result = await run_cli("demo", "--cdrs", "20000", "--out", str(out), command=SCRIPT)
    assert result.code == 0, result.err
    assert result.err_lines[-1].startswith("Downloading CDRs: 20,000/20,000 (100%)")
    assert [p.name for p in out.iterdir()] == ["cdrs.ndjson"]
    lines = (out / "cdrs.ndjson").read_bytes().splitlines()
    records = [msgspec.json.decode(line, type=CallRecord) for line in lines]
    assert [r.id for r in records] == list(Tel4vnSimulator(cdrs=20000, seed=1).cdr_ids())

    answered = [r for r in records if r.status is CallStatus.ANSWERED]
    summary = {
        line.split("  ")[0]: line.split("  ")[-1].strip()
        for line in result.out.splitlines()
        if "  " in line
    }
    assert summary["records"] == "20,000"
    assert summary["answer rate"] == f"{len(answered) / len(records):.1%}"
    average = sum(r.billsec for r in answered) / len(answered)
    assert summary["average talk time"].startswith(f"{average:.1f} s")
    assert summary["throughput"].endswith("records/s")
    assert "Calls by status" in result.out
    assert "Calls by direction" in result.out


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
async def test_demo_ctrl_c_exits_130_and_leaves_no_partial_file(tmp_path):
    """Ctrl-C mid-download: exit 130, the previous cdrs.ndjson untouched, no temp file left."""
    (tmp_path / "cdrs.ndjson").write_text("previous run\n")
    proc = await asyncio.create_subprocess_exec(
        *CLI, "demo", "--cdrs", "2000000", "--out", str(tmp_path),
        stderr=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, env=clean_env(),
    )  # fmt: skip
    assert proc.stderr is not None
    first = await asyncio.wait_for(proc.stderr.readline(), 30)
    assert first.startswith(b"TEL4VN simulator on http://127.0.0.1:")
    # Let the download get going: the first progress line comes after a second.
    progress = await asyncio.wait_for(proc.stderr.readline(), 30)
    assert progress.startswith(b"Downloading CDRs: ")
    proc.send_signal(signal.SIGINT)
    _, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 130
    assert err.decode().splitlines()[-1] == "telcall demo: interrupted"
    assert b"Traceback" not in err
    assert [p.name for p in tmp_path.iterdir()] == ["cdrs.ndjson"]
    assert (tmp_path / "cdrs.ndjson").read_text() == "previous run\n"


async def test_demo_creates_nested_output_directory(tmp_path):
    """--out may name a directory that does not exist yet."""
    out = tmp_path / "a" / "b"
    result = await run_cli("demo", "--cdrs", "10", "--out", str(out))
    assert result.code == 0
    assert len((out / "cdrs.ndjson").read_bytes().splitlines()) == 10


def test_demo_fails_when_the_file_misses_simulator_records(tmp_path, monkeypatch, capsys):
    """CDRs the simulator gains mid-download in windows already read: one error line, exit 1."""

    class Growing(Tel4vnSimulator):
        """A simulator that files 3 late CDRs after every page it serves."""

        def __init__(self, **kwargs: Any) -> None:
            super().__init__(faults=Faults(insert_during_scroll=3), **kwargs)

    monkeypatch.setattr(_demo, "Tel4vnSimulator", Growing)
    code = main(["demo", "--cdrs", "2000", "--out", str(tmp_path)])
    line = capsys.readouterr().err.splitlines()[-1]
    assert code == 1
    match = re.fullmatch(
        r"telcall demo: error: wrote ([\d,]+) CDRs but the simulator holds ([\d,]+)", line
    )
    assert match is not None, line
    written, held = (int(n.replace(",", "")) for n in match.groups())
    assert 2000 <= written < held
