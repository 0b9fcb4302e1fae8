"""Convert wire records to the neutral shape: ``to_call_record()`` in a loop, or the batch.

    python -m benchmarks.bench_convert --provider tel4vn --variant loop --records 10000

Variants: ``reference`` (``to_call_record()`` as it was, kept in
``tests/export/reference_convert.py``), ``loop`` (today's ``to_call_record()`` per record),
``batch`` (``to_call_records()`` of the whole list).

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
from pathlib import Path
from typing import Any

import msgspec

from telcall.simulator._aicallcenter import AICallCenterSimulator
from telcall.simulator._data import cdr_page_bytes
from telcall.simulator._omicall import OmicallSimulator

from ._child import emit

PROVIDERS = ("tel4vn", "tel4vn_flex", "omicall", "aicallcenter")


def wire_records(provider: str, n: int) -> list[Any]:
    """``n`` decoded wire records of ``provider`` (``tel4vn_flex``: the flex mapping)."""
    if provider in ("tel4vn", "tel4vn_flex"):
        from telcall.tel4vn.models import CdrPage, FlexCdrPage

        flex = provider == "tel4vn_flex"
        body = cdr_page_bytes(n, mapping="flex" if flex else "default")
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


def converter(variant: str) -> Callable[[list[Any]], object]:
    """The conversion a variant times."""
    if variant == "reference":
        convert = _reference().convert
        return lambda records: [convert(r) for r in records]
    if variant == "loop":
        return lambda records: [r.to_call_record() for r in records]
    if variant == "batch":
        return lambda records: type(records[0]).to_call_records(records)
    raise SystemExit(f"unknown variant {variant!r}")


def main(argv: list[str] | None = None) -> None:
    """Time one variant on one provider's records; emit CPU µs per record."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--provider", choices=PROVIDERS, required=True)
    parser.add_argument("--variant", required=True)
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    records = wire_records(args.provider, args.records)
    convert = converter(args.variant)
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
