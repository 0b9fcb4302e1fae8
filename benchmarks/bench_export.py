"""Export throughput against a plain ``iterate()`` → NDJSON loop, and peak memory.

    python benchmarks/bench_export.py [--quick]

The TEL4VN simulator runs in its own process (``python -m telcall.simulator``).
For each page latency (none, 20 ms) the same N CDRs are written to NDJSON by
the loop a user would write (``async for cdr in client.cdrs.iterate(...)``,
one ``CallRecord`` encoded per line) and by ``telcall.export.export_cdrs``
(6-hour windows, 4 at a time). Every measurement is a fresh process, so
neither inherits the other's heap; rounds alternate which goes first, and
ratios are taken within a round and reported as the median (min–max). Client
CPU (user + system time of the client process, its threads included) is the
steadier figure: on a small machine the server shares the cores. Peak RSS of
an export of one day and of the whole week (7x the records) comes from the
same processes. ``main(quick)`` returns the figures for the benchmark suite.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import msgspec

from telcall import AsyncTel4vnClient
from telcall.export import export_cdrs

START, END = "2026-11-01", "2026-11-08"
ONE_DAY = "2026-11-02"


class Measure(msgspec.Struct, frozen=True):
    """What one measuring process reports."""

    records: int
    wall: float
    cpu: float
    peak_rss_mib: float


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def simulator(cdrs: int, latency: float) -> Iterator[tuple[str, str]]:
    """A simulator process; yields (base_url, api_key)."""
    port = _free_port()
    command = [sys.executable, "-m", "telcall.simulator", "--port", str(port), "--cdrs", str(cdrs)]
    if latency:
        command += ["--latency", str(latency)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        base_url = proc.stdout.readline().split()[-1]
        api_key = proc.stdout.readline().split()[0].split("=", 1)[1]
        yield base_url, api_key
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()


async def plain_loop(base_url: str, api_key: str, out: Path, end: str = END) -> int:
    """The loop a user would write; returns the records written."""
    encode = msgspec.json.Encoder().encode
    count = 0
    async with AsyncTel4vnClient(base_url=base_url, api_key=api_key) as client:
        with (out / "plain.ndjson").open("wb") as file:
            async for cdr in client.cdrs.iterate(start_date=START, end_date=end, page_size=1000):
                file.write(encode(cdr.to_call_record()))
                file.write(b"\n")
                count += 1
    return count


async def export(base_url: str, api_key: str, out: Path, end: str = END) -> int:
    """The export job; returns the records written."""
    async with AsyncTel4vnClient(base_url=base_url, api_key=api_key) as client:
        summary = await export_cdrs(
            client, START, end, out / "export", window=timedelta(hours=6), concurrency=4
        )
    return summary.records


def _measure(who: str, base_url: str, api_key: str, end: str = END) -> Measure:
    """Run ``who`` ("plain" or "export") in a fresh process."""
    result = subprocess.run(
        [sys.executable, __file__, "--measure", who, base_url, api_key, end],
        check=True,
        capture_output=True,
        text=True,
    )
    return msgspec.json.decode(result.stdout.strip().splitlines()[-1], type=Measure)


def _child(who: str, base_url: str, api_key: str, end: str) -> None:
    run = plain_loop if who == "plain" else export
    with tempfile.TemporaryDirectory() as out:
        began, cpu = time.perf_counter(), time.process_time()
        records = asyncio.run(run(base_url, api_key, Path(out), end))
        wall, cpu = time.perf_counter() - began, time.process_time() - cpu
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(msgspec.json.encode(Measure(records, wall, cpu, rss)).decode())


def _rounds(base_url: str, api_key: str, n: int, rounds: int) -> dict[str, list[Measure]]:
    """Interleaved rounds of both, alternating which goes first."""
    runs: dict[str, list[Measure]] = {"plain": [], "export": []}
    for round_ in range(rounds):
        for who in ("plain", "export") if round_ % 2 == 0 else ("export", "plain"):
            m = _measure(who, base_url, api_key)
            assert m.records == n, (who, m.records, n)
            runs[who].append(m)
    return runs


def _figures(n: int, plain: list[Measure], exported: list[Measure]) -> dict[str, Any]:
    ratios = [p.wall / e.wall for p, e in zip(plain, exported, strict=True)]
    cpu_ratios = [p.cpu / e.cpu for p, e in zip(plain, exported, strict=True)]

    def cpu_us(runs: list[Measure]) -> float:
        return round(statistics.median(m.cpu for m in runs) / n * 1e6, 2)

    return {
        "rounds": len(ratios),
        "plain_records_per_s": round(n / statistics.median(m.wall for m in plain)),
        "export_records_per_s": round(n / statistics.median(m.wall for m in exported)),
        "export_vs_plain": round(statistics.median(ratios), 2),
        "export_vs_plain_range": f"{min(ratios):.2f}-{max(ratios):.2f}",
        "plain_cpu_us_per_record": cpu_us(plain),
        "export_cpu_us_per_record": cpu_us(exported),
        "export_cpu_vs_plain": round(statistics.median(cpu_ratios), 2),
    }


def main(quick: bool) -> dict[str, Any]:
    """Run the comparison; return the figures (throughputs, ratios, client CPU, peak RSS)."""
    n = 50_000 if quick else 1_000_000
    results: dict[str, Any] = {"cdrs": n}
    # The 0 ms ratio is the contested one (both sides CPU-bound on shared cores): more rounds.
    for label, latency, rounds in (
        ("no_latency", 0.0, 1 if quick else 3),
        ("latency_20ms", 0.02, 1),
    ):
        with simulator(n, latency) as (base_url, api_key):
            runs = _rounds(base_url, api_key, n, rounds)
            results[label] = _figures(n, runs["plain"], runs["export"])
            if latency == 0.0:
                day = _measure("export", base_url, api_key, ONE_DAY)
                results["peak_rss_mib"] = {
                    "one_day": round(day.peak_rss_mib, 1),
                    "one_week": round(max(m.peak_rss_mib for m in runs["export"]), 1),
                }
    return results


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--measure":
        _child(*sys.argv[2:6])
    else:
        parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
        parser.add_argument("--quick", action="store_true", help="50k CDRs instead of 1M")
        args = parser.parse_args()
        print(msgspec.json.format(msgspec.json.encode(main(args.quick))).decode())
