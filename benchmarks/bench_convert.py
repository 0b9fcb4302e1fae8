"""Convert wire records to the neutral shape: ``to_call_record()`` in a loop, or the batch.

    python -m benchmarks.bench_convert --provider tel4vn --variant batch --span-s 600

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
    parser.add_argument(
        "--span-s", type=float, default=0.0, help="TEL4VN: spread the records over this many s"
    )
    args = parser.parse_args(argv)
    records = wire_records(args.provider, args.records, args.span_s)
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
