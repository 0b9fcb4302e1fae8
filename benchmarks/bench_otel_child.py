"""Per-call CPU of sequential ``cdrs.get()`` calls through one ``AsyncTel4vnClient``.

A child of ``benchmarks.bench_otel``. ``--block-otel`` makes ``opentelemetry`` unimportable
before telcall is imported (the extra not installed); otherwise it is importable with no
SDK configured, as in an application that installed the extra and set up nothing.
``--paired`` alternates batches in this one process between that and telcall's view of a
missing extra (its OpenTelemetry handles set to None), and reports the per-pair ratios:
on a busy machine, pairing batches taken moments apart is what resolves a few percent.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time


def _args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--calls", type=int, default=200, help="calls per batch")
    parser.add_argument("--batches", type=int, default=15)
    parser.add_argument("--block-otel", action="store_true")
    parser.add_argument("--paired", action="store_true")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Warm up, then report the median CPU per call over ``--batches`` batches."""
    args = _args(argv)
    if args.block_otel:
        sys.modules["opentelemetry"] = None  # type: ignore[assignment]
    from telcall import AsyncTel4vnClient
    from telcall._core import otel

    from ._child import emit

    installed = (otel._trace, otel._metrics)

    async def batch(client: AsyncTel4vnClient, ids: list[str]) -> float:
        cpu = time.process_time()
        for i in ids:
            await client.cdrs.get(i)
        return (time.process_time() - cpu) / len(ids)

    async def run() -> tuple[list[float], list[float]]:
        async with AsyncTel4vnClient(base_url=args.base_url, api_key=args.api_key) as client:
            page = await client.cdrs.list(limit=args.calls, offset=0)
            ids = [cdr.id for cdr in page.items]
            await batch(client, ids)
            per_call, ratios = [], []
            for _ in range(args.batches):
                with_api = await batch(client, ids)
                per_call.append(with_api)
                if args.paired:
                    otel._trace, otel._metrics = None, None  # type: ignore[assignment]
                    without = await batch(client, ids)
                    otel._trace, otel._metrics = installed
                    ratios.append(with_api / without)
            return per_call, ratios

    per_call, ratios = asyncio.run(run())
    result = {"cpu_us": statistics.median(per_call) * 1e6, "calls": args.calls * args.batches}
    if ratios:
        result["paired_ratio"] = statistics.median(ratios)
    emit(result)


if __name__ == "__main__":
    main()
