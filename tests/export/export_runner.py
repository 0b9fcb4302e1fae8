"""Run one export in a subprocess (killed by the tests): ``python export_runner.py URL OUT``.

The api key comes from ``TELCALL_TEL4VN_API_KEY``, as in production.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import timedelta

import msgspec

from telcall import AsyncTel4vnClient
from telcall.export import export_cdrs


async def main(base_url: str, out_dir: str) -> None:
    """Export 2026-11-01..08 in 6 h windows and print the summary as JSON."""
    async with AsyncTel4vnClient(base_url=base_url) as client:
        summary = await export_cdrs(
            client,
            "2026-11-01",
            "2026-11-08",
            out_dir,
            window=timedelta(hours=6),
            concurrency=4,
            page_size=500,
        )
    sys.stdout.buffer.write(msgspec.json.encode(summary) + b"\n")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
