"""Sequential ``cdrs.get()`` calls through the async client and the sync facade, alternately.

Both run in this one process, in alternating batches, so each sync batch is compared with
an async batch taken moments before it: on a busy machine that pairing is what makes a
difference of tens of microseconds measurable. The difference per call is what the bridge
costs a sync caller.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

from telcall import AsyncTel4vnClient

from ._child import emit
from ._sync_client import Tel4vnClient


def _args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--calls", type=int, default=100, help="calls per batch")
    parser.add_argument("--pairs", type=int, default=10, help="async/sync batch pairs")
    return parser.parse_args(argv)


async def _async_batch(client: AsyncTel4vnClient, ids: list[str]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    for i in ids:
        await client.cdrs.get(i)
    return time.perf_counter() - wall, time.process_time() - cpu


def _sync_batch(client: Any, ids: list[str]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    for i in ids:
        client.cdrs.get(i)
    return time.perf_counter() - wall, time.process_time() - cpu


def main(argv: list[str] | None = None) -> None:
    """Warm both clients up, then time ``--pairs`` pairs of batches of ``--calls`` gets."""
    args = _args(argv)
    with asyncio.Runner() as runner:
        client = AsyncTel4vnClient(base_url=args.base_url, api_key=args.api_key)
        page = runner.run(client.cdrs.list(limit=args.calls, offset=0))
        ids = [cdr.id for cdr in page.items]
        runner.run(_async_batch(client, ids))
        with Tel4vnClient(base_url=args.base_url, api_key=args.api_key) as sync_client:
            _sync_batch(sync_client, ids)
            pairs = [
                (runner.run(_async_batch(client, ids)), _sync_batch(sync_client, ids))
                for _ in range(args.pairs)
            ]
        runner.run(client.aclose())
    n = len(ids)
    emit(
        {
            "async_wall_us": statistics.median(a[0] for a, _ in pairs) / n * 1e6,
            "sync_wall_us": statistics.median(s[0] for _, s in pairs) / n * 1e6,
            "async_cpu_us": statistics.median(a[1] for a, _ in pairs) / n * 1e6,
            "sync_cpu_us": statistics.median(s[1] for _, s in pairs) / n * 1e6,
            "overhead_us": statistics.median(s[0] - a[0] for a, s in pairs) / n * 1e6,
            "calls": n,
        }
    )


if __name__ == "__main__":
    main()
