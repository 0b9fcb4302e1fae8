"""Run one export in a subprocess (killed by the tests): ``python export_runner.py URL OUT [...]``.

Optional: ``--since``, ``--until``, ``--window`` (hours), ``--state`` (a checkpoint
database URL), ``--format`` and ``--table`` (``--format postgresql``). The summary goes to
stdout as JSON (exit 0); an :class:`~telcall.export.ExportError` prints
``{"error": ..., "summary": ...}`` and exits 1; a plan refused because a live run holds
the range with another window size (:class:`~telcall.errors.CheckpointError`) prints
``{"error": ..., "refused": true}`` and exits 1. The api key comes from
``TELCALL_TEL4VN_API_KEY``, as in production.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import timedelta

import msgspec

from telcall import AsyncTel4vnClient, errors
from telcall.export import ExportError, export_cdrs


async def main(args: argparse.Namespace) -> int:
    """Export the asked range (2026-11-01..08 in 6 h windows by default); print the summary."""
    async with AsyncTel4vnClient(base_url=args.url) as client:
        try:
            summary = await export_cdrs(
                client,
                args.since,
                args.until,
                args.out,
                window=timedelta(hours=args.window),
                concurrency=4,
                page_size=500,
                format=args.format,
                state=args.state,
                table=args.table,
            )
        except errors.CheckpointError as exc:
            refused = {"error": str(exc), "refused": True}
            sys.stdout.buffer.write(msgspec.json.encode(refused) + b"\n")
            return 1
        except ExportError as exc:
            error = {"error": str(exc), "summary": exc.summary}
            sys.stdout.buffer.write(msgspec.json.encode(error) + b"\n")
            return 1
    sys.stdout.buffer.write(msgspec.json.encode(summary) + b"\n")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("out")
    parser.add_argument("--since", default="2026-11-01")
    parser.add_argument("--until", default="2026-11-08")
    parser.add_argument("--window", type=int, default=6)
    parser.add_argument("--state", default=None)
    parser.add_argument("--format", default="ndjson")
    parser.add_argument("--table", default=None)
    sys.exit(asyncio.run(main(parser.parse_args())))
