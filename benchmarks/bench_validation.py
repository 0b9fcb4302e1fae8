"""Cost of the argument check on a resource call: with and without it, no I/O.

``python -m benchmarks.bench_validation`` calls ``AsyncCdrs.list`` with five filters on a
client whose request path returns at once, through the checked method and through the bare
function behind it (``__wrapped__``), and prints the difference in µs per call.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from telcall import AsyncTel4vnClient
from telcall._core.pagination import Page
from telcall.tel4vn.resources.cdrs import AsyncCdrs

CALLS = 20_000
ROUNDS = 5
KWARGS: dict[str, Any] = {
    "start_date": "2026-11-01",
    "end_date": "2026-11-02",
    "direction": "inbound",
    "limit": 100,
    "offset": 0,
}


async def _no_io(self: AsyncCdrs, params: dict[str, Any], timeout: Any) -> Page[Any]:
    return Page([], total=0)


async def _per_call(function: Any, cdrs: AsyncCdrs) -> float:
    best = float("inf")
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for _ in range(CALLS):
            await function(cdrs, **KWARGS)
        best = min(best, (time.perf_counter() - start) / CALLS)
    return best * 1e6


async def main() -> dict[str, float]:
    """µs per call with the check, without it, and the difference."""
    AsyncCdrs._fetch = _no_io  # type: ignore[method-assign]
    client = AsyncTel4vnClient(base_url="http://127.0.0.1:9", api_key="k")
    checked = AsyncCdrs.list
    bare = checked.__wrapped__  # type: ignore[attr-defined]
    await checked(client.cdrs, **KWARGS)  # builds the checker once
    with_check = await _per_call(checked, client.cdrs)
    without = await _per_call(bare, client.cdrs)
    return {
        "with_check_us": round(with_check, 2),
        "without_check_us": round(without, 2),
        "check_us": round(with_check - without, 2),
    }


if __name__ == "__main__":
    print("BENCH-RESULT", json.dumps(asyncio.run(main())))
