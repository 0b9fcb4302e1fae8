"""A million-CDR scroll keeps server memory flat; the module runs as a standalone server."""

import asyncio
import os
import resource

import aiohttp
import msgspec
import pytest

from telcall.simulator import Tel4vnSimulator, serve


class ScrollPage(msgspec.Struct):
    """Just what the scroll needs: the records stay undecoded bytes, so the client costs little."""

    data: list[msgspec.Raw]
    scroll_id: str | None = None


def rss_bytes():
    """Resident set size of this process, from /proc/self/statm."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs /proc")
async def test_million_cdr_scroll_keeps_rss_flat():
    """Scrolling 1,000,000 CDRs (server in-process) grows RSS by less than 40 MB after warm-up."""
    async with Tel4vnSimulator(cdrs=1_000_000) as sim, aiohttp.ClientSession() as session:
        async with session.post(
            sim.base_url + "/v2/auth/token", json={"api_key": sim.api_key}
        ) as r:
            headers = {"Authorization": f"Bearer {(await r.json())['data']['token']}"}
        params = {"limit": "1000"}
        seen = pages = 0
        baseline = 0
        decode = msgspec.json.Decoder(ScrollPage).decode
        while True:
            async with session.get(sim.base_url + "/v2/cdr", params=params, headers=headers) as r:
                assert r.status == 200
                body = decode(await r.read())
            if not body.data:
                break
            seen += len(body.data)
            pages += 1
            assert body.scroll_id
            params = {"scroll_id": body.scroll_id}
            if pages == 50:
                baseline = rss_bytes()
        assert seen == 1_000_000
        assert rss_bytes() - baseline < 40 * 2**20


async def test_serve_runs_until_cancelled():
    """serve() announces a running simulator and stops cleanly when cancelled."""
    ready: asyncio.Queue[Tel4vnSimulator] = asyncio.Queue()
    task = asyncio.create_task(serve(port=0, cdrs=10, on_ready=ready.put_nowait))
    sim = await asyncio.wait_for(ready.get(), 5)
    async with aiohttp.ClientSession() as session, session.get(sim.base_url + "/v2/cdr") as r:
        assert r.status == 401
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
