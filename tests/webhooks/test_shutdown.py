"""Stopping an aiohttp app with a receiver: in-flight callbacks drain, then are cancelled."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import anyio
import msgspec
import pytest
from aiohttp import web

from telcall.webhooks import MemoryDedupeStore, WebhookReceiver

from .conftest import DEFAULT_APIKEY, Recorder, event_body

KEY = "tel4vn:avavavav-1111-2222-3333-eeeeeeee:cdr"


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """A client session for the test's requests."""
    async with aiohttp.ClientSession() as client:
        yield client


async def started(app: web.Application) -> tuple[web.AppRunner, str]:
    """Run ``app`` on 127.0.0.1 (a free port); return its runner and hook URL."""
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    return runner, f"http://{host}:{port}/hooks/tel4vn"


async def deliver(
    session: aiohttp.ClientSession, url: str
) -> tuple[int, dict[str, object], str | None]:
    """POST one cdr event; return status, JSON reply and Retry-After."""
    headers = {"Authorization": f"Bearer {DEFAULT_APIKEY}"}
    async with session.post(url, data=event_body("cdr"), headers=headers) as resp:
        return resp.status, msgspec.json.decode(await resp.read()), resp.headers.get("Retry-After")


async def test_cleanup_cancels_callbacks_past_the_timeout(session) -> None:
    """Past ``shutdown_timeout`` a callback is cancelled: 503 + Retry-After, its key released."""
    recorder = Recorder(gate=asyncio.Event())
    store = MemoryDedupeStore()
    receiver = WebhookReceiver(
        apikey=DEFAULT_APIKEY, on_event=recorder, dedupe=store, shutdown_timeout=0.3
    )
    app = web.Application()
    receiver.add_to(app)
    runner, url = await started(app)
    delivery = asyncio.create_task(deliver(session, url))
    await recorder.entered.wait()

    with anyio.fail_after(20):
        await runner.cleanup()
        answer = await delivery

    assert answer == (503, {"ok": False, "error": "shutting down"}, "5")
    assert recorder.events == []
    assert await store.begin(KEY, 60) == "new"


async def test_cleanup_lets_a_callback_finish_within_the_timeout(session) -> None:
    """A callback that ends while the app shuts down completes and is answered 200."""
    gate = asyncio.Event()
    recorder = Recorder(gate=gate)
    store = MemoryDedupeStore()
    receiver = WebhookReceiver(
        apikey=DEFAULT_APIKEY, on_event=recorder, dedupe=store, shutdown_timeout=30
    )

    async def open_gate(app: web.Application) -> None:
        gate.set()

    app = web.Application()
    # Runs before the receiver's own shutdown hook, so the callback ends during the drain.
    app.on_shutdown.append(open_gate)
    receiver.add_to(app)
    runner, url = await started(app)
    delivery = asyncio.create_task(deliver(session, url))
    await recorder.entered.wait()

    with anyio.fail_after(20):
        await runner.cleanup()
        answer = await delivery

    assert answer == (200, {"ok": True}, None)
    assert len(recorder.events) == 1
    assert await store.begin(KEY, 60) == "done"


async def test_drain_is_bounded_and_idempotent() -> None:
    """``drain()`` with nothing in flight returns at once, and may be called again."""
    receiver = WebhookReceiver(apikey=DEFAULT_APIKEY, on_event=Recorder())

    with anyio.fail_after(5):
        await receiver.drain()
        await receiver.drain(timeout=0)
