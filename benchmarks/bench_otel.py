"""Does observability cost anything when nobody listens? Per-call CPU against a baseline.

    python -m benchmarks.bench_otel                  # baseline: the ``main`` branch
    python -m benchmarks.bench_otel --baseline v0.1.0 --rounds 9

Three variants of the same sequential ``cdrs.get()`` loop (``bench_otel_child``), each in a
fresh process, interleaved with the order rotated every round, against one simulator
process: *baseline* (telcall as of ``--baseline``, extracted with ``git archive``),
*OTel, no SDK* (this tree, ``opentelemetry-api`` importable, nothing configured) and
*no OTel* (this tree, ``opentelemetry`` unimportable). Ratios are taken within a round;
the median is reported with the min–max spread. The goal: within 5 % of the baseline.

Processes a minute apart on a shared 2-core machine differ by ±20 %, more than the 5 %
to resolve; so the *OTel, no SDK* child also alternates batches in-process with telcall's
no-OTel path (``--paired``), and that per-pair ratio is reported too.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from ._child import RESULT_MARK
from ._runner import Stat
from ._server import Server

ROOT = Path(__file__).resolve().parent.parent
VARIANTS = {
    "baseline": "baseline",
    "otel": "OTel installed, no SDK",
    "no-otel": "OTel not installed",
}


def _extract(ref: str, into: Path) -> None:
    """``telcall/`` as of git ``ref``, unpacked under ``into``."""
    archive = into / "baseline.tar"
    subprocess.run(
        ["git", "archive", "--format=tar", "-o", str(archive), ref, "telcall"],
        cwd=ROOT,
        check=True,
    )
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")


def _run(variant: str, baseline: Path, common: list[str]) -> dict[str, float]:
    path = [str(baseline)] if variant == "baseline" else []
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([*path, str(ROOT)]), "PYTHONHASHSEED": "0"}
    args = [sys.executable, "-m", "benchmarks.bench_otel_child", *common]
    if variant == "no-otel":
        args.append("--block-otel")
    if variant == "otel":
        args.append("--paired")
    done = subprocess.run(
        args, capture_output=True, text=True, cwd=ROOT, env=env, timeout=600, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{variant} exited {done.returncode}:\n{done.stderr[-2000:]}")
    line = next(x for x in reversed(done.stdout.splitlines()) if x.startswith(RESULT_MARK))
    result: dict[str, float] = json.loads(line[len(RESULT_MARK) :])
    return result


def main(argv: list[str] | None = None) -> int:
    """Run the rounds and print a Markdown table of per-call CPU and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--baseline", default="main", help="git ref to compare with")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--batches", type=int, default=15)
    args = parser.parse_args(argv)
    keys = list(VARIANTS)
    cpu: dict[str, list[float]] = {k: [] for k in keys}
    paired: list[float] = []
    with tempfile.TemporaryDirectory() as tmp, Server(args.calls, [0.0]) as server:
        _extract(args.baseline, Path(tmp))
        common = ["--base-url", server.url(0.0), "--api-key", server.api_key]
        common += ["--calls", str(args.calls), "--batches", str(args.batches)]
        for r in range(args.rounds):
            shift = r % len(keys)
            for key in keys[shift:] + keys[:shift]:
                result = _run(key, Path(tmp), common)
                cpu[key].append(result["cpu_us"])
                if "paired_ratio" in result:
                    paired.append(result["paired_ratio"])
            print(f"round {r + 1}/{args.rounds} done", file=sys.stderr, flush=True)
    print(
        f"Per-call CPU of `cdrs.get()`, {args.rounds} interleaved rounds, "
        f"baseline `{args.baseline}`:\n"
    )
    print("| Variant | CPU per call (µs) | vs baseline |")
    print("|---|---|---|")
    for key in keys:
        ratio = Stat.of([a / b for a, b in zip(cpu[key], cpu["baseline"], strict=True)])
        print(f"| {VARIANTS[key]} | {Stat.of(cpu[key]).median:.1f} | {ratio.times()} |")
    print(
        f"\nIn-process pairs (OTel installed, no SDK / telcall's no-OTel path), median of "
        f"{args.rounds} processes' medians: {Stat.of(paired).times()}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
