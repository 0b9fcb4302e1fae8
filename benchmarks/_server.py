"""The benchmark server: telcall's TEL4VN simulator in its own process, one port per latency.

``python -m benchmarks._server --cdrs N --latency 0 --latency 0.02`` serves the same CDR
store on one port per latency and prints ``{"ports": {...}, "api_key": ...}`` once
listening. It serves until its stdin closes, so it dies with the parent.

The simulator renders each CDR from a hash in Python (about 12 µs a record), which would
make every client wait on the server. Unless ``--uncached``, every record of the plain
(unfiltered) listing is rendered and JSON-encoded once before the server listens, on all
cores, and served as ``msgspec.Raw``: byte-for-byte the simulator's answer, but the
client's work is what the clock sees.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import msgspec

from telcall.simulator._data import VN, CdrFilter, CdrStore, Key
from telcall.simulator._faults import Faults
from telcall.simulator._tel4vn import Tel4vnSimulator

__all__ = ("PERIOD_END", "PERIOD_START", "Server", "main")

#: The store's period: with ``2 * N`` CDRs the first week holds exactly ``N`` of them.
PERIOD_START = datetime(2026, 11, 1, tzinfo=VN)
PERIOD_END = datetime(2026, 11, 15, tzinfo=VN)

_API_KEY = "bench-api-key"
_CHUNK = 100_000


def _store(count: int, seed: int) -> CdrStore:
    return CdrStore(count, seed=seed, start=PERIOD_START, end=PERIOD_END)


def _render(count: int, seed: int, lo: int, hi: int) -> list[bytes]:
    """Encode records ``lo..hi`` exactly as the simulator would (runs in a worker process)."""
    store = _store(count, seed)
    encode = msgspec.json.Encoder().encode
    return [encode(store.record(i)) for i in range(lo, hi)]


class CachedStore(CdrStore):
    """A ``CdrStore`` whose unfiltered listings come from pre-encoded records."""

    def __init__(self, count: int, seed: int) -> None:
        super().__init__(count, seed=seed, start=PERIOD_START, end=PERIOD_END)
        self._raw: list[msgspec.Raw] = []
        workers = os.cpu_count() or 1
        with ProcessPoolExecutor(workers) as pool:
            futures = [
                pool.submit(_render, count, seed, lo, min(lo + _CHUNK, count))
                for lo in range(0, count, _CHUNK)
            ]
            for future in futures:
                self._raw.extend(msgspec.Raw(body) for body in future.result())

    def select(
        self, keys: Iterator[Key], flt: CdrFilter, limit: int, skip: int = 0
    ) -> tuple[list[Any], Key | None]:
        """Serve cached records when nothing needs rendering; defer to the simulator otherwise."""
        if skip or not flt.is_empty() or limit <= 0:
            return super().select(keys, flt, limit, skip)
        raw, cached = self._raw, len(self._raw)
        out: list[Any] = []
        last: Key | None = None
        for key in keys:
            last = key
            index = key[1]
            out.append(raw[index] if index < cached else self.record(index))
            if len(out) >= limit:
                break
        return out, last


async def _serve(args: argparse.Namespace) -> None:
    started = time.perf_counter()
    store = _store(args.cdrs, args.seed) if args.uncached else CachedStore(args.cdrs, args.seed)
    build = time.perf_counter() - started
    sims = {}
    for latency in args.latency:
        sim = Tel4vnSimulator(
            cdrs=0,
            seed=args.seed,
            faults=Faults(latency=latency),
            api_key=_API_KEY,
            record_requests=False,
        )
        sim.store = store
        await sim.start()
        sims[f"{latency:g}"] = sim
    print(
        json.dumps(
            {
                "ports": {name: sim.port for name, sim in sims.items()},
                "api_key": _API_KEY,
                "build_seconds": round(build, 2),
            }
        ),
        flush=True,
    )
    loop = asyncio.get_running_loop()
    try:
        # EOF on stdin means the parent is gone (or done with us).
        await loop.run_in_executor(None, sys.stdin.read)
    finally:
        for sim in sims.values():
            await sim.aclose()


class Server:
    """The parent's handle on a server process: ``with Server(...) as s: s.url(0.02)``."""

    def __init__(self, cdrs: int, latencies: Sequence[float], *, uncached: bool = False) -> None:
        self.cdrs = cdrs
        self.latencies = tuple(latencies)
        self.uncached = uncached
        self.api_key = _API_KEY
        self.build_seconds = 0.0
        self._ports: dict[str, int] = {}
        self._proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> Server:
        args = [sys.executable, "-m", "benchmarks._server", "--cdrs", str(self.cdrs)]
        for latency in self.latencies:
            args += ["--latency", str(latency)]
        if self.uncached:
            args.append("--uncached")
        root = Path(__file__).resolve().parent.parent
        self._proc = subprocess.Popen(
            args,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=root,
            env={**os.environ, "PYTHONPATH": str(root)},
        )
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line:
            self.__exit__(None, None, None)
            raise RuntimeError("the benchmark server exited before listening")
        ready = json.loads(line)
        self._ports = ready["ports"]
        self.build_seconds = ready["build_seconds"]
        return self

    def url(self, latency: float = 0.0) -> str:
        """Base URL of the simulator that adds ``latency`` seconds per request."""
        return f"http://127.0.0.1:{self._ports[f'{latency:g}']}"

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        assert proc.stdin is not None
        proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def main(argv: list[str] | None = None) -> None:
    """Parse ``argv`` and serve until stdin closes."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks._server")
    parser.add_argument("--cdrs", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--latency", type=float, action="append", default=[])
    parser.add_argument("--uncached", action="store_true")
    args = parser.parse_args(argv)
    if not args.latency:
        args.latency = [0.0]
    asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
