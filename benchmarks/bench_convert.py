"""Convert wire records to the neutral shape: ``to_call_record()`` in a loop, or the batch.

    python -m benchmarks.bench_convert --provider tel4vn --variant batch --span-s 600
    python -m benchmarks.bench_convert --compare [--rounds 3] [--span-s 6000]

Variants: ``reference`` (``to_call_record()`` as it was, kept in
``tests/export/reference_convert.py``), ``loop`` (today's ``to_call_record()`` per record),
``batch`` (``to_call_records()`` a page at a time, ``--page-size`` records: what a scroll
page holds, 1,000 for TEL4VN and AI Call Center). ``--compare`` runs every variant of every
provider in its own process, in interleaved rounds, and prints the medians of the per-round
ratios with their min–max.

The records come from the simulators' own generators (no server), decoded once with the
provider's wire model; the timed part is the conversion alone, best of ``--repeat``.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import statistics
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

import msgspec

from telcall.simulator._aicallcenter import AICallCenterSimulator
from telcall.simulator._data import DEFAULT_START, CdrStore, cdr_page_bytes
from telcall.simulator._omicall import OmicallSimulator

from ._child import emit

PROVIDERS = ("tel4vn", "tel4vn_flex", "omicall", "aicallcenter")


def wire_records(provider: str, n: int, span_s: float = 0.0) -> list[Any]:
    """``n`` decoded wire records of ``provider`` (``tel4vn_flex``: the flex mapping).

    ``span_s``: TEL4VN records spread over that many seconds from the generator's start
    (a scroll page's density) instead of its two weeks.
    """
    if provider in ("tel4vn", "tel4vn_flex"):
        from telcall.tel4vn.models import CdrPage, FlexCdrPage

        flex = provider == "tel4vn_flex"
        mapping: Literal["flex", "default"] = "flex" if flex else "default"
        if span_s:
            store = CdrStore(n, mapping=mapping, end=DEFAULT_START + timedelta(seconds=span_s))
            body = msgspec.json.encode({"data": [store.record(i) for i in range(n)]})
        else:
            body = cdr_page_bytes(n, mapping=mapping)
        page = msgspec.json.decode(body, type=FlexCdrPage if flex else CdrPage)
        return list(page.data)
    if provider == "omicall":
        from telcall.omicall.models import CallTransaction

        omicall = OmicallSimulator(calls=n)
        raw = msgspec.json.encode([omicall.transaction(i) for i in range(n)])
        return msgspec.json.decode(raw, type=list[CallTransaction])
    from telcall.aicallcenter.models import Call

    aicc = AICallCenterSimulator(calls_per_campaign=n)
    raw = msgspec.json.encode(aicc.calls(aicc.campaign_id))
    return msgspec.json.decode(raw, type=list[Call])


def _reference() -> Any:
    """The per-record conversion as it was before the batch path (the test suite's oracle)."""
    path = Path(__file__).parent.parent / "tests" / "export" / "reference_convert.py"
    spec = importlib.util.spec_from_file_location("reference_convert", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def converter(variant: str, page_size: int = 1000) -> Callable[[list[Any]], object]:
    """The conversion a variant times."""
    if variant == "reference":
        convert = _reference().convert
        return lambda records: [convert(r) for r in records]
    if variant == "loop":
        return lambda records: [r.to_call_record() for r in records]
    if variant == "batch":
        return lambda records: [
            type(records[0]).to_call_records(records[i : i + page_size])
            for i in range(0, len(records), page_size)
        ]
    raise SystemExit(f"unknown variant {variant!r}")


VARIANTS = ("reference", "loop", "batch")


def compare(rounds: int, span_s: float, records: int) -> None:
    """Every variant of every provider, one process each, in interleaved rounds."""
    from ._runner import Competitor, Stat, run_rounds, table

    rows = []
    for provider in PROVIDERS:
        competitors = [
            Competitor(v, v, "bench_convert", ("--provider", provider, "--variant", v))
            for v in VARIANTS
        ]
        common = ["--records", str(records), "--span-s", str(span_s)]
        results = run_rounds(competitors, rounds, common)
        metric = "cpu_us_per_record"
        us = " / ".join(f"{Stat.of([r[metric] for r in results[v]]).median:.2f}" for v in VARIANTS)
        rows.append(
            [
                provider,
                us,
                Stat.ratio(results, "reference", "loop", metric).times(),
                Stat.ratio(results, "reference", "batch", metric).times(),
                Stat.ratio(results, "loop", "batch", metric).times(),
            ]
        )
    header = [
        "Wire model",
        "µs/record: reference / loop / batch (median)",
        "`to_call_record()` vs reference",
        "batch vs reference",
        "batch vs `to_call_record()` loop",
    ]
    print(table(header, rows))


def main(argv: list[str] | None = None) -> None:
    """Time one variant on one provider's records; emit CPU µs per record."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--provider", choices=PROVIDERS)
    parser.add_argument("--variant", choices=VARIANTS)
    parser.add_argument("--compare", action="store_true", help="every variant and provider")
    parser.add_argument("--rounds", type=int, default=3, help="--compare: interleaved rounds")
    parser.add_argument("--page-size", type=int, default=1000, help="batch: records a call")
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument(
        "--span-s", type=float, default=0.0, help="TEL4VN: spread the records over this many s"
    )
    args = parser.parse_args(argv)
    if args.compare:
        compare(args.rounds, args.span_s, args.records)
        return
    if args.provider is None or args.variant is None:
        parser.error("--provider and --variant (or --compare)")
    records = wire_records(args.provider, args.records, args.span_s)
    convert = converter(args.variant, args.page_size)
    convert(records)  # first-call costs (caches, lazy imports) are not what we compare
    cpu, wall = [], []
    for _ in range(args.repeat):
        gc.collect()
        c0, w0 = time.process_time(), time.perf_counter()
        convert(records)
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    n = len(records)
    emit(
        {
            "records": n,
            "cpu": min(cpu),
            "wall": min(wall),
            "cpu_us_per_record": min(cpu) / n * 1e6,
            "median_cpu_us_per_record": statistics.median(cpu) / n * 1e6,
        }
    )


if __name__ == "__main__":
    main()
