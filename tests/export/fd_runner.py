"""A 60-day export in 1-hour windows under ``ulimit -n 1024``: ``python fd_runner.py OUT``.

The simulator runs in the same process (its sockets count too). Prints the
summary as JSON; any error escapes, so the exit code says whether it worked.
"""

from __future__ import annotations

import asyncio
import resource
import sys
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import msgspec

from telcall import AsyncTel4vnClient
from telcall.export import export_cdrs
from telcall.simulator import Tel4vnSimulator

VN = ZoneInfo("Asia/Ho_Chi_Minh")


async def main(out_dir: str) -> None:
    """Export 2026-09-01 + 60 days with 1-hour windows, concurrency 8."""
    start = datetime(2026, 9, 1, tzinfo=VN)
    end = start + timedelta(days=60)
    async with (
        Tel4vnSimulator(cdrs=3000, seed=2, start=start, end=end, record_requests=False) as sim,
        AsyncTel4vnClient(base_url=sim.base_url, api_key=sim.api_key) as client,
    ):
        summary = await export_cdrs(
            client, start, end, out_dir, window=timedelta(hours=1), concurrency=8
        )
    sys.stdout.buffer.write(msgspec.json.encode(summary) + b"\n")


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))
    asyncio.run(main(sys.argv[1]))
