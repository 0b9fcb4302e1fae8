"""The ``format="postgresql"`` destination against the NDJSON export of the same records.

    python benchmarks/bench_export_postgres.py [--quick] [--records N] [--dsn URL]

Built like ``bench_export.py``: the TEL4VN simulator in its own process, every
measurement a fresh client process, rounds interleaved (the order alternates)
and ratios taken within a round, reported as the median (min–max). Both
competitors run ``export_cdrs`` over the same N CDRs (6-hour windows, 4 at a
time): one writes NDJSON files (checkpoints in SQLite), the other binary-COPYs
each window into PostgreSQL and upserts it with its checkpoint in one
transaction. Each PostgreSQL round writes a fresh table of a fresh job.

Without ``--dsn`` a throwaway PostgreSQL server is started the way the test
suite starts one (``tests/servers.py``: fsync off, on loopback), so the figure
is the client's cost and the server's CPU on the same cores, not a disk's.
Client CPU is the client process's user + system time; the server's is not in
it. Goal: PostgreSQL records/s ≥ 0.7× NDJSON's.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import secrets
import statistics
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_export import END, START, Measure, report, simulator  # noqa: E402

WHO = ("ndjson", "postgresql")


def _servers() -> Any:
    """``tests/servers.py``, which knows how to start a throwaway server."""
    spec = importlib.util.spec_from_file_location(
        "telcall_bench_servers", ROOT / "tests/servers.py"
    )
    assert spec is not None
    assert spec.loader is not None
    servers = sys.modules.get(spec.name)
    if servers is None:
        servers = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = servers  # dataclasses look their module up there
        spec.loader.exec_module(servers)
    return servers


def missing() -> str:
    """What this benchmark lacks to run without ``--dsn`` ("" when nothing is missing)."""
    if importlib.util.find_spec("asyncpg") is None:
        return "asyncpg is not installed (pip install -e '.[postgresql]')"
    if _servers()._postgres_bindir() is None:
        return "PostgreSQL's server binaries (initdb, pg_ctl) are not installed"
    return ""


@contextlib.contextmanager
def postgres(dsn: str | None) -> Iterator[str]:
    """``dsn``, or a throwaway server started as the test suite starts one."""
    if dsn is not None:
        yield dsn
        return
    servers = _servers()
    bindir = servers._postgres_bindir()
    if bindir is None:
        raise SystemExit("PostgreSQL's server binaries are not installed; pass --dsn")
    with servers._run_postgres(bindir) as server:
        yield server.create_database()


def _measure(who: str, base_url: str, api_key: str, dsn: str) -> Measure:
    result = subprocess.run(
        [sys.executable, __file__, "--measure", who, base_url, api_key, dsn],
        check=True,
        capture_output=True,
        text=True,
    )
    return msgspec.json.decode(result.stdout.strip().splitlines()[-1], type=Measure)


def _child(who: str, base_url: str, api_key: str, dsn: str) -> None:
    from datetime import timedelta

    from telcall import AsyncTel4vnClient
    from telcall.export import export_cdrs

    async def run(out: Path) -> int:
        async with AsyncTel4vnClient(base_url=base_url, api_key=api_key) as client:
            if who == "ndjson":
                summary = await export_cdrs(
                    client, START, END, out, window=timedelta(hours=6), concurrency=4
                )
            else:
                summary = await export_cdrs(
                    client,
                    START,
                    END,
                    out,
                    window=timedelta(hours=6),
                    concurrency=4,
                    format="postgresql",
                    state=dsn,
                    table=f"bench_{secrets.token_hex(4)}",
                )
        return summary.records

    report(run)


def _ratio(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def main(quick: bool, records: int | None = None, dsn: str | None = None) -> dict[str, Any]:
    """Run the comparison; return records/s, client CPU per record and the ratios."""
    n = records or (50_000 if quick else 500_000)
    rounds = 1 if quick else 3
    runs: dict[str, list[Measure]] = {w: [] for w in WHO}
    with simulator(n, 0.0) as (base_url, api_key), postgres(dsn) as url:
        for round_ in range(rounds):
            order = WHO if round_ % 2 == 0 else WHO[::-1]
            for who in order:
                m = _measure(who, base_url, api_key, url)
                assert m.records == n, (who, m.records, n)
                runs[who].append(m)
    nd, pg = runs["ndjson"], runs["postgresql"]
    return {
        "cdrs": n,
        "rounds": rounds,
        "records_per_s": {w: round(n / statistics.median(m.wall for m in runs[w])) for w in WHO},
        "client_cpu_us_per_record": {
            w: round(statistics.median(m.cpu for m in runs[w]) / n * 1e6, 2) for w in WHO
        },
        "peak_rss_mib": {w: round(max(m.peak_rss_mib for m in runs[w]), 1) for w in WHO},
        # Throughput: NDJSON's wall over PostgreSQL's (≥ 0.7 is the goal).
        "postgresql_vs_ndjson_throughput": _ratio(
            [a.wall / b.wall for a, b in zip(nd, pg, strict=True)]
        ),
        "postgresql_vs_ndjson_client_cpu": _ratio(
            [b.cpu / a.cpu for a, b in zip(nd, pg, strict=True)]
        ),
    }


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--measure":
        _child(*sys.argv[2:6])
    else:
        parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
        parser.add_argument("--quick", action="store_true", help="50k CDRs instead of 500k")
        parser.add_argument("--records", type=int, help="CDRs to export")
        parser.add_argument("--dsn", help="an existing database (default: a throwaway server)")
        args = parser.parse_args()
        result = main(args.quick, args.records, args.dsn)
        print(msgspec.json.format(msgspec.json.encode(result)).decode())
