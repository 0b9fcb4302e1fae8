"""Scroll the listing with ``AsyncTel4vnClient.cdrs.iterate()`` (prefetch/concurrency as asked)."""

from __future__ import annotations

import argparse
import asyncio

from telcall import AsyncTel4vnClient

from ._child import Clock, emit, scroll_args


async def scroll(args: argparse.Namespace) -> None:
    """Warm up (token, connection), then iterate every record once."""
    async with AsyncTel4vnClient(base_url=args.base_url, api_key=args.api_key) as client:
        await client.cdrs.list(limit=1, offset=0)
        clock = Clock()
        count = 0
        every = args.page_size
        clock.start()
        async for _cdr in client.cdrs.iterate(
            start_date=args.start_date,
            end_date=args.end_date,
            page_size=args.page_size,
            pagination=args.pagination,
            prefetch=args.prefetch,
            concurrency=args.concurrency,
        ):
            count += 1
            if args.sample_rss and count % every == 0:
                clock.sample()
        result = clock.stop()
    if count != args.expect:
        raise SystemExit(f"got {count} records, expected {args.expect}")
    emit({**result, "records": count})


def main(argv: list[str] | None = None) -> None:
    """Run one scroll and report its clocks."""
    asyncio.run(scroll(scroll_args(argv)))


if __name__ == "__main__":
    main()
