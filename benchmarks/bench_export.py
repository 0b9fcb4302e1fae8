"""Export throughput and client CPU against reading alone, per format, and peak memory.

    python benchmarks/bench_export.py [--quick] [--records N]

The TEL4VN simulator runs in its own process (``python -m telcall.simulator``).
For each page latency (none, 20 ms) the same N CDRs are read by ``cdrs.pages()``
alone (the baseline: the cost of reading, nothing written), written to NDJSON
by the loop a user would write (``async for cdr in client.cdrs.iterate(...)``,
one ``CallRecord`` encoded per line), and by ``telcall.export.export_cdrs``
(6-hour windows, 4 at a time) in each format. Every measurement is a fresh process, so
neither inherits the other's heap; rounds alternate which goes first, and
ratios are taken within a round and reported as the median (min–max). Client
CPU (user + system time of the client process, its threads included) is the
steadier figure: on a small machine the server shares the cores. Peak RSS of
an export of one day and of the whole week (7x the records) comes from the
same processes. The Parquet process imports pyarrow before its clock starts (a cost
per process, not per record). ``main(quick)`` returns the figures for the benchmark suite.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import msgspec

from benchmarks._child import peak_rss
from benchmarks._machine import describe, load
from telcall import AsyncTel4vnClient
from telcall.export import export_cdrs
from telcall.export._sinks import Format

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


async def pages_alone(base_url: str, api_key: str, out: Path, end: str = END) -> int:
    """``cdrs.pages()`` over the same records, nothing converted or written."""
    count = 0
    async with AsyncTel4vnClient(base_url=base_url, api_key=api_key) as client:
        async for page in client.cdrs.pages(start_date=START, end_date=end, page_size=1000):
            count += len(page.items)
    return count


async def export(
    base_url: str, api_key: str, out: Path, end: str = END, format: Format = "ndjson"
) -> int:
    """The export job; returns the records written."""
    async with AsyncTel4vnClient(base_url=base_url, api_key=api_key) as client:
        summary = await export_cdrs(
            client,
            START,
            end,
            out / "export",
            window=timedelta(hours=6),
            concurrency=4,
            format=format,
        )
    return summary.records


#: Competitor → what its process runs.
RUNS: dict[str, Callable[[str, str, Path, str], Awaitable[int]]] = {
    "pages": pages_alone,
    "plain": plain_loop,
    "ndjson": functools.partial(export, format="ndjson"),
    "csv": functools.partial(export, format="csv"),
    "parquet": functools.partial(export, format="parquet"),
}
FORMATS = ("ndjson", "csv", "parquet")


def _measure(who: str, base_url: str, api_key: str, end: str = END) -> Measure:
    """Run ``who`` (a key of :data:`RUNS`) in a fresh process."""
    result = subprocess.run(
        [sys.executable, __file__, "--measure", who, base_url, api_key, end],
        check=True,
        capture_output=True,
        text=True,
    )
    return msgspec.json.decode(result.stdout.strip().splitlines()[-1], type=Measure)


def _child(who: str, base_url: str, api_key: str, end: str) -> None:
    run = RUNS[who]
    if who == "parquet":
        # Imported before the clock starts: pyarrow's import (~0.2 s of CPU, once per
        # process) is not a cost per record, and would be 2 µs of one at 100k records.
        import pyarrow.parquet  # noqa: F401
    report(lambda out: run(base_url, api_key, out, end))


def report(run: Callable[[Path], Awaitable[int]]) -> None:
    """Run ``run(out_dir)`` in a temp directory and print its :class:`Measure` (a child's line)."""
    with tempfile.TemporaryDirectory() as out:
        began, cpu = time.perf_counter(), time.process_time()
        records = asyncio.run(run(Path(out)))
        wall, cpu = time.perf_counter() - began, time.process_time() - cpu
    # VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec, so a child would report
    # its parent's peak (the benchmark suite's own heap) whenever that is the larger.
    rss = peak_rss() / 2**20
    print(msgspec.json.encode(Measure(records, wall, cpu, rss)).decode())


def _rounds(
    base_url: str, api_key: str, n: int, rounds: int, who: tuple[str, ...]
) -> dict[str, list[Measure]]:
    """Interleaved rounds of every competitor, the order rotated from round to round."""
    runs: dict[str, list[Measure]] = {w: [] for w in who}
    for round_ in range(rounds):
        shift = round_ % len(who)
        for w in (*who[shift:], *who[:shift]):
            m = _measure(w, base_url, api_key)
            assert m.records == n, (w, m.records, n)
            runs[w].append(m)
    return runs


def _ratio(num: list[Measure], den: list[Measure], metric: str) -> str:
    """Median of per-round ``num / den`` with min–max."""
    values = [getattr(a, metric) / getattr(b, metric) for a, b in zip(num, den, strict=True)]
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def _figures(n: int, runs: dict[str, list[Measure]]) -> dict[str, Any]:
    def cpu_us(who: str) -> float:
        return round(statistics.median(m.cpu for m in runs[who]) / n * 1e6, 2)

    pages = runs["pages"]
    figures: dict[str, Any] = {
        "rounds": len(pages),
        "cpu_us_per_record": {who: cpu_us(who) for who in runs},
        "records_per_s": {
            who: round(n / statistics.median(m.wall for m in ms)) for who, ms in runs.items()
        },
    }
    # CPU is the target's measure; wall swings with the server sharing the two cores.
    figures["cpu_vs_pages"] = {w: _ratio(runs[w], pages, "cpu") for w in runs if w != "pages"}
    figures["wall_vs_pages"] = {w: _ratio(runs[w], pages, "wall") for w in runs if w != "pages"}
    return figures


def main(quick: bool, records: int | None = None) -> dict[str, Any]:
    """Run the comparison; return the figures (throughputs, ratios, client CPU, peak RSS)."""
    n = records or (50_000 if quick else 1_000_000)
    info = describe()
    results: dict[str, Any] = {
        "cdrs": n,
        "machine": f"{info['cpu']}, {info['python']}",
        "load_before": load(),
    }
    # The 0 ms ratios are the contested ones (CPU-bound on shared cores): more rounds. With
    # latency only the NDJSON export is compared, to keep the run short.
    for label, latency, rounds, who in (
        ("no_latency", 0.0, 1 if quick else 3, tuple(RUNS)),
        ("latency_20ms", 0.02, 1, ("pages", "plain", "ndjson")),
    ):
        with simulator(n, latency) as (base_url, api_key):
            runs = _rounds(base_url, api_key, n, rounds, who)
            results[label] = _figures(n, runs)
            if latency == 0.0:
                results["peak_rss_mib"] = {
                    fmt: {
                        "one_day": round(_measure(fmt, base_url, api_key, ONE_DAY).peak_rss_mib, 1),
                        "one_week": round(max(m.peak_rss_mib for m in runs[fmt]), 1),
                    }
                    for fmt in FORMATS
                }
    results["load_after"] = load()
    return results


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--measure":
        _child(*sys.argv[2:6])
    else:
        parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
        parser.add_argument("--quick", action="store_true", help="50k CDRs instead of 1M")
        parser.add_argument("--records", type=int, help="CDRs to export (default 1M)")
        args = parser.parse_args()
        print(msgspec.json.format(msgspec.json.encode(main(args.quick, args.records))).decode())
