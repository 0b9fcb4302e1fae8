"""What an async user might write without telcall: ``httpx.AsyncClient`` + pydantic v2."""

from __future__ import annotations

import argparse
import asyncio

import httpx
from pydantic import TypeAdapter

from ._child import Clock, emit, scroll_args
from ._pydantic_models import CdrPageModel

adapter = TypeAdapter(CdrPageModel)


async def scroll(args: argparse.Namespace) -> None:
    """Get a token, warm the connection, then follow ``scroll_id`` to the end."""
    async with httpx.AsyncClient(base_url=args.base_url) as client:
        r = await client.post("/v2/auth/token", json={"api_key": args.api_key})
        client.headers["Authorization"] = f"Bearer {r.json()['data']['token']}"
        (await client.get("/v2/cdr", params={"limit": 1, "offset": 0})).raise_for_status()
        params = {"start_date": args.start_date, "end_date": args.end_date, "limit": args.page_size}
        clock = Clock()
        clock.start()
        count = 0
        query = params
        while True:
            r = await client.get("/v2/cdr", params=query)
            r.raise_for_status()
            page = adapter.validate_json(r.content)
            if not page.data:
                break
            for _cdr in page.data:
                count += 1
            query = {**params, "scroll_id": page.scroll_id}
        result = clock.stop()
    if count != args.expect:
        raise SystemExit(f"got {count} records, expected {args.expect}")
    emit({**result, "records": count})


def main(argv: list[str] | None = None) -> None:
    """Run one scroll and report its clocks."""
    asyncio.run(scroll(scroll_args(argv)))


if __name__ == "__main__":
    main()
