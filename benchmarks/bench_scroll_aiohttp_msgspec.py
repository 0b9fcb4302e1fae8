"""The ceiling of our own stack: a hand-written aiohttp + msgspec loop, serial or pipelined.

Serial follows ``scroll_id``. With ``--concurrency N`` it pages by offset instead and keeps
``N`` requests in flight once the first page told it ``total``, yielding pages in order:
what telcall's ``concurrency`` does, without telcall.
"""

from __future__ import annotations

import argparse
import asyncio
from collections import deque
from typing import Any

import aiohttp
import msgspec

from telcall.tel4vn.models import CdrPage

from ._child import Clock, emit, scroll_args

decoder = msgspec.json.Decoder(CdrPage)


async def _get(session: aiohttp.ClientSession, url: str, params: dict[str, Any]) -> CdrPage:
    async with session.get(url, params=params) as resp:
        resp.raise_for_status()
        return decoder.decode(await resp.read())


async def _serial(session: aiohttp.ClientSession, url: str, params: dict[str, Any]) -> int:
    count = 0
    page = await _get(session, url, params)
    while page.data:
        for _cdr in page.data:
            count += 1
        page = await _get(session, url, {**params, "scroll_id": page.scroll_id})
    return count


async def _pipelined(
    session: aiohttp.ClientSession, url: str, params: dict[str, Any], concurrency: int
) -> int:
    limit = params["limit"]
    page = await _get(session, url, {**params, "offset": 0})
    assert page.total is not None
    offsets = iter(range(limit, page.total, limit))
    pending: deque[asyncio.Task[CdrPage]] = deque()
    count = 0
    while True:
        for offset in offsets:
            pending.append(asyncio.ensure_future(_get(session, url, {**params, "offset": offset})))
            if len(pending) >= concurrency - 1:
                break
        for _cdr in page.data:
            count += 1
        if not pending:
            return count
        page = await pending.popleft()


async def scroll(args: argparse.Namespace) -> None:
    """Get a token, warm the connection, then read every record once."""
    base = args.base_url
    async with aiohttp.ClientSession() as session:
        async with session.post(base + "/v2/auth/token", json={"api_key": args.api_key}) as r:
            token = (await r.json())["data"]["token"]
        session.headers["Authorization"] = f"Bearer {token}"
        url = base + "/v2/cdr"
        await _get(session, url, {"limit": 1, "offset": 0})
        params = {"start_date": args.start_date, "end_date": args.end_date, "limit": args.page_size}
        clock = Clock()
        clock.start()
        if args.concurrency > 1:
            count = await _pipelined(session, url, params, args.concurrency)
        else:
            count = await _serial(session, url, params)
        result = clock.stop()
    if count != args.expect:
        raise SystemExit(f"got {count} records, expected {args.expect}")
    emit({**result, "records": count})


def main(argv: list[str] | None = None) -> None:
    """Run one scroll and report its clocks."""
    asyncio.run(scroll(scroll_args(argv)))


if __name__ == "__main__":
    main()
