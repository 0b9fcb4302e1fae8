"""What every competitor process shares: clocks, memory probes and the result line.

A competitor module runs as ``python -m benchmarks.bench_<what>_<who> ...`` and prints one
``BENCH-RESULT {json}`` line; the parent reads nothing else from it.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

__all__ = (
    "RESULT_MARK",
    "Clock",
    "decode_args",
    "emit",
    "peak_rss",
    "reset_peak",
    "rss",
    "run_decode",
    "scroll_args",
    "small_args",
)

RESULT_MARK = "BENCH-RESULT "

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def emit(result: dict[str, Any]) -> None:
    """Print the one line the parent reads."""
    print(RESULT_MARK + json.dumps(result), flush=True)


def rss() -> int:
    """Resident set size now, in bytes (peak RSS where /proc is missing)."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * _PAGE
    except OSError:
        return peak_rss()


def peak_rss() -> int:
    """Peak resident set size since the last :func:`reset_peak` (or process start), in bytes."""
    try:
        with open("/proc/self/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes.
    return peak if sys.platform == "darwin" else peak * 1024


def reset_peak() -> bool:
    """Restart the peak-RSS count from now (Linux >= 4.0); False where that is impossible."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return True


class Clock:
    """Wall and CPU time of this process between ``start()`` and ``stop()``, and RSS growth."""

    def __init__(self) -> None:
        self.wall = self.cpu = 0.0
        self.rss_start = self.peak_sampled = 0
        self.exact_peak = False

    def start(self) -> None:
        """Take the starting readings."""
        # Without a reset the peak would include imports and warm-up, not our work.
        self.exact_peak = reset_peak()
        self.rss_start = rss()
        self.peak_sampled = self.rss_start
        self.cpu = time.process_time()
        self.wall = time.perf_counter()

    def sample(self) -> None:
        """Note the RSS now (call between pages when measuring memory)."""
        now = rss()
        if now > self.peak_sampled:
            self.peak_sampled = now

    def stop(self) -> dict[str, float]:
        """Elapsed wall and CPU seconds, and RSS growth over the start (sampled and peak)."""
        wall = time.perf_counter() - self.wall
        cpu = time.process_time() - self.cpu
        self.sample()
        return {
            "wall": wall,
            "cpu": cpu,
            "rss_growth": self.peak_sampled - self.rss_start,
            "peak_rss_growth": max(0, peak_rss() - self.rss_start),
            # Without a peak reset the peak may date from before start(): an upper bound.
            "exact_peak": self.exact_peak,
        }


def decode_args(argv: list[str] | None) -> argparse.Namespace:
    """Arguments of every decode competitor."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--file", required=True, help="a GET /v2/cdr body")
    parser.add_argument("--expect", type=int, required=True, help="records the body holds")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--variant", default="")
    return parser.parse_args(argv)


def run_decode(
    decode: Callable[[bytes], Any], count: Callable[[Any], int], args: argparse.Namespace
) -> None:
    """Time ``decode`` on the body in ``args.file``, measure what its result retains, emit."""
    with open(args.file, "rb") as f:
        body = f.read()
    expected = args.expect
    # One untimed decode: first-call costs (caches, lazy imports) are not what we compare.
    result = decode(body)
    if count(result) != expected:
        raise SystemExit(f"decoded {count(result)} records, expected {expected}")
    del result
    times = []
    for _ in range(args.repeat):
        # Start each decode from a collected heap; the collector stays on while timing,
        # as it is for a user.
        gc.collect()
        started = time.perf_counter()
        result = decode(body)
        times.append(time.perf_counter() - started)
        del result
    gc.collect()
    tracemalloc.start()
    kept = decode(body)
    # Measured while the result is alive: what a caller holding the page pays for.
    retained, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del kept
    emit(
        {
            "seconds": min(times),
            "median_seconds": statistics.median(times),
            "retained": retained,
            "records": expected,
            "bytes": len(body),
        }
    )


def scroll_args(argv: list[str] | None) -> argparse.Namespace:
    """Arguments of every scroll competitor."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--expect", type=int, required=True, help="records the listing holds")
    parser.add_argument("--start-date", required=True)
    parser.add_argument("--end-date", required=True)
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--pagination", choices=("scroll", "offset"), default="scroll")
    parser.add_argument("--prefetch", type=int, default=0)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--sample-rss", action="store_true", help="note RSS after every page")
    return parser.parse_args(argv)


def small_args(argv: list[str] | None) -> argparse.Namespace:
    """Arguments of the small-request competitors."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--calls", type=int, default=1000, help="concurrent calls per batch")
    parser.add_argument("--batches", type=int, default=5)
    return parser.parse_args(argv)
